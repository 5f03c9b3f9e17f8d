"""Liveness fails once a consumer loop cannot be kept running; readiness says when
a consumer waits for a dependency."""

from __future__ import annotations

import httpx
from baton_runtime.service import Runtime
from baton_runtime.settings import ServiceSettings


class FakeConsumer:
    topics = ("issues.routed", "issues.feedback")
    running = True
    dead = False
    waiting: dict[str, str] = {}


async def test_liveness_and_readiness_follow_the_consumers(tmp_path):
    runtime = Runtime(
        name="t",
        settings=ServiceSettings(
            environment="development", auth_mode="header", state_dir=str(tmp_path)
        ),
        migrations_dir=tmp_path,
    )
    app = runtime.app(title="t", routers=[])
    consumer = FakeConsumer()
    runtime.consumers.append(consumer)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        assert (await http.get("/healthz")).status_code == 200
        consumer.waiting = {"issues.routed[2]": "OperationalError"}
        checks = (await runtime.ready())["consumers"]
        assert checks == "waiting for a dependency: issues.routed[2] (OperationalError)"
        consumer.running = False  # the one loop for both topics stopped: both stopped
        assert (await runtime.ready())["consumers"] == "stopped: issues.routed, issues.feedback"
        consumer.dead = True
        dead = await http.get("/healthz")
    assert dead.status_code == 503 and dead.json() == {"status": "consumer loop down"}
    await runtime.db.dispose()
