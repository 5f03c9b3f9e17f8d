"""Consumer runner: at-least-once delivery into idempotent handlers.

- One runner serves all of a service's topics: one Kafka consumer, so one
  member of the service's group, one fetch loop and one heartbeat, however many
  topics it reads (a consumer per topic cost each service a fetch loop per idle
  topic). Each record goes to its own topic's handler.
- Messages come in batches. With a database (``db=``), what one poll returned
  is one unit of work, whichever partitions and topics it came from: every
  handler's effect, and every event id it records, goes into one transaction,
  committed once, and the poll's offsets are committed once after it; one
  partition's messages stay in order. Its events' ids are recorded by one
  INSERT at the commit (``unit_of_work(staged_claims=True)``); when one was
  handled before (a redelivery), that fails, and the poll goes again at once
  with each id claimed as it comes, which skips the repeat. If that fails,
  each partition's batch is taken as a unit of work of its own, concurrently
  on PostgreSQL (SQLite has one writer). If any message of a batch fails, the
  whole batch's transaction rolls back and its messages are taken one at a
  time, as below.
- Offsets are committed only after the effect is durable.
- A handler that fails because a dependency is unreachable (the database or the
  broker down, restarting, failing over: ``faults.is_transient``) is not
  dead-lettered: its partition is paused at that message and tried again with
  capped exponential backoff until the dependency answers, while the consumer
  keeps polling (so it stays in its group) and other partitions go on;
  readiness says it is waiting. Any other failure is retried a few times with
  backoff, then the message goes to ``<topic>.dlq`` with the reason in headers
  and the runner moves on. A message that cannot be parsed goes there at once.
- The loop is supervised: an error from polling or committing is logged and the
  loop goes on; if the loop itself dies it is restarted, and after repeated
  deaths in a row the runner reports itself dead (liveness fails, so the pod is
  restarted).
- ``stop()`` lets the message in hand finish, commits it, then leaves the group.
- A raw handler (``raw_handlers=``) gets the record itself, for topics whose
  messages are not Baton envelopes (other systems' CloudEvents). It raises
  ``EventParseError`` for a message no retry can fix: dead-lettered at once.
- Each message is handled in a CONSUMER span whose parent is the producer's span
  (from the ``traceparent`` header), so one issue stays one trace.
- A topic's handler may take only some event types (``types=``): a record whose
  ``baton.event_type`` header names another type is passed over unparsed, with
  no span and no transaction, and its offset is committed with the poll's (a
  record without the header goes to the handler, which still checks its type).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.structs import OffsetAndMetadata
from baton_contracts import Envelope, EventParseError, parse_event
from baton_contracts.topics import dlq
from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode
from sqlalchemy.exc import IntegrityError

from baton_runtime import metrics
from baton_runtime.db import Database, is_postgres
from baton_runtime.faults import is_transient
from baton_runtime.idempotency import unit_of_work
from baton_runtime.kafka.connection import KafkaConnection, start_client
from baton_runtime.kafka.producer import EVENT_TYPE_HEADER, EventProducer
from baton_runtime.kafka.tracing import extract_context, messaging_attributes
from baton_runtime.telemetry import tracer

log = logging.getLogger(__name__)

# What became of a message (span attribute and metric label).
HANDLED = "handled"
DEAD_LETTERED = "dead_lettered"
# A batch's transaction was rolled back; the message is then handled on its own.
BATCH_GIVEN_UP = "batch_given_up"
# A dependency was unreachable: the message waits (its partition paused) and comes again.
WAITING = "waiting"
# Its event type is not one its topic's handler takes: not parsed, not handled.
PASSED_OVER = "passed_over"


class _TakeOneByOne(Exception):
    """A message of a batch failed: roll the batch back, take its messages alone."""


class _Wait(Exception):
    """A dependency is unreachable: pause the partition at this message."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(type(cause).__name__)
        self.cause = cause


# Waiting for a dependency: the first retry after this, doubling to the cap.
WAIT_FIRST_S = 0.5
WAIT_CAP_S = 30.0
# The loop restarted this many times in a row without handling anything: dead.
RESTARTS_BEFORE_DEAD = 5


@dataclass
class _Paused:
    """A partition waiting for a dependency, from its first failure to its next success."""

    offset: int
    resume_at: float
    attempts: int
    reason: str
    resumed: bool = False


Handler = Callable[[Envelope], Awaitable[None]]
RawHandler = Callable[[ConsumerRecord[bytes, bytes]], Awaitable[None]]


@dataclass(frozen=True)
class _Route:
    """What a topic's records go to: an envelope handler or a raw one."""

    handler: Handler | None = None
    raw: RawHandler | None = None
    types: frozenset[str] | None = None  # the event types the handler takes (None: all)


def _routes(
    topic: str | None,
    handler: Handler | None,
    raw_handler: RawHandler | None,
    handlers: Mapping[str, Handler],
    raw_handlers: Mapping[str, RawHandler],
    types: Mapping[str, Iterable[str]],
) -> dict[str, _Route]:
    routes = {t: _Route(handler=h) for t, h in handlers.items()}
    for t, raw in raw_handlers.items():
        if t in routes:
            raise ValueError(f"{t} has both a handler and a raw handler")
        routes[t] = _Route(raw=raw)
    if topic is not None:
        # The one-topic form: ``topic=`` with its ``handler=`` or ``raw_handler=``.
        if (handler is None) == (raw_handler is None):
            raise ValueError("give exactly one of handler and raw_handler")
        if topic in routes:
            raise ValueError(f"{topic} is given twice")
        routes[topic] = _Route(handler=handler, raw=raw_handler)
    elif handler is not None or raw_handler is not None:
        raise ValueError("handler= and raw_handler= go with topic=")
    if not routes:
        raise ValueError("a consumer needs at least one topic")
    for t, names in types.items():
        if t not in routes or routes[t].handler is None:
            raise ValueError(f"types= for {t}, which has no envelope handler")
        routes[t] = replace(routes[t], types=frozenset(names))
    return routes


def _takes(types: frozenset[str], event_type: str | None) -> bool:
    return event_type is None or event_type in types


def _event_type(record: ConsumerRecord[bytes, bytes]) -> str | None:
    for key, value in record.headers or ():
        if key == EVENT_TYPE_HEADER and value is not None:
            return value.decode(errors="replace")
    return None


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]


class ConsumerRunner:
    """Consumes ``handlers``' and ``raw_handlers``' topics (topic -> handler), or the
    one ``topic=`` with its ``handler=`` or ``raw_handler=``, in group ``group_id``."""

    def __init__(
        self,
        *,
        group_id: str,
        handlers: Mapping[str, Handler] | None = None,
        raw_handlers: Mapping[str, RawHandler] | None = None,
        topic: str | None = None,
        handler: Handler | None = None,
        raw_handler: RawHandler | None = None,
        producer: EventProducer,
        kafka: KafkaConnection | str,
        service: str,
        max_attempts: int = 3,
        retry_backoff_s: float = 0.2,
        session_timeout_ms: int = 10_000,
        heartbeat_interval_ms: int = 3_000,
        db: Database | None = None,
        max_batch: int = 200,
        types: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        self._routes = _routes(
            topic, handler, raw_handler, handlers or {}, raw_handlers or {}, types or {}
        )
        self.topics = tuple(self._routes)
        self._name = ", ".join(self.topics)  # for logs
        self._producer = producer
        self._service = service
        self._max_attempts = max_attempts
        self._backoff = retry_backoff_s
        self._group_id = group_id
        self._db = db
        self._max_batch = max_batch
        self._kafka = KafkaConnection.of(kafka)
        # The group's member is named for its topic when it reads only one (as ever).
        one_topic = self.topics[0] if len(self.topics) == 1 else None
        self._consumer_options = dict(
            **self._kafka.client_options(),
            group_id=group_id,
            client_id=f"{service}-{one_topic or 'consumer'}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=session_timeout_ms,
            heartbeat_interval_ms=heartbeat_interval_ms,
            # A group that rebalanced while the broker was coming back may have found no
            # partitions for its topics and taken none; fresh metadata shows them and
            # makes it rejoin. Every 15 s instead of aiokafka's 5 minutes.
            metadata_max_age_ms=15_000,
        )
        self._consumer: AIOKafkaConsumer
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._paused: dict[TopicPartition, _Paused] = {}
        self.dead = False

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def waiting(self) -> dict[str, str]:
        """Partitions paused for an unreachable dependency: ``topic[p]`` -> why."""
        return {f"{tp.topic}[{tp.partition}]": p.reason for tp, p in self._paused.items()}

    async def start(self) -> None:
        # Created here because aiokafka binds clients to the running loop.
        self._consumer = AIOKafkaConsumer(*self.topics, **self._consumer_options)
        await start_client(self._consumer, self._kafka)
        self._task = asyncio.create_task(self._supervise(), name=f"consume {self._name}")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            await self._task
            await self._consumer.stop()
        # Partitions this consumer no longer reads have no lag to report here.
        for key in [k for k in metrics.gauges.lag if self._reads(k)]:
            metrics.gauges.lag.pop(key, None)

    def _reads(self, lag_key: tuple[str, str, int]) -> bool:
        """Whether a lag gauge's (group, topic, partition) is one of this consumer's."""
        return lag_key[0] == self._group_id and lag_key[1] in self._routes

    async def _supervise(self) -> None:
        """Run the loop; restart it if it dies; give up (``dead``) after repeated deaths."""
        deaths = 0
        while not self._stopping.is_set():
            try:
                await self._run()
                return
            except Exception:
                deaths += 1
                log.exception(
                    "consumer loop on %s died (%d in a row); restarting", self._name, deaths
                )
                if deaths >= RESTARTS_BEFORE_DEAD:
                    self.dead = True
                    log.critical("consumer loop on %s cannot keep running", self._name)
                    return
                await asyncio.sleep(min(WAIT_CAP_S, WAIT_FIRST_S * 2**deaths))

    def _resume_due(self) -> None:
        now = time.monotonic()
        assigned = self._consumer.assignment()
        for tp, paused in list(self._paused.items()):
            if tp not in assigned:
                del self._paused[tp]  # moved to another consumer: it starts afresh there
            elif not paused.resumed and paused.resume_at <= now:
                paused.resumed = True  # still waiting until a message there succeeds
                self._consumer.resume(tp)

    def _wait_at(self, tp: TopicPartition, offset: int, cause: BaseException) -> None:
        """Pause ``tp`` at ``offset``: it is fetched again once the backoff passed."""
        before = self._paused.get(tp)
        attempts = before.attempts + 1 if before is not None else 1
        delay = min(WAIT_CAP_S, WAIT_FIRST_S * 2 ** (attempts - 1))
        reason = type(cause).__name__
        log.warning(
            "%s[%d]@%d waits for a dependency (%s); trying again in %.1fs (attempt %d)",
            tp.topic, tp.partition, offset, reason, delay, attempts,
        )  # fmt: skip
        metrics.handler_retries.add(1, {metrics.TOPIC: tp.topic})
        self._consumer.seek(tp, offset)
        self._consumer.pause(tp)
        self._paused[tp] = _Paused(offset, time.monotonic() + delay, attempts, reason)

    def _recovered(self, tp: TopicPartition) -> None:
        if self._paused.pop(tp, None) is not None:
            log.info("%s[%d] goes on: its dependency answers again", tp.topic, tp.partition)

    async def _run(self) -> None:
        while not self._stopping.is_set():
            self._resume_due()
            try:
                batches = await self._consumer.getmany(timeout_ms=500, max_records=self._max_batch)
            except KafkaError as exc:
                log.warning("polling %s failed (%s); polling again", self._name, exc)
                await asyncio.sleep(1.0)
                continue
            if not batches:
                continue
            ends = {tp: records[-1].offset + 1 for tp, records in batches.items()}
            batches = self._pass_over(batches)
            done = await self._in_one_unit(batches) if len(batches) > 1 else None
            if done is None and self._db is not None and is_postgres(self._db.engine):
                done = await asyncio.gather(
                    *(self._partition(tp, r, ends[tp]) for tp, r in batches.items())
                )
            elif done is None:
                done = [await self._partition(tp, r, ends[tp]) for tp, r in batches.items()]
            offsets = {tp: OffsetAndMetadata(nxt, "") for tp, nxt in done if nxt is not None}
            for tp, end in ends.items():
                # Done to the end of what the poll returned, records passed over
                # included: a partition with nothing to handle, or all of it handled.
                kept = batches.get(tp)
                if kept is None or (tp in offsets and offsets[tp].offset == kept[-1].offset + 1):
                    offsets[tp] = OffsetAndMetadata(end, "")
            if offsets:
                await self._commit_offsets(offsets)

    def _pass_over(
        self, batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
    ) -> dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]:
        """The records to handle: those whose event type their topic's handler takes,
        or whose type no header says. A partition left with none drops out."""
        kept = {}
        for tp, records in batches.items():
            types = self._routes[tp.topic].types
            if types is not None:
                mine = [r for r in records if _takes(types, _event_type(r))]
                if len(mine) < len(records):
                    labels = {metrics.TOPIC: tp.topic, metrics.OUTCOME: PASSED_OVER}
                    metrics.messages_handled.add(len(records) - len(mine), labels)
                records = mine
            if records:
                kept[tp] = records
        return kept

    async def _commit_offsets(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        """Commit; a failure (a rebalance, the broker away) only means the messages
        come again, and handlers take a repeat as nothing new."""
        try:
            await self._consumer.commit(offsets)
        except KafkaError as exc:
            topics = ", ".join(sorted({tp.topic for tp in offsets}))
            log.warning("committing %s failed (%s); its messages may come again", topics, exc)

    async def _in_one_unit(
        self, batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
    ) -> list[tuple[TopicPartition, int | None]] | None:
        """Records of one partition or several (of one topic or several) in one unit
        of work: one transaction, and one offset commit after it. Each partition's
        records keep their order. None when they cannot go together (no database, a
        raw handler) or did not (rolled back: nothing of them is durable), so that
        they are taken in smaller steps: each partition alone, then one by one."""
        if self._db is None or any(self._routes[tp.topic].handler is None for tp in batches):
            return None
        started = time.monotonic()
        try:
            try:
                await self._unit(batches, staged_claims=True)
            except IntegrityError:
                # An event of the batch was handled before (a redelivery, or another
                # replica's during a rebalance): again, each claim as it comes, so
                # that a repeat is skipped rather than failing the commit.
                log.info("batch repeats events handled before; claiming them one by one")
                await self._unit(batches, staged_claims=False)
        except Exception as exc:
            if not isinstance(exc, _TakeOneByOne):
                topics = ", ".join(sorted({tp.topic for tp in batches}))
                log.warning("batch on %s not committed: %s", topics, type(exc).__name__)
            return None
        elapsed = time.monotonic() - started
        for tp, records in batches.items():
            for record in records:
                self._measure(tp, record.offset, HANDLED, elapsed)
            self._recovered(tp)
        return [(tp, records[-1].offset + 1) for tp, records in batches.items()]

    async def _unit(
        self,
        batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]],
        *,
        staged_claims: bool,
    ) -> None:
        assert self._db is not None
        async with unit_of_work(self._db, staged_claims=staged_claims):
            for tp, records in batches.items():
                handler = self._routes[tp.topic].handler
                assert handler is not None
                for record in records:
                    await self._process_in_unit(record, handler)

    async def _partition(
        self, tp: TopicPartition, records: list[ConsumerRecord[bytes, bytes]], end: int
    ) -> tuple[TopicPartition, int | None]:
        """Handle one partition's batch; says the offset to commit next (None: none,
        or committed already). ``end``: the offset after the poll's last record of
        the partition, passed over ones included."""
        if len(records) > 1:
            done = await self._in_one_unit({tp: records})
            if done is not None:
                return done[0]
        next_offset = None
        for record in records:
            started = time.monotonic()
            try:
                outcome = await self._process(record)
            except _Wait as wait:
                self._wait_at(tp, record.offset, wait.cause)
                break
            except Exception as exc:
                # Only a failed dead-lettering lands here (Kafka unreachable): the
                # message waits, neither lost nor skipped.
                log.error("cannot dead-letter %s[%d]@%d", tp.topic, tp.partition, record.offset)
                self._wait_at(tp, record.offset, exc)
                break
            next_offset = end if record is records[-1] else record.offset + 1
            self._recovered(tp)
            # Committed at once: a later message of this batch may take retries.
            await self._commit_offsets({tp: OffsetAndMetadata(next_offset, "")})
            self._measure(tp, record.offset, outcome, time.monotonic() - started)
            if self._stopping.is_set():
                break
        return tp, None

    async def _process_in_unit(
        self, record: ConsumerRecord[bytes, bytes], handler: Handler
    ) -> None:
        """Handle one record inside the batch's unit of work, once; any failure
        (including a message that does not parse) gives the batch up."""
        with self._span(record) as span:
            try:
                envelope = parse_event(record.value)
            except EventParseError as exc:
                span.set_attribute("baton.outcome", BATCH_GIVEN_UP)
                raise _TakeOneByOne from exc
            span.set_attribute("messaging.message.id", envelope.id)
            span.set_attribute("baton.event_type", envelope.type)
            try:
                await handler(envelope)
            except IntegrityError:
                # Most likely an event handled before (its staged claim, or its effect
                # again, conflicting): the unit goes again with claims as they come.
                span.set_attribute("baton.outcome", BATCH_GIVEN_UP)
                raise
            except Exception as exc:
                span.set_attribute("baton.outcome", BATCH_GIVEN_UP)
                log.info(
                    "batch on %s given up at offset %d (%s); its messages go one by one",
                    record.topic,
                    record.offset,
                    type(exc).__name__,
                )
                raise _TakeOneByOne from exc
            span.set_attribute("baton.outcome", HANDLED)
            span.set_attribute("baton.attempts", 1)

    def _measure(self, tp: TopicPartition, offset: int, outcome: str, seconds: float) -> None:
        labels = {metrics.TOPIC: tp.topic}
        metrics.messages_handled.add(1, labels | {metrics.OUTCOME: outcome})
        metrics.handling_duration.record(seconds, labels)

    async def measure_lag(self) -> None:
        """Refresh this consumer's lag gauge: per partition it holds now, the log's
        end (asked of the broker) minus the next offset it will handle. A stuck
        handler shows as growing lag; partitions moved away drop out."""
        if not self.running:
            return
        tps = list(self._consumer.assignment())
        ends = await self._consumer.end_offsets(tps) if tps else {}
        lag = {}
        for tp in tps:
            position = await self._consumer.position(tp)
            lag[(self._group_id, tp.topic, tp.partition)] = max(ends[tp] - position, 0)
        others = {k: v for k, v in metrics.gauges.lag.items() if not self._reads(k)}
        metrics.gauges.lag = others | lag  # swapped whole: exporters may read it meanwhile

    def _span(self, record: ConsumerRecord[bytes, bytes]) -> AbstractContextManager[Span]:
        """The record's CONSUMER span, a child of its producer's (``traceparent``)."""
        key = record.key.decode(errors="replace") if record.key else None
        attrs = messaging_attributes(
            topic=record.topic, operation="process", event_id=None, issue_id=key
        )
        attrs["messaging.consumer.group.name"] = self._group_id
        attrs["messaging.destination.partition.id"] = str(record.partition)
        attrs["messaging.kafka.offset"] = record.offset
        return tracer().start_as_current_span(
            f"process {record.topic}",
            context=extract_context(record.headers),
            kind=trace.SpanKind.CONSUMER,
            attributes=attrs,
        )

    async def _process(self, record: ConsumerRecord[bytes, bytes]) -> str:
        """Handle one record, retrying, or dead-letter it; says which it did."""
        route = self._routes[record.topic]
        with self._span(record) as span:
            if route.raw is not None:
                raw_handler = route.raw

                async def handle() -> None:
                    await raw_handler(record)

                label = f"{record.topic}[{record.partition}]@{record.offset}"
            else:
                try:
                    envelope = parse_event(record.value)
                except EventParseError as exc:
                    await self._dead_letter(record, exc, attempts=0)
                    span.set_attribute("baton.outcome", DEAD_LETTERED)
                    span.set_status(Status(StatusCode.ERROR, "unparseable message"))
                    return DEAD_LETTERED
                span.set_attribute("messaging.message.id", envelope.id)
                span.set_attribute("baton.event_type", envelope.type)
                handler = route.handler
                assert handler is not None

                async def handle() -> None:
                    await handler(envelope)

                label = f"event {envelope.id} ({envelope.type})"
            for attempt in range(1, self._max_attempts + 1):
                try:
                    await handle()
                    span.set_attribute("baton.outcome", HANDLED)
                    span.set_attribute("baton.attempts", attempt)
                    return HANDLED
                except EventParseError as exc:
                    # Only a raw handler raises this: the message itself is wrong.
                    await self._dead_letter(record, exc, attempts=attempt)
                    span.set_attribute("baton.outcome", DEAD_LETTERED)
                    span.set_status(Status(StatusCode.ERROR, "unprocessable message"))
                    return DEAD_LETTERED
                except Exception as exc:
                    span.record_exception(exc)
                    if is_transient(exc):
                        span.set_attribute("baton.outcome", WAITING)
                        raise _Wait(exc) from exc
                    log.warning(
                        "handler failed on %s, attempt %d of %d: %s",
                        label,
                        attempt,
                        self._max_attempts,
                        type(exc).__name__,
                    )
                    if attempt == self._max_attempts:
                        await self._dead_letter(record, exc, attempts=attempt)
                        span.set_attribute("baton.outcome", DEAD_LETTERED)
                        span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                        return DEAD_LETTERED
                    metrics.handler_retries.add(1, {metrics.TOPIC: record.topic})
                    delay = self._backoff * 2 ** (attempt - 1)
                    await asyncio.sleep(delay + random.uniform(0, delay / 2))

    async def _dead_letter(
        self, record: ConsumerRecord[bytes, bytes], exc: BaseException, *, attempts: int
    ) -> None:
        log.error(
            "dead-lettering %s[%d]@%d after %d attempt(s): %s",
            record.topic,
            record.partition,
            record.offset,
            attempts,
            type(exc).__name__,
        )
        error_headers = [
            ("baton.dlq.reason", _reason(exc).encode()),
            ("baton.dlq.error_type", type(exc).__name__.encode()),
            ("baton.dlq.topic", record.topic.encode()),
            ("baton.dlq.partition", str(record.partition).encode()),
            ("baton.dlq.offset", str(record.offset).encode()),
            ("baton.dlq.attempts", str(attempts).encode()),
            ("baton.dlq.service", self._service.encode()),
        ]
        await self._producer.send_raw(
            dlq(record.topic),
            key=record.key.decode(errors="replace") if record.key else None,
            value=record.value,
            headers=list(record.headers or []) + error_headers,
        )
