"""A service reads all its topics through one Kafka consumer: one member of its
group, one fetch loop, each record handled by its own topic's handler and, when it
fails, dead-lettered to its own topic's DLQ."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import (
    ConsumerProtocolMemberAssignment,
    ConsumerProtocolMemberMetadata,
)
from baton_contracts import (
    Envelope,
    EventParseError,
    IssueAcknowledged,
    IssueReopened,
    event_type,
)
from baton_contracts.topics import (
    DEPARTMENTS,
    ISSUES_FEEDBACK,
    ISSUES_ROUTED,
    NOTIFICATIONS_DELIVERIES,
    dlq,
)
from baton_runtime.db import Database
from baton_runtime.kafka import ConsumerRunner, EventProducer, ensure_topics
from baton_runtime.kafka.producer import Outgoing

from conftest import reopened
from tests.integration.conftest import eventually, read_topic
from tests.integration.stack import SERVICES

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Member:
    client_id: str
    subscription: frozenset[str]
    assigned: frozenset[tuple[str, int]]


async def members(kafka: str, group: str) -> list[Member] | None:
    """The members of a stable ``group`` as the broker sees them (None: not stable)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        [response] = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    [(_error, _group, state, _ptype, _protocol, found, *_)] = response.groups
    if state != "Stable":
        return None
    out = []
    for _member_id, client_id, _host, metadata, assignment in found:
        subscription = ConsumerProtocolMemberMetadata.decode(metadata).subscription
        parts = ConsumerProtocolMemberAssignment.decode(assignment).partitions()
        assigned = frozenset((p.topic, p.partition) for p in parts)
        out.append(Member(client_id, frozenset(subscription), assigned))
    return out


async def test_one_consumer_reads_several_topics_each_to_its_handler_and_dlq(
    infra, producer: EventProducer
):
    run = uuid.uuid4().hex[:8]
    first, second, raw = f"one{run}.a", f"one{run}.b", f"one{run}.raw"
    topics = [first, second, raw]
    await ensure_topics(infra.kafka, topics + [dlq(t) for t in topics], partitions=2)
    # Sets: a batch given up (at 13) is handled again one by one, and in-memory
    # effects, unlike a handler's database effects, are not rolled back.
    handled: dict[str, set[int]] = {first: set(), second: set()}
    raw_seen: list[bytes] = []

    async def on_first(envelope: Envelope) -> None:
        version = envelope.payload().version  # type: ignore[attr-defined]
        if version == 13:
            raise RuntimeError("thirteen is refused")  # retried, then dead-lettered
        handled[first].add(version)

    async def on_second(envelope: Envelope) -> None:
        handled[second].add(envelope.payload().version)  # type: ignore[attr-defined]

    async def on_raw(record: ConsumerRecord[bytes, bytes]) -> None:
        if not record.value or not record.value.startswith(b"ok"):
            raise EventParseError("not ours")
        raw_seen.append(record.value)

    db = Database(infra.database_url)  # batches as units of work, partitions concurrently
    group = f"g-{run}"
    runner = ConsumerRunner(
        group_id=group,
        handlers={first: on_first, second: on_second},
        raw_handlers={raw: on_raw},
        producer=producer,
        kafka=infra.kafka,
        service="tests",
        max_attempts=2,
        retry_backoff_s=0.05,
        session_timeout_ms=6000,
        heartbeat_interval_ms=1000,
        db=db,
    )
    await runner.start()
    try:
        # One member, holding every partition of the three topics.
        [member] = await eventually(lambda: members(infra.kafka, group), what="a stable group")
        assert member.client_id == "tests-consumer"
        assert member.subscription == set(topics)
        assert member.assigned == {(t, p) for t in topics for p in (0, 1)}

        for n in (1, 2, 13, 3):
            await producer.publish(first, reopened(n))
        await producer.send_raw(second, key="poison-b", value=b'{"specversion": "1.0", "oops"')
        for n in (21, 22):
            await producer.publish(second, reopened(n))
        await producer.send_raw(raw, key="raw-1", value=b"ok 1")
        await producer.send_raw(raw, key="poison-raw", value=b"garbage")

        async def all_handled():
            return (handled == {first: {1, 2, 3}, second: {21, 22}} and raw_seen) or None

        await eventually(all_handled, what="every topic's messages")

        async def dead_letters():
            found = {t: await read_topic(infra.kafka, dlq(t)) for t in topics}
            return found if all(found.values()) else None

        dead = await eventually(dead_letters, what="a dead letter on each topic's DLQ")
    finally:
        await runner.stop()
        await db.dispose()
    assert raw_seen == [b"ok 1"]  # the raw topic's records went to its raw handler alone
    # Each failure went to its own topic's DLQ, once, saying why.
    for topic, reason in (
        (first, "RuntimeError: thirteen is refused"),
        (second, "not a CloudEvents envelope"),
        (raw, "EventParseError: not ours"),
    ):
        [record] = dead[topic]
        headers = {k: v.decode() for k, v in record.headers}
        assert headers["baton.dlq.topic"] == topic
        assert reason in headers["baton.dlq.reason"]


# What ownership reads (services/ownership/src/baton_ownership/app.py).
OWNERSHIP_TOPICS = {DEPARTMENTS, ISSUES_ROUTED, NOTIFICATIONS_DELIVERIES, ISSUES_FEEDBACK}


async def test_every_service_is_one_member_of_its_group_reading_all_its_topics(stack):
    for service in SERVICES:
        group = f"{stack.prefix}baton-{service}"
        [member] = await eventually(
            lambda group=group: members(stack.kafka, group), what=f"{service}'s group"
        )
        assert member.client_id == f"{service}-consumer"
        assert len(member.subscription) >= 2, member  # each service reads several topics
        # Alone in its group, it holds every partition of every topic it reads.
        assert {topic for topic, _ in member.assigned} == member.subscription
        if service == "ownership":
            assert member.subscription == {stack.topic(t) for t in OWNERSHIP_TOPICS}


async def committed(kafka: str, group: str, topic: str) -> int | None:
    """The offset ``group`` committed on ``topic``'s partition 0 (None: none yet)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    found = offsets.get(TopicPartition(topic, 0))
    return found.offset if found is not None and found.offset >= 0 else None


async def test_events_carry_their_type_and_a_consumer_passes_over_the_types_it_does_not_take(
    infra, producer: EventProducer
):
    run = uuid.uuid4().hex[:8]
    topic = f"types{run}"
    await ensure_topics(infra.kafka, [topic, dlq(topic)], partitions=1)
    ack = Envelope.wrap(
        source="/tests",
        data=IssueAcknowledged(
            issue_id="i-2", department="it", owner_id="it-kofi", actor_id="it-kofi",
            version=2, at=datetime.now(UTC),
        ),
    )  # fmt: skip
    # Both ways the kernel publishes: at once, and as the outbox's relay does.
    await producer.publish(topic, reopened(1))
    await producer.publish_many(
        [Outgoing(topic, e.subject, e.to_json(), e.id, e.type) for e in (ack, reopened(3), ack)]
    )
    records = await read_topic(infra.kafka, topic)
    assert [dict(r.headers)["baton.event_type"].decode() for r in records] == [
        event_type(IssueReopened), event_type(IssueAcknowledged),
        event_type(IssueReopened), event_type(IssueAcknowledged),
    ]  # fmt: skip

    handled: list[int] = []

    async def on_reopened(envelope: Envelope) -> None:
        reopened_ = envelope.payload()
        assert isinstance(reopened_, IssueReopened), "handed a type it does not take"
        handled.append(reopened_.version)

    group = f"g-{run}"
    db = Database(infra.database_url)
    runner = ConsumerRunner(
        group_id=group, handlers={topic: on_reopened},
        types={topic: [event_type(IssueReopened)]}, producer=producer, kafka=infra.kafka,
        service="tests", session_timeout_ms=6000, heartbeat_interval_ms=1000, db=db,
    )  # fmt: skip
    await runner.start()
    try:

        async def all_committed() -> bool | None:
            # Past the last record, which it passed over.
            return await committed(infra.kafka, group, topic) == len(records) or None

        await eventually(all_committed, what="the end committed")
    finally:
        await runner.stop()
        await db.dispose()
    assert handled == [1, 3]
    assert await read_topic(infra.kafka, dlq(topic)) == []
