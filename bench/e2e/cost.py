"""What one issue costs each service: CPU milliseconds and SQL statements.

    .venv/bin/python -m bench.e2e.cost --issues 300 --rate 10 --rounds 2 \
        --variant now= --variant asyncio=BATON_EVENT_LOOP=asyncio

A throughput run on a shared, noisy machine says how fast the stack went while
others' work came and went; what an issue *costs* moves far less. For each
variant (a name and the settings every service gets), in alternating rounds on
PostgreSQL: fresh services, a warm-up, then ``--issues`` issues at ``--rate``
(well below saturation); once every owner's notice has reached the sink, each
service's CPU time since the first of them, divided by the issues. PostgreSQL
logs every statement meanwhile (``log_statement = all``, each line prefixed by
the connection's ``application_name``, which names the service), so the same
run counts each service's statements per issue, by kind and table: the round
trips, which cost CPU in the service and in the database alike.

CPU includes what a service does on its own clock in that time (polls, gauges);
statements count only what PostgreSQL was sent. PostgreSQL's own CPU (the server
and its backends) is measured too: with statement logging on, it includes writing
that log; ``--no-statements`` leaves logging off, for its CPU alone. Writes
``cost.json`` and ``cost.md`` beside the other results (``--out``).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import subprocess
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from bench.e2e import breakdown
from bench.e2e import profile as profiler
from bench.e2e.procs import REPO, cpu_s, stop, tree_cpu_s
from bench.e2e.records import Arrivals, read_sends
from bench.e2e.stack import SERVICES, Infra, Ports, clean_env, start_services, start_sink
from bench.e2e.stats import Send, e2e_latencies, ms, notices_by_issue, percentile

log = logging.getLogger("bench")
HERE = Path(__file__).resolve().parent

# One logged statement: "baton-intake|LOG:  statement: BEGIN" or, for a prepared
# one, "baton-intake|LOG:  execute __asyncpg_stmt_3__: SELECT ...".
_LINE = re.compile(r"^(baton-[a-z]+)\|LOG:\s+(?:statement|execute [^:]*):\s*(.*)$")
_PREFIXED = re.compile(r"^[^\s|]*\|")
_TABLE = re.compile(r"\b(?:FROM|INTO|UPDATE)\s+\"?([a-z_]+)\"?", re.IGNORECASE)


def kind(sql: str) -> str:
    """``SELECT issues``, ``INSERT outbox``, ``BEGIN``: a statement's verb and table."""
    words = sql.split(None, 1)
    if not words:
        return "?"
    verb = words[0].upper().rstrip(";") or ";"  # ";": the pool's ping
    table = _TABLE.search(sql)
    return f"{verb} {table.group(1)}" if table and verb != "BEGIN" else verb


def count_statements(lines: list[str]) -> dict[str, Counter[str]]:
    """Per service, how many statements of each kind the log lines hold (a
    statement's later lines, which carry no prefix, are joined to its first)."""
    out: dict[str, Counter[str]] = {}
    statements: list[tuple[str, str]] = []
    for line in lines:
        found = _LINE.match(line)
        if found:
            statements.append((found.group(1).removeprefix("baton-"), found.group(2)))
        elif statements and not _PREFIXED.match(line):
            service, sql = statements[-1]
            statements[-1] = (service, f"{sql} {line.strip()}")
    for service, sql in statements:
        out.setdefault(service, Counter())[kind(sql)] += 1
    return out


class Postgres:
    """The bench's PostgreSQL, logging every statement while a round runs."""

    def __init__(self, infra: Infra) -> None:
        self.url = infra.start_postgres()
        self.log = (infra.state / "postgres").resolve() / "postgres.log"
        self._offset = 0

    def _sql(self, *statements: str) -> None:
        subprocess.run(
            [str(REPO / ".venv/bin/python"), "-c", _PSQL, self.url, *statements],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def logging(self, on: bool) -> None:
        if on:
            self._sql(
                "ALTER SYSTEM SET log_statement = 'all'",
                "ALTER SYSTEM SET log_line_prefix = '%a|'",
                "SELECT pg_reload_conf()",
            )
        else:
            self._sql(
                "ALTER SYSTEM RESET log_statement",
                "ALTER SYSTEM RESET log_line_prefix",
                "SELECT pg_reload_conf()",
            )

    def mark(self) -> None:
        self._offset = self.log.stat().st_size

    def since_mark(self) -> list[str]:
        with self.log.open("rb") as f:
            f.seek(self._offset)
            return f.read().decode(errors="replace").splitlines()


# Run by this interpreter: asyncpg is in the virtualenv, psql may not be on PATH.
_PSQL = """
import asyncio, sys
import asyncpg
async def main():
    conn = await asyncpg.connect(sys.argv[1])
    for statement in sys.argv[2:]:
        await conn.execute(statement)
    await conn.close()
asyncio.run(main())
"""


def one_round(
    infra: Infra, pg: Postgres, *, name: str, settings: dict[str, str], args: argparse.Namespace
) -> dict[str, Any]:
    run = uuid.uuid4().hex[:6]
    state = REPO / ".run" / "bench" / f"cost-{run}"
    prefix = f"cost{run}."
    arrivals = Arrivals(state / "mails.jsonl")
    sink = start_sink(port=infra.ports.smtp, out=arrivals.path, log=state / "logs/sink.log")
    services = None
    try:
        services = start_services(
            ports=infra.ports,
            kafka=infra.kafka,
            database_url=pg.url,
            prefix=prefix,
            state=state,
            settings=settings,
        )

        def post(tag: str, count: int) -> list[Send]:
            out = state / f"sends-{tag}.jsonl"
            argv = [str(REPO / ".venv/bin/python"), "-m", "bench.e2e.loadgen", "open"]
            argv += ["--url", services.url("intake"), "--key", services.api_key]
            argv += ["--tag", f"{prefix}{tag}", "--rate", str(args.rate)]
            argv += ["--seconds", str(count / args.rate), "--out", str(out)]
            subprocess.run(argv, env=clean_env(), cwd=REPO, check=True, capture_output=True)
            sends = read_sends(out)
            ids = [s.issue_id for s in sends if s.accepted]
            state_ = arrivals.wait_for(ids, stall_s=60, max_s=600, alive=services.check_alive)
            if state_ != "complete":
                raise RuntimeError(f"{name}: {tag} did not complete ({state_})")
            return [s for s in sends if s.accepted]

        post("warmup", args.warmup)
        time.sleep(2)  # the warm-up's last deliveries recorded
        pids = services.pids()
        pg.mark()
        pg_pid = infra.postgres_pid()
        pg0 = tree_cpu_s(pg_pid) if pg_pid else 0.0
        cpu0 = {s: cpu_s(pid) for s, pid in pids.items()}
        started = time.monotonic()
        spies = {
            s: profiler.start(
                pids[s],
                seconds=args.issues / args.rate,
                out=state / f"profile-{s}.txt",
                log=state / "logs" / f"py-spy-{s}.log",
            )
            for s in args.profile
        }
        sends = post("measured", args.issues)
        profiles = {s: profiler.finish(spy, state / f"profile-{s}.txt") for s, spy in spies.items()}
        time.sleep(2)  # and the measured issues' last ones
        seconds = time.monotonic() - started
        cpu = {s: cpu_s(pid) - cpu0[s] for s, pid in pids.items()}
        pg_cpu = tree_cpu_s(pg_pid) - pg0 if pg_pid else None
        statements = count_statements(pg.since_mark())
        issues = len(sends)
        notices = notices_by_issue(arrivals.mails)
        latencies = e2e_latencies(sends, notices)
        urls = {s: services.url(s) for s in SERVICES}
        fetch = breakdown.fetcher(urls, services.api_key, services.token)
        first = {issue: times[0] for issue, times in notices.items()}
        slowest = breakdown.slowest(sends, first, fetch)
        return {
            "variant": name,
            "settings": settings,
            "issues": issues,
            "seconds": round(seconds, 1),
            # POST to the owner's notice at the sink (at this low rate: the pipeline's
            # own latency, not queueing).
            "e2e_ms": {
                "p50": ms(percentile(latencies, 50)),
                "p99": ms(percentile(latencies, 99)),
            },
            "cpu_ms_per_issue": {s: round(1000 * cpu[s] / issues, 1) for s in SERVICES},
            # The server and its backends (with statement logging on, writing that
            # log too: --no-statements leaves it out).
            "postgres_cpu_ms_per_issue": (
                round(1000 * pg_cpu / issues, 1) if pg_cpu is not None else None
            ),
            "statements_per_issue": {
                s: round(sum(statements.get(s, Counter()).values()) / issues, 2) for s in SERVICES
            },
            "statements_by_kind": {
                s: dict(statements.get(s, Counter()).most_common()) for s in SERVICES
            },
            "e2e_by_window": by_window(sends, notices),
            "profiles": profiles,
            "slowest": slowest,
        }
    finally:
        if services is not None:
            services.stop()
        stop([sink])


WINDOW_S = 5.0


def by_window(sends: list[Send], notices: dict[str, list[float]]) -> list[dict[str, Any]]:
    """e2e p50 and p99 of the issues sent in each window of WINDOW_S seconds: a
    transient (a stall of a few seconds) shows in one window, a queue in all."""
    if not sends:
        return []
    t0 = min(s.intended for s in sends)
    windows: dict[int, list[float]] = {}
    for s in sends:
        if s.issue_id in notices:
            windows.setdefault(int((s.intended - t0) // WINDOW_S), []).append(
                notices[s.issue_id][0] - s.intended
            )
    return [
        {
            "from_s": i * WINDOW_S,
            "issues": len(found),
            "p50_ms": ms(percentile(found, 50)),
            "p99_ms": ms(percentile(found, 99)),
        }
        for i, found in sorted(windows.items())
    ]


def report(rounds: list[dict[str, Any]], args: argparse.Namespace) -> str:
    lines = [
        "# What one issue costs",
        "",
        f"{args.issues} issues at {args.rate:g}/s per round, PostgreSQL, rounds alternating "
        f"between variants (`python -m bench.e2e.cost`).",
        "",
        "| variant | round | " + " | ".join(SERVICES) + " | CPU ms per issue | statements "
        "| PostgreSQL CPU ms per issue | e2e p50 / p99 |",
        "|---|---:|" + "---:|" * (len(SERVICES) + 4),
    ]
    for i, r in enumerate(rounds, 1):
        cpu, st = r["cpu_ms_per_issue"], r["statements_per_issue"]
        cells = " | ".join(f"{cpu[s]:.1f} ms, {st[s]:.1f}" for s in SERVICES)
        total = sum(cpu.values())
        e2e = r.get("e2e_ms", {})
        lines.append(
            f"| {r['variant']} | {i} | {cells} | {total:.1f} | {sum(st.values()):.1f} "
            f"| {r.get('postgres_cpu_ms_per_issue')} | {e2e.get('p50')} / {e2e.get('p99')} ms |"
        )
    last = rounds[-1]
    lines += ["", f"Statements per issue by kind, round {len(rounds)} ({last['variant']}):", ""]
    for s in SERVICES:
        kinds = ", ".join(
            f"{k} {n / last['issues']:.2f}" for k, n in last["statements_by_kind"][s].items()
        )
        lines.append(f"- **{s}**: {kinds}")
    if last.get("e2e_by_window"):
        lines += [
            "",
            f"e2e p50 / p99 by when the issue was sent, round {len(rounds)} (ms, windows of "
            f"{WINDOW_S:g} s):",
            "",
            ", ".join(
                f"{w['from_s']:g} s: {w['p50_ms']:.0f} / {w['p99_ms']:.0f}"
                for w in last["e2e_by_window"]
            ),
        ]
    if last.get("slowest"):
        lines += [
            "",
            f"The slowest issues of round {len(rounds)}, hop by hop (ms; the hops as in "
            "breakdown.py: POST, intake to routing, routing to ownership, ownership to "
            "notifications, delivery to the sink):",
            "",
            "| sent at (s) | e2e | " + " | ".join(f"hop {i + 1}" for i in range(5)) + " |",
            "|---:|---:|" + "---:|" * 5,
        ]
        for row in last["slowest"]:
            hops = " | ".join(f"{h:.0f}" for h in row["hops_ms"])
            lines.append(f"| {row['sent_s']} | {row['e2e_ms']:.0f} | {hops} |")
    for s, found in last.get("profiles", {}).items():
        if "by_library_percent" not in found:
            lines += ["", f"py-spy on {s}: {found}"]
            continue
        lines += ["", f"Where {s}'s CPU went (py-spy, {found['samples']} samples, round "
                  f"{len(rounds)}), by library: " + ", ".join(
                      f"{k} {v} %" for k, v in found["by_library_percent"]),
                  "", "Top functions: " + ", ".join(
                      f"`{k}` {v} %" for k, v in found["top_functions_percent"])]  # fmt: skip
    return "\n".join(lines) + "\n"


def _variant(text: str) -> tuple[str, dict[str, str]]:
    name, _, rest = text.partition("=")
    settings = {}
    for item in rest.split(","):
        if item.strip():
            key, _, value = item.partition("=")
            settings[key.strip()] = value.strip()
    return name, settings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issues", type=int, default=300)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=1, help="rounds of every variant")
    parser.add_argument(
        "--variant",
        action="append",
        type=_variant,
        help="NAME=BATON_X=v,BATON_Y=w (repeatable; default: one variant, defaults only)",
    )
    parser.add_argument(
        "--profile",
        type=lambda text: [x for x in text.split(",") if x],
        default=[],
        help="services to sample with py-spy while the measured issues run (comma-separated)",
    )
    parser.add_argument(
        "--no-statements",
        action="store_true",
        help="count no statements: PostgreSQL's CPU then includes no logging of them",
    )
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    variants = args.variant or [("defaults", {})]
    infra = Infra(REPO / ".run" / "bench", Ports.from_env())
    rounds: list[dict[str, Any]] = []
    try:
        infra.start_kafka()
        pg = Postgres(infra)
        pg.logging(not args.no_statements)
        try:
            for _ in range(args.rounds):
                for name, settings in variants:
                    result = one_round(infra, pg, name=name, settings=settings, args=args)
                    log.info(
                        "%s: %.1f ms of CPU and %.1f statements per issue; PostgreSQL %s ms",
                        name,
                        sum(result["cpu_ms_per_issue"].values()),
                        sum(result["statements_per_issue"].values()),
                        result["postgres_cpu_ms_per_issue"],
                    )
                    rounds.append(result)
        finally:
            pg.logging(False)
    finally:
        infra.stop()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "cost.json").write_text(json.dumps(rounds, indent=2) + "\n")
    (args.out / "cost.md").write_text(report(rounds, args))
    print(report(rounds, args))


if __name__ == "__main__":
    main()
