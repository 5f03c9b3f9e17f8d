"""Routing's resident memory as the service starts, before and after a change, same run.

Each probe is a fresh process that builds routing's app as the service does
(``create_app``: the text model trained and the sentence encoder loaded in the
background), waits until the learned router is loaded, routes the dev tickets through
the API, retrains through the API, and reports its resident memory (VmRSS) after
start-up and after the retrain, and its peak (VmHWM); and, apart, the peak of the child
process that trains the text model since the change. The "before" source is routing's
``src`` from a git revision (default ``main``), put first on the import path; the rest
of the environment is shared. Runs alternate (before, after, before, after, ...) so that
a busy machine weighs on both.

Outside the end-to-end load: no Kafka, no HTTP server, SQLite instead of PostgreSQL, so
the figures are the service's imports and models, not its traffic.

    .venv/bin/python bench/routing/memory.py [--before main] [--runs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = Path("services/routing/src")
MIGRATIONS = ROOT / SRC / "baton_routing" / "migrations"
TICKETS = ROOT / "bench" / "routing" / "data" / "tickets" / "dev.jsonl"

PROBE = """
import asyncio, json, sys, time
import baton_routing
import httpx
from baton_routing.app import create_app
from baton_routing.settings import Settings
from baton_runtime import migrations

WHERE, MIGRATIONS, TICKETS = sys.argv[1:4]


def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024


async def main():
    config = Settings(database_url=f"sqlite+aiosqlite:///{WHERE}/r.db", topic_prefix="t.")
    migrations.upgrade(MIGRATIONS, config.database_url)
    clock = time.perf_counter()
    app = create_app(config)
    slot = app.state.classifier
    router = await slot.ready(wait=600)
    assert router is not None and router.encoder is not None, "the router did not load"
    loaded = time.perf_counter() - clock
    tickets = [json.loads(line) for line in open(TICKETS, encoding="utf-8") if line.strip()]
    headers = {"X-Baton-Actor": "bench", "X-Baton-Roles": "administrator"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench", headers=headers
    ) as client:
        for t in tickets:
            body = {"subject": t["subject"], "description": t["description"]}
            r = await client.post("/v1/routing/preview", json=body)
            assert r.status_code == 200, r.text
        started = {"rss": status("VmRSS"), "peak": status("VmHWM")}
        r = await client.post("/v1/router/model/retrain")
        assert r.status_code == 200, r.text
        for t in tickets[:50]:
            body = {"subject": t["subject"], "description": t["description"]}
            assert (await client.post("/v1/routing/preview", json=body)).status_code == 200
    await app.state.runtime.db.dispose()
    heavy = sorted({m.split(".")[0] for m in sys.modules} & {"sklearn", "scipy"})
    print(json.dumps({
        "loaded_seconds": round(loaded, 1),
        "rss_started": round(started["rss"], 1),
        "peak_started": round(started["peak"], 1),
        "rss_retrained": round(status("VmRSS"), 1),
        "peak": round(status("VmHWM"), 1),
        "imported": heavy,
        "version": r.json()["version"],
        "source": baton_routing.__file__,
    }))


asyncio.run(main())
"""


def extract(revision: str, into: Path) -> Path:
    """Routing's ``src`` as it is at ``revision``."""
    archive = subprocess.run(
        ["git", "archive", revision, str(SRC)], cwd=ROOT, check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / SRC


def probe(src: Path) -> dict:
    path = os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    env.setdefault("BATON_ENVIRONMENT", "development")
    env.setdefault("BATON_AUTH_MODE", "header")
    with tempfile.TemporaryDirectory(prefix="routing-memory-") as where:
        done = subprocess.run(
            [sys.executable, "-c", PROBE, where, str(MIGRATIONS), str(TICKETS)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise SystemExit(f"probe of {src} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


FIELDS = ("rss_started", "peak_started", "rss_retrained", "peak")

# The request the service sends its training child at start (the shipped sample and the
# catalog's examples), written to a file.
REQUEST = """
import sys
from baton_routing.catalog.service import load_catalog
from baton_routing.classifier import learned, service, training
from baton_routing.settings import DEFAULT_CATALOG

examples = learned.catalog_examples(load_catalog(DEFAULT_CATALOG))
body = training.request(service.load_examples(), version="bench", catalog_examples=examples)
open(sys.argv[1], "w", encoding="utf-8").write(body)
"""
# The training child, run from a small process: a child's peak (ru_maxrss) counts its
# parent's until it replaces it (exec), so the service's own wait would report its peak.
CHILD = """
import resource, subprocess, sys
subprocess.run(sys.argv[2:], stdin=open(sys.argv[1], "rb"), check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
"""


def child_peak() -> float:
    """The training child's peak resident memory, in MB."""
    with tempfile.TemporaryDirectory(prefix="routing-child-") as where:
        body, out = Path(where) / "request.json", Path(where) / "model.npz"
        subprocess.run([sys.executable, "-c", REQUEST, str(body)], check=True)
        child = [sys.executable, "-m", "baton_routing.classifier.sklearn_fit", str(out)]
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(body), *child],
            check=True,
            capture_output=True,
            text=True,
        )
        return round(float(done.stdout.split()[-1]), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="main", help="git revision to compare against")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "memory.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="routing-before-") as tmp:
        sources = {"before": extract(args.before, Path(tmp)), "after": ROOT / SRC}
        runs: dict[str, list[dict]] = {"before": [], "after": []}
        for i in range(args.runs):
            for name, src in sources.items():
                result = probe(src)
                runs[name].append(result)
                print(f"{name} #{i + 1}: {result}", flush=True)
        children = [child_peak() for _ in range(args.runs)]
        print(f"training child's peak: {children}", flush=True)
    median = {
        name: {f: statistics.median(r[f] for r in results) for f in FIELDS}
        for name, results in runs.items()
    }
    ratio = {f: round(median["after"][f] / median["before"][f], 2) for f in FIELDS}
    report = {
        "before": args.before,
        "load_average": os.getloadavg()[0],
        "runs": runs,
        "median_mb": median,
        "training_child_peak_mb": children,
        "after_over_before": ratio,
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print("\n| MB (median) | " + " | ".join(FIELDS) + " |")
    print("|---" * (len(FIELDS) + 1) + "|")
    for name in ("before", "after"):
        print(f"| {name} | " + " | ".join(f"{median[name][f]:.0f}" for f in FIELDS) + " |")
    print("| after / before | " + " | ".join(str(ratio[f]) for f in FIELDS) + " |")
    print(f"\nthe training child (after only), peak: {statistics.median(children):.0f} MB")


if __name__ == "__main__":
    main()
