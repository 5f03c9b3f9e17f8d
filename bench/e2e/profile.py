"""Where one service's CPU goes under load: py-spy attached to its process
(sampling from outside, ``--nonblocking`` so the service is never paused), and
a summary of the collapsed stacks it wrote.

Two views of the samples: by library (each sample charged to the innermost
frame that belongs to a known library, i.e. who was running), and by step of
Baton's kernel (a sample counts for every step on its stack, so these overlap).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from bench.e2e.procs import Proc, spawn
from bench.e2e.stack import clean_env

RATE_HZ = 100

# (label, pattern on a frame's "function (file:line)"), innermost match wins.
LIBRARIES = [
    ("event loop in epoll: just woken, or ready and waiting for a CPU", r"select \(selectors\.py"),
    ("SQLite (aiosqlite's thread)", r"aiosqlite/|sqlite3"),
    ("PostgreSQL driver (asyncpg)", r"asyncpg/"),
    ("SQLAlchemy / SQLModel", r"sqlalchemy/|sqlmodel/"),
    ("Kafka client (aiokafka)", r"aiokafka/|kafka/"),
    ("SMTP client (aiosmtplib)", r"aiosmtplib/"),
    ("email (stdlib)", r"/email/|^[^(]*\(email/"),
    ("templates (Jinja2)", r"jinja2/"),
    ("pydantic", r"pydantic"),
    ("OpenTelemetry (spans, metrics)", r"opentelemetry/"),
    ("HTTP server (uvicorn, starlette, fastapi)", r"uvicorn/|starlette/|fastapi/|h11/|httptools/"),
    ("logging", r"logging/"),
    ("json", r"json/"),
    ("Baton's own code", r"baton_"),
    ("asyncio event loop", r"asyncio/|selectors\.py"),
]

# (label, pattern): a sample counts when any frame of its stack matches.
STEPS = [
    ("consumer: a partition's batch (claims, effects, one commit)",
     r"_partition \(baton_runtime/kafka/consumer\.py"),
    ("consumer: offset commit after each batch",
     r"_commit_offsets \(baton_runtime/kafka/consumer\.py"),
    ("database transaction commit", r"\.commit \(sqlalchemy/"),
    ("outbox relay pass (publish_pending)", r"publish_pending \(baton_runtime/outbox\.py"),
    ("  of which: the batch's sends, and waiting for the broker's acks",
     r"publish_many \(baton_runtime/kafka/producer\.py"),
    ("notifications: delivery dispatcher", r"dispatch_due \(baton_notifications/"),
    ("  of which: SMTP (connections reused)", r"aiosmtplib/"),
    ("HTTP request (POST /v1/issues and the rest)", r"run_asgi \(uvicorn/"),
    ("OpenTelemetry spans and metrics", r"opentelemetry/"),
    ("logging", r"logging/"),
]  # fmt: skip


def start(pid: int, *, seconds: float, out: Path, log: Path) -> Proc:
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
    argv = [
        spy,
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(int(seconds)),
        "--rate",
        str(RATE_HZ),
        "--nonblocking",
        "--format",
        "raw",
        "--output",
        str(out),
    ]
    return spawn("py-spy", argv, env=clean_env(), log=log)


def finish(spy: Proc, raw: Path) -> dict[str, Any]:
    try:
        spy.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        spy.process.kill()
    if spy.process.returncode != 0 or not raw.exists():
        return {"error": f"py-spy failed (ptrace allowed?):\n{spy.log_tail(10)}"}
    return summarize(read_collapsed(raw))


def read_collapsed(path: Path) -> Counter[tuple[str, ...]]:
    """py-spy's raw output: one stack per line, root first, frames joined by ';',
    then the number of samples."""
    stacks: Counter[tuple[str, ...]] = Counter()
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[tuple(stack.split(";"))] += int(count)
    return stacks


def summarize(stacks: Counter[tuple[str, ...]], top: int = 8) -> dict[str, Any]:
    total = sum(stacks.values())
    if not total:
        return {"samples": 0}
    libraries: Counter[str] = Counter()
    steps: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    for stack, n in stacks.items():
        libraries[_library(stack)] += n
        leaves[_short(stack[-1])] += n
        for label, pattern in STEPS:
            if any(re.search(pattern, frame) for frame in stack):
                steps[label] += n

    def share(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(k, round(100 * v / total, 1)) for k, v in counter.most_common()]

    return {
        "samples": total,
        "by_library_percent": share(libraries),
        "by_step_percent": [(label, dict(share(steps)).get(label, 0.0)) for label, _ in STEPS],
        "top_functions_percent": share(leaves)[:top],
    }


# uvloop's loop is C, which py-spy does not see: a sample whose innermost Python
# frame is the one that started the loop was in the loop itself (epoll, or ready
# and waiting for a CPU, or the loop's own work).
UVLOOP_IDLE = (
    "event loop (uvloop, in C): epoll, ready and waiting for a CPU, or its own work",
    r"^(Runner\.)?run \(asyncio/runners\.py|\(uvloop/",
)


def _library(stack: tuple[str, ...]) -> str:
    if stack and re.search(UVLOOP_IDLE[1], stack[-1]):
        return UVLOOP_IDLE[0]
    for frame in reversed(stack):
        for label, pattern in LIBRARIES:
            if re.search(pattern, frame):
                return label
    return "other"


def _short(frame: str) -> str:
    """ "name (path/to/file.py:12)" -> "name (file.py)"."""
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit('/', 1)[-1].split(':')[0]})" if where else name
