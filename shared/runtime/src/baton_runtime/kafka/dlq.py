"""Inspect a dead-letter topic, and replay its messages once the cause is fixed.

    python -m baton_runtime.kafka.dlq list issues.routed.dlq
    python -m baton_runtime.kafka.dlq replay issues.routed.dlq [--service ownership] [--dry-run]

``list`` shows where each message came from and why it was given up on, never
its content (it may hold personal data). ``replay`` sends each message back to
the topic it came from (``baton.dlq.topic``), with its key, value and original
headers, in the issue's trace. Replays are tracked by a consumer group per
``--service`` (``<prefix>baton-dlq-replay-<service>``, or ``-all``): a message
is replayed once, and a second run replays only what has arrived since;
``--from-beginning`` goes over the whole DLQ again. Every consumer is
idempotent, so a replayed message that was handled already changes nothing. A
message that could not be parsed (``baton.dlq.attempts`` 0) would only fail
again: it is passed over unless ``--include-unparseable`` (fix its producer).

The cluster, TLS and SASL come from the environment, as for the services
(``KAFKA_BOOTSTRAP_SERVERS``, ``BATON_KAFKA_*``); ``--prefix`` or
``BATON_TOPIC_PREFIX`` names the environment's topics.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from baton_runtime.kafka.connection import KafkaConnection, KafkaSettings, start_client
from baton_runtime.kafka.producer import EventProducer
from baton_runtime.kafka.tracing import extract_context

DLQ_HEADER = "baton.dlq."


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    key: str | None
    topic: str  # where it came from
    service: str
    error_type: str
    reason: str
    attempts: str

    @property
    def unparseable(self) -> bool:
        """Given up on before any handler ran: the message itself is malformed."""
        return self.attempts == "0"

    @classmethod
    def of(cls, record: ConsumerRecord[bytes, bytes]) -> DeadLetter:
        h = {k: v.decode(errors="replace") for k, v in record.headers or () if v is not None}
        return cls(
            partition=record.partition,
            offset=record.offset,
            key=record.key.decode(errors="replace") if record.key else None,
            topic=h.get("baton.dlq.topic", ""),
            service=h.get("baton.dlq.service", ""),
            error_type=h.get("baton.dlq.error_type", ""),
            reason=h.get("baton.dlq.reason", ""),
            attempts=h.get("baton.dlq.attempts", ""),
        )


def replay_group(prefix: str, service: str | None) -> str:
    """Each service's dead letters are tracked apart: replaying one service's
    leaves the others' to be replayed later."""
    return f"{prefix}baton-dlq-replay-{service or 'all'}"


async def _records(
    consumer: AIOKafkaConsumer, topic: str, *, from_committed: bool
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record on ``topic`` now: from the start, or from the group's offsets."""
    partitions = consumer.partitions_for_topic(topic)
    if not partitions:
        await consumer._client.force_metadata_update()
        partitions = consumer.partitions_for_topic(topic) or set()
    if not partitions:
        raise SystemExit(f"there is no topic {topic!r} (is the prefix right?)")
    tps = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(tps)
    for tp in tps:
        committed = await consumer.committed(tp) if from_committed else None
        if committed is None:
            await consumer.seek_to_beginning(tp)
        else:
            consumer.seek(tp, committed)
    end = await consumer.end_offsets(tps)
    records: list[ConsumerRecord[bytes, bytes]] = []
    while any([await consumer.position(tp) < end[tp] for tp in tps]):
        for batch in (await consumer.getmany(timeout_ms=1000)).values():
            records.extend(r for r in batch if r.offset < end[TopicPartition(r.topic, r.partition)])
    return records


async def dead_letters(kafka: KafkaConnection, dlq_topic: str) -> list[DeadLetter]:
    consumer = AIOKafkaConsumer(**kafka.client_options(), enable_auto_commit=False)
    await start_client(consumer, kafka)
    try:
        return [DeadLetter.of(r) for r in await _records(consumer, dlq_topic, from_committed=False)]
    finally:
        await consumer.stop()


async def replay(
    kafka: KafkaConnection,
    dlq_topic: str,
    *,
    prefix: str = "",
    service: str | None = None,
    dry_run: bool = False,
    include_unparseable: bool = False,
    from_beginning: bool = False,
) -> tuple[list[DeadLetter], list[DeadLetter]]:
    """Send the DLQ's messages not replayed yet back to their topics. Returns
    (replayed, passed over because they cannot be parsed).

    With ``service``, only that service's dead letters are sent; the others are
    passed over (and not offered again)."""
    consumer = AIOKafkaConsumer(
        **kafka.client_options(),
        group_id=replay_group(prefix, service),
        enable_auto_commit=False,
    )
    await start_client(consumer, kafka)
    producer = EventProducer(kafka, client_id="baton-dlq-replay")
    await producer.start()
    replayed: list[DeadLetter] = []
    unparseable: list[DeadLetter] = []
    try:
        records = await _records(consumer, dlq_topic, from_committed=not from_beginning)
        for record in records:
            letter = DeadLetter.of(record)
            if not letter.topic:
                raise SystemExit(
                    f"{dlq_topic}[{record.partition}]@{record.offset} has no baton.dlq.topic "
                    "header: not a Baton dead letter"
                )
            if service not in (None, letter.service):
                pass
            elif letter.unparseable and not include_unparseable:
                unparseable.append(letter)
            else:
                replayed.append(letter)
                if not dry_run:
                    await producer.send_raw(
                        letter.topic,
                        key=letter.key,
                        value=record.value,
                        headers=[
                            (k, v) for k, v in record.headers or () if not k.startswith(DLQ_HEADER)
                        ],
                        parent=extract_context(record.headers),
                    )
            if not dry_run:
                tp = TopicPartition(record.topic, record.partition)
                await consumer.commit({tp: OffsetAndMetadata(record.offset + 1, "")})
    finally:
        await producer.stop()
        await consumer.stop()
    return replayed, unparseable


def _print(letters: Sequence[DeadLetter], verb: str) -> None:
    print("partition\toffset\tkey\tfrom\tservice\terror\tattempts\treason")
    for d in letters:
        print(
            f"{d.partition}\t{d.offset}\t{d.key}\t{d.topic}\t{d.service}\t{d.error_type}"
            f"\t{d.attempts}\t{d.reason}"
        )
    print(f"{len(letters)} {verb}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m baton_runtime.kafka.dlq", description=__doc__.split("\n\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("list", "show each dead letter: where from, why"),
                       ("replay", "send dead letters back to their topics")):  # fmt: skip
        command = sub.add_parser(name, help=text)
        command.add_argument("topic", help="the DLQ, without the prefix: e.g. issues.routed.dlq")
        command.add_argument("--prefix", default=os.environ.get("BATON_TOPIC_PREFIX", ""))
        if name == "replay":
            command.add_argument("--service", help="only what this service gave up on")
            command.add_argument("--dry-run", action="store_true", help="show, send nothing")
            command.add_argument(
                "--from-beginning",
                action="store_true",
                help="the whole DLQ again, not only what arrived since the last replay",
            )
            command.add_argument(
                "--include-unparseable",
                action="store_true",
                help="also messages that could not be parsed (they will fail again)",
            )
    args = parser.parse_args(argv)
    kafka = KafkaSettings().kafka()
    topic = f"{args.prefix}{args.topic}"
    if not topic.endswith(".dlq"):
        parser.error(f"{args.topic!r} is not a dead-letter topic (they end in .dlq)")
    if args.command == "list":
        _print(asyncio.run(dead_letters(kafka, topic)), "dead letters")
    else:
        letters, unparseable = asyncio.run(
            replay(
                kafka,
                topic,
                prefix=args.prefix,
                service=args.service,
                dry_run=args.dry_run,
                include_unparseable=args.include_unparseable,
                from_beginning=args.from_beginning,
            )
        )
        _print(letters, "would be replayed (dry run)" if args.dry_run else "replayed")
        if unparseable:
            print(
                f"{len(unparseable)} passed over: they cannot be parsed, so they would fail "
                "again (fix their producer; --from-beginning --include-unparseable sends them)"
            )


if __name__ == "__main__":
    main()
