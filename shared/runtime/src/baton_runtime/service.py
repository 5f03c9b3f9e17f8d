"""What every Baton service is made of, wired once: database, producer, outbox
relay, consumers, telemetry, problem details and health endpoints.

A service declares its topics and handlers; the lifespan starts them in order
and stops them in reverse, so SIGTERM (uvicorn's graceful shutdown) lets the
message in hand finish, commits it, flushes the outbox and exports the spans.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Generic, TypeVar

from baton_contracts import event_types
from baton_contracts.topics import dlq
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_runtime import heap, limits, metrics, migrations, retention
from baton_runtime.db import Database
from baton_runtime.identity import TokenVerifier, caller
from baton_runtime.kafka import ConsumerRunner, EventProducer, Handler, ensure_topics
from baton_runtime.kafka.consumer import RawHandler
from baton_runtime.outbox import OutboxRelay
from baton_runtime.problems import install_problem_handlers
from baton_runtime.settings import ServiceSettings
from baton_runtime.telemetry import (
    metrics_enabled,
    prometheus_enabled,
    setup_telemetry,
    shutdown_telemetry,
)

log = logging.getLogger(__name__)

# How often gauges that need a query (the outbox's backlog) are refreshed.
GAUGE_INTERVAL_S = 15.0


S = TypeVar("S", bound=ServiceSettings)


class Runtime(Generic[S]):
    """One service's running parts. Generic over the service's own settings type,
    so ``runtime.settings`` is that type wherever a service uses it."""

    def __init__(self, *, name: str, settings: S, migrations_dir: Path) -> None:
        self.name = name
        self.settings = settings
        self.migrations_dir = migrations_dir
        self.db = Database(
            settings.database_url,
            schema=settings.database_schema,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            application_name=f"baton-{name}",
            ping_after_idle_s=settings.db_ping_after_idle_s,
        )
        self.producer = EventProducer(
            settings.kafka(), client_id=f"baton-{name}", linger_ms=settings.producer_linger_ms
        )
        self.relay = OutboxRelay(
            self.db, self.producer, poll_interval_s=settings.outbox_poll_interval_s
        )
        self.db.on_outbox_commit(self.relay.notify)
        # Topic -> its handler: one consumer reads them all (``ConsumerRunner``).
        self._handlers: dict[str, Handler] = {}
        self._raw_handlers: dict[str, RawHandler] = {}
        self._types: dict[str, frozenset[str]] = {}
        self._produces: list[str] = []
        self._on_start: list[Callable[[], Awaitable[None]]] = []
        self._on_stop: list[Callable[[], Awaitable[None]]] = []
        self._periodic: list[
            tuple[str, float, Callable[[], Awaitable[object]], asyncio.Event | None]
        ] = []
        self._tasks: list[asyncio.Task[None]] = []
        # The service's one consumer, once started (none if it consumes nothing).
        self.consumers: list[ConsumerRunner] = []
        if metrics_enabled():
            self.every(GAUGE_INTERVAL_S, "metric gauges", self._measure)
        # Every service has an outbox; what else it keeps, it says (``keep``).
        self.purges: list[retention.Purge] = [retention.outbox(settings.retention_days)]
        self.every(settings.retention_interval_s, "retention", self.purge)

    def consume(
        self, topic: str, handler: Handler, *, only: Iterable[type[BaseModel]] | None = None
    ) -> None:
        """Hand ``topic``'s events to ``handler``; with ``only``, just the events that
        read as those payload models, older versions included (the others are
        passed over without being parsed)."""
        name = self._new_topic(topic)
        self._handlers[name] = handler
        if only is not None:
            self._types[name] = frozenset().union(*(event_types(model) for model in only))

    def _new_topic(self, topic: str) -> str:
        name = self.settings.topic(topic)
        if name in self._handlers or name in self._raw_handlers:
            raise ValueError(f"{name} is consumed already: one handler a topic")
        return name

    def on_start(self, hook: Callable[[], Awaitable[None]]) -> None:
        """Run ``hook`` once the producer and relay are up, before consuming."""
        self._on_start.append(hook)

    def on_stop(self, hook: Callable[[], Awaitable[None]]) -> None:
        """Run ``hook`` at shutdown, once consumers and periodic jobs have stopped."""
        self._on_stop.append(hook)

    def every(
        self,
        seconds: float,
        name: str,
        job: Callable[[], Awaitable[object]],
        *,
        wake: asyncio.Event | None = None,
    ) -> None:
        """Run ``job`` every ``seconds`` while the service runs (in every replica:
        the job itself must be safe to run concurrently). With ``wake``, also as
        soon as the event is set (say, by ``after_commit`` when there is work), and
        again at once while the job answers True (it stopped with more to do)."""
        self._periodic.append((name, seconds, job, wake))

    async def _repeat(
        self,
        name: str,
        seconds: float,
        job: Callable[[], Awaitable[object]],
        wake: asyncio.Event | None,
    ) -> None:
        while True:
            more = False
            if wake is not None:
                wake.clear()  # before the run: a wake during it starts the next one
            try:
                more = (await job()) is True
            except Exception:
                log.exception("periodic job %s failed; it runs again in %ss", name, seconds)
            if more:
                continue
            if wake is None:
                await asyncio.sleep(seconds)
                continue
            try:
                await asyncio.wait_for(wake.wait(), timeout=seconds)
            except TimeoutError:
                pass

    async def _measure(self) -> None:
        """Refresh the gauges that need a query: the outbox's backlog, consumer
        lag, and which consumer loops still run."""
        group = self.settings.group_id()
        metrics.gauges.consumers = {
            (group, topic): int(c.running) for c in self.consumers for topic in c.topics
        }
        await self.relay.measure_pending(self.name)
        for runner in self.consumers:
            await runner.measure_lag()

    def keep(self, purge: retention.Purge) -> None:
        """Delete rows past their retention periodically, as ``purge`` says."""
        self.purges.append(purge)

    async def purge(self) -> dict[str, int]:
        return await retention.purge_all(self.db, self.purges)

    def consume_raw(self, topic: str, handler: RawHandler) -> None:
        """Consume records that are not Baton envelopes (see ``ConsumerRunner``)."""
        self._raw_handlers[self._new_topic(topic)] = handler

    def produces(self, topic: str) -> str:
        name = self.settings.topic(topic)
        self._produces.append(name)
        return name

    async def _ensure_topics(self) -> None:
        consumed = [*self._handlers, *self._raw_handlers]
        names = consumed + [dlq(t) for t in consumed] + self._produces
        await ensure_topics(
            self.settings.kafka(),
            names,
            partitions=self.settings.topic_partitions,
            replication_factor=self.settings.topic_replication_factor,
            min_insync_replicas=self.settings.topic_min_insync_replicas,
        )

    @asynccontextmanager
    async def lifespan(self, _app: FastAPI) -> AsyncIterator[None]:
        s = self.settings
        if s.migrate_on_start:
            await asyncio.to_thread(
                migrations.upgrade, self.migrations_dir, s.database_url, s.database_schema
            )
        if s.create_topics:
            await self._ensure_topics()
        await self.producer.start()
        await self.relay.start()
        for hook in self._on_start:
            await hook()
        if self._handlers or self._raw_handlers:
            runner = ConsumerRunner(
                group_id=s.group_id(),
                handlers=self._handlers,
                raw_handlers=self._raw_handlers,
                producer=self.producer,
                kafka=s.kafka(),
                service=self.name,
                max_attempts=s.handler_max_attempts,
                retry_backoff_s=s.handler_retry_backoff_s,
                session_timeout_ms=s.consumer_session_timeout_ms,
                heartbeat_interval_ms=s.consumer_heartbeat_interval_ms,
                db=self.db,
                max_batch=s.consumer_max_batch,
                types=self._types,
            )
            await runner.start()
            self.consumers.append(runner)
        for name, seconds, job, wake in self._periodic:
            self._tasks.append(
                asyncio.create_task(self._repeat(name, seconds, job, wake), name=name)
            )
        if s.gc_tuned:
            heap.settle()  # what start-up made stays; collections skip it from now on
        log.info("%s started", self.name)
        try:
            yield
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            for runner in self.consumers:
                await runner.stop()
            for hook in self._on_stop:
                await hook()
            await self.relay.stop()
            await self.producer.stop()
            await self.db.dispose()
            shutdown_telemetry()
            log.info("%s stopped", self.name)

    async def ready(self) -> dict[str, str]:
        """What /readyz reports: each dependency 'ok' or what is wrong."""
        checks: dict[str, str] = {}
        try:
            await asyncio.wait_for(self.db.ping(), timeout=2)
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = type(exc).__name__
        try:
            await asyncio.wait_for(self.producer.ping(), timeout=2)
            checks["kafka"] = "ok"
        except Exception as exc:
            checks["kafka"] = type(exc).__name__
        stopped = [topic for c in self.consumers if not c.running for topic in c.topics]
        waiting = {tp: why for c in self.consumers for tp, why in c.waiting.items()}
        if stopped:
            checks["consumers"] = "stopped: " + ", ".join(stopped)
        elif waiting:
            checks["consumers"] = "waiting for a dependency: " + ", ".join(
                f"{tp} ({why})" for tp, why in sorted(waiting.items())
            )
        else:
            checks["consumers"] = "ok"
        return checks

    def live(self) -> bool:
        """False once a consumer loop could not be kept running: restart the process."""
        return not any(c.dead for c in self.consumers)

    def app(
        self,
        *,
        title: str,
        routers: list[APIRouter],
        version: str = "0.1.0",
    ) -> FastAPI:
        """The service's FastAPI app. Every route of ``routers`` needs a verified
        caller (``baton_runtime.identity``); health, readiness and metrics do not."""
        self.settings.check_auth()
        setup_telemetry(f"baton-{self.name}")
        app = FastAPI(title=title, version=version, lifespan=self.lifespan)
        app.state.runtime = self
        install_problem_handlers(app)
        limits.install(app, self.settings)  # 413 for a body over BATON_MAX_BODY_BYTES
        app.include_router(health_router)
        if prometheus_enabled():
            app.include_router(metrics_router)
        if self.settings.auth_mode == "jwt":
            app.state.token_verifier = TokenVerifier(self.settings)
        for router in routers:
            app.include_router(router, dependencies=[Depends(caller)])
        # One SERVER span a request: the ASGI "receive"/"send" spans under it (three
        # more a request) say nothing the server span does not.
        FastAPIInstrumentor.instrument_app(
            app, excluded_urls="healthz,readyz,metrics", exclude_spans=["receive", "send"]
        )
        return app


health_router = APIRouter(tags=["health"])


@health_router.get("/healthz")
async def healthz(request: Request) -> JSONResponse:
    """Liveness: the process answers and its consumer loops are running (a loop that
    died again and again makes this 503, so the orchestrator restarts the pod)."""
    runtime: Runtime[Any] | None = getattr(request.app.state, "runtime", None)
    if runtime is not None and not runtime.live():
        return JSONResponse({"status": "consumer loop down"}, status_code=503)
    return JSONResponse({"status": "ok"})


@health_router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Readiness: false while the database or Kafka is unreachable."""
    checks = await runtime_of(request).ready()
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503
    )


metrics_router = APIRouter(tags=["health"])


@metrics_router.get("/metrics", response_class=PlainTextResponse)
async def prometheus_metrics() -> Response:
    """Metrics in Prometheus' text format (``OTEL_METRICS_EXPORTER=prometheus``)."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def runtime_of(request: Request) -> Runtime[Any]:
    """The running service's ``Runtime``, read where a request is at hand (code that
    is not a dependency, or a dependency that wants none of its own to solve)."""
    runtime: Runtime[Any] = request.app.state.runtime
    return runtime


async def get_runtime(request: Request) -> Runtime[Any]:
    """``runtime_of`` as a dependency; a service's own ``deps`` narrows its type.
    A coroutine: FastAPI runs a plain function dependency in a worker thread, a
    hop on every request that depends on it."""
    return runtime_of(request)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with runtime_of(request).db.session() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


def configure_logging(settings: ServiceSettings) -> None:
    """Log lines at ``BATON_LOG_LEVEL`` and above, with their time and logger."""
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )


def serve(factory: Callable[[], FastAPI], settings: ServiceSettings) -> None:
    """Run a service with uvicorn (SIGTERM/SIGINT shut it down gracefully)."""
    import uvicorn

    configure_logging(settings)
    # Several worker processes need the factory by name (each imports it anew).
    app = f"{factory.__module__}:{factory.__name__}" if settings.workers > 1 else factory
    uvicorn.run(
        app,
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        loop=settings.event_loop,
        http="httptools",
        timeout_graceful_shutdown=20,
    )
