"""A dependency that is down makes messages wait, never dead-letters them; a
consumer loop that dies is restarted, and one that cannot be kept running says so.
Over a real broker, with the kernel's ConsumerRunner as every service runs it."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from baton_contracts import Envelope
from baton_contracts.topics import dlq
from baton_runtime.kafka import ConsumerRunner, EventProducer, ensure_topics
from baton_runtime.kafka import consumer as consumer_module
from sqlalchemy.exc import OperationalError

from conftest import reopened
from tests.integration.conftest import eventually, read_topic

pytestmark = pytest.mark.integration


async def runner_for(infra, producer, topic: str, handler) -> ConsumerRunner:
    runner = ConsumerRunner(
        topic=topic,
        group_id=f"g-{uuid.uuid4().hex[:6]}",
        handler=handler,
        producer=producer,
        kafka=infra.kafka,
        service="tests",
        max_attempts=2,
        retry_backoff_s=0.05,
        session_timeout_ms=6000,
        heartbeat_interval_ms=1000,
    )
    await runner.start()
    return runner


async def test_a_database_outage_makes_messages_wait_then_they_are_handled_in_order(
    infra, producer: EventProducer
):
    topic = f"faults{uuid.uuid4().hex[:8]}"
    await ensure_topics(infra.kafka, [topic, dlq(topic)], partitions=1)
    handled: list[int] = []
    outage = {"left": 4}
    seen_waiting: list[dict[str, str]] = []

    async def handler(envelope: Envelope) -> None:
        if outage["left"]:
            outage["left"] -= 1
            seen_waiting.append(dict(runner.waiting))
            raise OperationalError("UPDATE", {}, ConnectionRefusedError(111, "refused"))
        handled.append(envelope.payload().version)  # type: ignore[attr-defined]

    runner = await runner_for(infra, producer, topic, handler)
    try:
        for n in (1, 2, 3):
            await producer.publish(topic, reopened(n))

        async def all_handled():
            return handled if len(handled) == 3 else None

        await eventually(all_handled, timeout_s=45, what="the messages after the outage")
        assert runner.waiting == {}
    finally:
        await runner.stop()
    assert handled == [1, 2, 3]  # in order, none skipped
    # While the database was away the partition was shown as waiting (readiness 503).
    assert any(f"{topic}[0]" in w for w in seen_waiting[1:])
    assert await read_topic(infra.kafka, dlq(topic)) == []  # nothing dead-lettered


async def test_a_loop_that_keeps_dying_is_restarted_then_reported_dead(
    infra, producer: EventProducer, monkeypatch
):
    topic = f"faults{uuid.uuid4().hex[:8]}"
    await ensure_topics(infra.kafka, [topic, dlq(topic)], partitions=1)
    monkeypatch.setattr(consumer_module, "WAIT_FIRST_S", 0.01)

    async def handler(_envelope: Envelope) -> None:
        return None

    runner = await runner_for(infra, producer, topic, handler)
    calls = {"n": 0}

    async def broken_getmany(*args, **kwargs):
        calls["n"] += 1
        raise RuntimeError("a bug in the loop")

    monkeypatch.setattr(runner._consumer, "getmany", broken_getmany)
    try:
        for _ in range(200):
            if runner.dead:
                break
            await asyncio.sleep(0.05)
    finally:
        await runner.stop()
    assert runner.dead
    assert calls["n"] == consumer_module.RESTARTS_BEFORE_DEAD  # restarted, then given up
