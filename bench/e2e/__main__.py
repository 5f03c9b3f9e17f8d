"""End-to-end throughput benchmark (bench/e2e/README.md): ``make bench``, or

    .venv/bin/python -m bench.e2e [--quick] [--backends sqlite] [--rates 5,10,20] ...

Starts Kafka (and PostgreSQL when asked) on its own ports, runs Baton on each
backend and the raw relay, and writes results.json, results.md and latency.png.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from bench.e2e.backend import BackendRun
from bench.e2e.ceiling import RelayRun
from bench.e2e.config import Config, parse_args
from bench.e2e.procs import REPO
from bench.e2e.report import compare, write_report
from bench.e2e.stack import Infra, Ports

log = logging.getLogger("bench")


def _git(*args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
    return proc.stdout.strip()


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def run(cfg: Config) -> dict[str, Any]:
    run_id = uuid.uuid4().hex[:6]
    state = REPO / ".run" / "bench" / run_id
    infra = Infra(REPO / ".run" / "bench", Ports.from_env())
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _git("rev-parse", "HEAD"),
        "uncommitted_changes": bool(_git("status", "--porcelain", "--", "services", "shared")),
        "machine": machine(),
        "config": {k: str(v) if k == "out" else v for k, v in vars(cfg).items()},
        "backends": {},
    }
    started = time.monotonic()
    try:
        infra.start_kafka()
        log.info("Kafka at %s; run %s, state in %s", infra.kafka, run_id, state)
        for backend in cfg.backends:
            results["backends"][backend] = BackendRun(
                cfg, backend, infra=infra, run_id=run_id, state=state
            ).run()
        if cfg.relay:
            results["relay"] = RelayRun(cfg, infra=infra, run_id=run_id, state=state).run()
    finally:
        infra.stop()
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["duration_s"] = round(time.monotonic() - started)
    results["comparison"] = compare(results)
    return results


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    cfg = parse_args()
    results = run(cfg)
    cfg.out.mkdir(parents=True, exist_ok=True)
    (cfg.out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    write_report(results, cfg.out)
    log.info("wrote %s/results.json, results.md and latency.png", cfg.out)


if __name__ == "__main__":
    sys.exit(main())
