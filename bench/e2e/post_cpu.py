"""What one ``POST /v1/issues`` costs intake's process in CPU, with nothing else
running: intake's app called in-process through ASGI (no HTTP parsing, no
Kafka: the outbox is written, nothing relays it), on a SQLite database of its
own. The CPU is the process's, the database's thread included.

    .venv/bin/python -m bench.e2e.post_cpu [--posts 2000] [--no-instrumentation]

``--no-instrumentation`` leaves out OpenTelemetry's FastAPI middleware (what it
costs a request); run both alternately and compare. Run it under
``py-spy record --format raw`` to see where a request's CPU goes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MIGRATIONS = REPO / "services" / "intake" / "src" / "baton_intake" / "migrations"


def _report(n: int) -> bytes:
    return json.dumps({
        "channel": "agent", "reporter": {"kind": "customer", "id": f"cust-{n}"},
        "subject": f"Invoice {n} charged twice",
        "description": "I was charged twice for my invoice this month, please refund it.",
    }).encode()  # fmt: skip


async def _post(app: object, key: str, n: int) -> None:
    body = _report(n)
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/v1/issues", "raw_path": b"/v1/issues", "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 50000), "server": ("bench", 80), "state": {},
        "headers": [(b"host", b"bench"), (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"authorization", f"Bearer {key}".encode())],
    }  # fmt: skip
    given = False

    async def receive() -> dict[str, object]:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client never disconnects
        raise AssertionError

    status: list[int] = []

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.start":
            status.append(int(message["status"]))  # type: ignore[call-overload]

    await app(scope, receive, send)  # type: ignore[operator]
    if status[0] not in (201, 202):
        raise SystemExit(f"POST answered {status[0]}")


async def _run(posts: int, instrumented: bool) -> float:
    if not instrumented:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app = staticmethod(lambda *a, **k: None)  # type: ignore[method-assign]
    from baton_intake.app import create_app
    from baton_intake.auth import service as keys
    from baton_intake.settings import Settings
    from baton_runtime import migrations

    url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/intake.db"
    migrations.upgrade(MIGRATIONS, url)
    app = create_app(Settings(database_url=url, topic_prefix="bench."))
    runtime = app.state.runtime
    async with runtime.db.transaction() as session:
        _, key = await keys.create(session=session, name="bench", scopes=["intake:write"])
    for n in range(300):  # warm-up: caches, prepared statements, the key's check
        await _post(app, key, n)
    cpu = time.process_time()
    for n in range(300, 300 + posts):
        await _post(app, key, n)
    spent = time.process_time() - cpu
    await runtime.db.dispose()
    return 1000 * spent / posts


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--posts", type=int, default=2000)
    p.add_argument("--no-instrumentation", action="store_true")
    args = p.parse_args()
    # The development header mode spares the bench an identity provider; an API
    # key is what it checks, as the e2e bench's load does.
    os.environ.setdefault("BATON_ENVIRONMENT", "development")
    os.environ.setdefault("BATON_AUTH_MODE", "header")
    ms = asyncio.run(_run(args.posts, not args.no_instrumentation))
    print(f"{ms:.2f} ms of CPU per POST /v1/issues ({args.posts} posts)")


if __name__ == "__main__":
    main()
