"""One consumer reads all of a service's topics: each record goes to its own
topic's handler, and a failed one to its own topic's DLQ. The broker is a fake
here (tests/integration/test_one_consumer.py runs the same over Kafka)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from aiokafka import ConsumerRecord, TopicPartition
from baton_contracts import (
    Envelope,
    EventParseError,
    IssueAcknowledged,
    IssueReopened,
    IssueRouted,
    IssueRoutedV1,
    Person,
    event_type,
    parse_event,
)
from baton_runtime import metrics
from baton_runtime.db import Database
from baton_runtime.idempotency import handle_once
from baton_runtime.kafka import ConsumerRunner
from baton_runtime.kafka.consumer import PASSED_OVER
from baton_runtime.service import Runtime
from baton_runtime.settings import ServiceSettings

from conftest import reopened

ROUTED, FEEDBACK, INBOUND = "issues.routed", "issues.feedback", "issues.inbound"


def record(
    topic: str, offset: int, value: bytes, partition: int = 0, headers: list | None = None
) -> ConsumerRecord:
    return ConsumerRecord(
        topic, partition, offset, 0, 0, b"issue-1", value, None, 7, len(value), headers or []
    )  # fmt: skip


def event(n: int) -> bytes:
    return reopened(n).model_dump_json().encode()


class FakeBroker:
    """Stands in for the AIOKafkaConsumer: hands out the given polls, once each."""

    def __init__(self, polls: list[list[ConsumerRecord]]) -> None:
        self.polls = [_grouped(poll) for poll in polls]
        self.committed: dict[TopicPartition, int] = {}

    def assignment(self) -> set[TopicPartition]:
        return {tp for poll in self.polls for tp in poll}

    async def getmany(self, *, timeout_ms: int, max_records: int):
        if self.polls:
            return self.polls.pop(0)
        await asyncio.sleep(0.01)
        return {}

    async def commit(self, offsets) -> None:
        self.committed |= {tp: o.offset for tp, o in offsets.items()}

    async def stop(self) -> None:
        return None


def _grouped(poll: list[ConsumerRecord]) -> dict[TopicPartition, list[ConsumerRecord]]:
    grouped: dict[TopicPartition, list[ConsumerRecord]] = {}
    for r in poll:
        grouped.setdefault(TopicPartition(r.topic, r.partition), []).append(r)
    return grouped


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, str]]] = []

    async def send_raw(self, topic: str, *, key, value, headers) -> None:
        self.sent.append((topic, {k: v.decode() for k, v in headers}))


async def run(runner: ConsumerRunner, broker: FakeBroker, until) -> None:
    """Run the runner's loop over ``broker`` until ``until()``, then stop it."""
    runner._consumer = broker  # type: ignore[assignment]
    runner._task = asyncio.create_task(runner._supervise())
    for _ in range(300):
        if until():
            break
        await asyncio.sleep(0.01)
    await runner.stop()


async def test_each_record_goes_to_its_own_topics_handler_and_dlq():
    seen: dict[str, list] = {ROUTED: [], FEEDBACK: [], INBOUND: []}

    async def on_routed(envelope: Envelope) -> None:
        seen[ROUTED].append(envelope.payload().version)  # type: ignore[attr-defined]

    async def on_feedback(envelope: Envelope) -> None:
        seen[FEEDBACK].append(envelope.payload().version)  # type: ignore[attr-defined]

    async def on_inbound(raw: ConsumerRecord) -> None:
        if raw.value == b"not an event":
            raise EventParseError("no CloudEvent")
        seen[INBOUND].append(json.loads(raw.value))

    producer = FakeProducer()
    runner = ConsumerRunner(
        group_id="baton-t",
        handlers={ROUTED: on_routed, FEEDBACK: on_feedback},
        raw_handlers={INBOUND: on_inbound},
        producer=producer,  # type: ignore[arg-type]
        kafka="localhost:1",
        service="t",
    )
    assert runner.topics == (ROUTED, FEEDBACK, INBOUND)
    assert runner._consumer_options["client_id"] == "t-consumer"
    broker = FakeBroker(
        [
            [
                record(ROUTED, 0, event(1)),
                record(FEEDBACK, 0, event(2)),
                record(INBOUND, 0, b'{"n": 3}'),
                record(ROUTED, 0, event(4), partition=1),
            ],
            [
                record(FEEDBACK, 1, b'{"specversion": "1.0", "oops"'),  # unparseable
                record(INBOUND, 1, b"not an event"),  # its handler refuses it
                record(ROUTED, 1, event(5)),
            ],
        ]
    )
    await run(runner, broker, lambda: len(producer.sent) == 2 and len(seen[ROUTED]) == 3)

    assert seen == {ROUTED: [1, 4, 5], FEEDBACK: [2], INBOUND: [{"n": 3}]}
    dead = {topic: headers["baton.dlq.topic"] for topic, headers in producer.sent}
    assert dead == {"issues.feedback.dlq": FEEDBACK, "issues.inbound.dlq": INBOUND}
    assert "not a CloudEvents envelope" in producer.sent[0][1]["baton.dlq.reason"]
    # Every partition of every topic moved past what it handled or dead-lettered.
    assert broker.committed == {
        TopicPartition(ROUTED, 0): 2, TopicPartition(ROUTED, 1): 1,
        TopicPartition(FEEDBACK, 0): 2, TopicPartition(INBOUND, 0): 2,
    }  # fmt: skip


async def test_stop_drops_the_lag_of_its_topics_only():
    async def nothing(_envelope: Envelope) -> None:
        return None

    runner = ConsumerRunner(
        group_id="g", handlers={ROUTED: nothing, FEEDBACK: nothing},
        producer=FakeProducer(), kafka="localhost:1", service="t",  # type: ignore[arg-type]
    )  # fmt: skip
    metrics.gauges.lag = {("g", ROUTED, 0): 3, ("g", FEEDBACK, 1): 1, ("g", INBOUND, 0): 2}
    await runner.stop()
    assert metrics.gauges.lag == {("g", INBOUND, 0): 2}
    metrics.gauges.lag = {}


def test_the_one_topic_form_still_works_and_a_topic_has_one_handler():
    async def nothing(_envelope: Envelope) -> None:
        return None

    common = {"group_id": "g", "producer": FakeProducer(), "kafka": "localhost:1", "service": "t"}
    one = ConsumerRunner(topic=ROUTED, handler=nothing, **common)  # type: ignore[arg-type]
    assert one.topics == (ROUTED,)
    assert one._consumer_options["client_id"] == "t-issues.routed"  # named as ever
    with pytest.raises(ValueError):
        ConsumerRunner(**common)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ConsumerRunner(
            handlers={ROUTED: nothing},
            raw_handlers={ROUTED: nothing},
            **common,  # type: ignore[arg-type,dict-item]
        )
    with pytest.raises(ValueError):
        ConsumerRunner(topic=ROUTED, **common)  # type: ignore[arg-type]


EFFECTS = sa.Table("effects", sa.MetaData(), sa.Column("event", sa.Text, primary_key=True))


@pytest.fixture
async def db(db):
    async with db.engine.begin() as conn:
        await conn.run_sync(EFFECTS.metadata.create_all)
    return db


def recording_handler(db: Database, *, fail_once: int | None = None):
    """Each event's effect a row, written once (``handle_once``); ``fail_once``: the
    event with that version fails its first time."""
    failed: list[int] = []

    async def handle(envelope: Envelope) -> None:
        version = envelope.payload().version  # type: ignore[attr-defined]
        if version == fail_once and not failed:
            failed.append(version)
            raise RuntimeError("a handler's bug, once")

        async def effect(session) -> None:
            await session.exec(EFFECTS.insert().values(event=f"v{version}"))

        await handle_once(db, envelope.id, effect)

    return handle


async def effects(db: Database) -> list[str]:
    async with db.engine.connect() as conn:
        return sorted((await conn.execute(sa.select(EFFECTS.c.event))).scalars())


def poll_from_three_partitions_of_two_topics() -> list[ConsumerRecord]:
    return [
        record(ROUTED, 0, event(1), partition=0),
        record(ROUTED, 0, event(2), partition=1),
        record(FEEDBACK, 0, event(3), partition=0),
        record(ROUTED, 1, event(4), partition=1),  # after 2, in its partition
        record(ROUTED, 1, event(5), partition=0),  # after 1
    ]


def runner_over(db: Database) -> ConsumerRunner:
    handler = recording_handler(db)
    return ConsumerRunner(
        group_id="g", handlers={ROUTED: handler, FEEDBACK: handler},
        producer=FakeProducer(), kafka="localhost:1", service="t", db=db,  # type: ignore[arg-type]
    )  # fmt: skip


async def test_a_poll_from_several_partitions_and_topics_is_one_transaction(db):
    runner = runner_over(db)
    commits: list[object] = []
    sa.event.listen(db.engine.sync_engine, "commit", commits.append)
    broker = FakeBroker([poll_from_three_partitions_of_two_topics()])
    await run(runner, broker, lambda: bool(broker.committed))

    assert await effects(db) == ["v1", "v2", "v3", "v4", "v5"]
    assert len(commits) == 1  # one transaction for three partitions of two topics
    assert broker.committed == {
        TopicPartition(ROUTED, 0): 2, TopicPartition(ROUTED, 1): 2,
        TopicPartition(FEEDBACK, 0): 1,
    }  # fmt: skip


async def test_a_failure_in_a_poll_leaves_each_partition_to_its_own_and_nothing_twice(db):
    handler = recording_handler(db, fail_once=4)  # partition 1's second record
    runner = ConsumerRunner(
        group_id="g", handlers={ROUTED: handler, FEEDBACK: handler},
        producer=FakeProducer(), kafka="localhost:1", service="t", db=db,  # type: ignore[arg-type]
        retry_backoff_s=0.01,
    )  # fmt: skip
    broker = FakeBroker([poll_from_three_partitions_of_two_topics()])
    await run(runner, broker, lambda: len(broker.committed) == 3)

    # The poll's transaction rolled back; each partition then went on its own, the
    # failing one message by message (retried once): every effect exactly once.
    assert await effects(db) == ["v1", "v2", "v3", "v4", "v5"]
    assert broker.committed[TopicPartition(ROUTED, 1)] == 2


async def test_a_poll_repeating_an_event_handled_before_applies_the_rest_once(db):
    # The poll's claims are staged (one INSERT at the commit); event 3 was handled
    # before (a redelivery), so that commit fails, and the poll goes again with
    # claims as they come: event 3 is skipped, the others take effect once.
    runner = runner_over(db)
    poll = poll_from_three_partitions_of_two_topics()
    earlier = recording_handler(db)
    await earlier(parse_event(poll[2].value))
    commits: list[object] = []
    sa.event.listen(db.engine.sync_engine, "commit", commits.append)
    broker = FakeBroker([poll])
    await run(runner, broker, lambda: bool(broker.committed))

    assert await effects(db) == ["v1", "v2", "v3", "v4", "v5"]
    assert len(commits) == 1  # the retry's: the first try's commit failed
    assert broker.committed[TopicPartition(FEEDBACK, 0)] == 1


def typed(topic: str, offset: int, envelope: Envelope, partition: int = 0) -> ConsumerRecord:
    """A record as the kernel's producer sends it: its type in a header too."""
    header = [("baton.event_type", envelope.type.encode())]
    return record(topic, offset, envelope.to_json(), partition, headers=header)


def acknowledged(n: int) -> Envelope:
    data = IssueAcknowledged(
        issue_id=f"i-{n}", department="it", owner_id="it-kofi", actor_id="it-kofi",
        version=n, at=datetime.now(UTC),
    )  # fmt: skip
    return Envelope.wrap(source="/tests", data=data)


def poll_of_types() -> list[ConsumerRecord]:
    return [
        typed(ROUTED, 0, reopened(1)),
        typed(ROUTED, 1, acknowledged(2)),  # passed over
        record(ROUTED, 2, event(3)),  # no header (an older producer's): handled
        typed(ROUTED, 3, acknowledged(4)),  # passed over, last of its partition
        typed(ROUTED, 0, acknowledged(5), partition=1),  # a partition with nothing to handle
        typed(FEEDBACK, 0, acknowledged(6)),  # another topic: its handler takes every type
    ]


@pytest.mark.parametrize("with_db", [False, True], ids=["one by one", "one unit of work"])
async def test_a_handler_given_types_is_handed_only_those_and_the_rest_is_committed(
    db, with_db: bool, monkeypatch
):
    counted: list[tuple[int, dict[str, str]]] = []
    monkeypatch.setattr(metrics, "messages_handled", Counting(counted))
    seen: dict[str, list[int]] = {ROUTED: [], FEEDBACK: []}

    def recording(topic: str):
        async def handle(envelope: Envelope) -> None:
            seen[topic].append(envelope.payload().version)  # type: ignore[attr-defined]

        return handle

    runner = ConsumerRunner(
        group_id="g", handlers={ROUTED: recording(ROUTED), FEEDBACK: recording(FEEDBACK)},
        types={ROUTED: [event_type(IssueReopened)]}, producer=FakeProducer(),  # type: ignore[arg-type]
        kafka="localhost:1", service="t", db=db if with_db else None,
    )  # fmt: skip
    broker = FakeBroker([poll_of_types()])
    await run(runner, broker, lambda: len(broker.committed) == 3)

    assert seen == {ROUTED: [1, 3], FEEDBACK: [6]}
    # Every partition committed to the end of what the poll returned, the records
    # passed over included (the last of partition 0, all of partition 1).
    assert broker.committed == {
        TopicPartition(ROUTED, 0): 4, TopicPartition(ROUTED, 1): 1,
        TopicPartition(FEEDBACK, 0): 1,
    }  # fmt: skip
    passed = [(n, labels[metrics.TOPIC]) for n, labels in counted
              if labels[metrics.OUTCOME] == PASSED_OVER]  # fmt: skip
    assert sorted(passed) == [(1, ROUTED), (2, ROUTED)]  # counted, by partition


class Counting:
    """Stands in for the kernel's messages counter."""

    def __init__(self, into: list[tuple[int, dict[str, str]]]) -> None:
        self.into = into

    def add(self, amount: int, labels: dict[str, str]) -> None:
        self.into.append((amount, labels))


def test_types_go_with_an_envelope_handler_only():
    async def nothing(_record) -> None:
        return None

    common = dict(group_id="g", producer=FakeProducer(), kafka="localhost:1", service="t")
    with pytest.raises(ValueError, match="no envelope handler"):
        ConsumerRunner(raw_handlers={INBOUND: nothing}, types={INBOUND: ["x"]}, **common)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no envelope handler"):
        ConsumerRunner(handlers={ROUTED: nothing}, types={FEEDBACK: ["x"]}, **common)  # type: ignore[arg-type]


def routed_v1(n: int) -> Envelope:
    """An ``IssueRouted`` as published before v2 (its head was ``escalation_contact``)."""
    head = Person(id="it-head", name="Head", email="head@example.com")
    data = IssueRoutedV1(
        issue_id=f"i-{n}", department="it", rule_id=None, reason="r", liaisons=[head],
        escalation_contact=head, routed_at=datetime.now(UTC),
    )  # fmt: skip
    return Envelope.wrap(source="/tests", data=data)


async def test_a_runtime_taking_a_model_takes_its_older_versions_too(tmp_path):
    """``consume(only=...)`` names models; an event published as an older version
    of one (read as it by ``payload()``) is not passed over."""

    class Settings(ServiceSettings):
        service = "t"

    runtime = Runtime(name="t", settings=Settings(), migrations_dir=tmp_path)
    seen: list[str] = []

    async def on_routed(envelope: Envelope) -> None:
        routed = envelope.payload()
        assert isinstance(routed, IssueRouted)
        seen.append(routed.issue_id)

    runtime.consume(ROUTED, on_routed, only=[IssueRouted])
    runner = ConsumerRunner(
        group_id="g", handlers=runtime._handlers, types=runtime._types,
        producer=FakeProducer(), kafka="localhost:1", service="t",  # type: ignore[arg-type]
    )  # fmt: skip
    broker = FakeBroker([[typed(ROUTED, 0, routed_v1(1)), typed(ROUTED, 1, acknowledged(2))]])
    await run(runner, broker, lambda: bool(broker.committed))

    assert seen == ["i-1"]  # the v1 event, upgraded; the acknowledgement passed over
    assert broker.committed == {TopicPartition(ROUTED, 0): 2}
