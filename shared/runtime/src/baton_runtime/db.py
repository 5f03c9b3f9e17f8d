"""Async database engines and sessions (SQLModel over SQLAlchemy's asyncio layer).

SQLite is the embedded default for ``make run``; PostgreSQL is what tests and
production use. A plain ``postgresql://`` or ``sqlite:///`` URL is accepted and
given its async driver.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypedDict, Unpack

from sqlalchemy import event, make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession

# Set in a session's ``info`` by whatever stages an outbox event in it
# (``baton_runtime.outbox.add_event``): its commit wakes the relay.
OUTBOX_STAGED = "baton_outbox_staged"


def async_url(url: str) -> str:
    for plain, driver in (
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
        ("sqlite:///", "sqlite+aiosqlite:///"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


def is_postgres(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"


def dialect(session: AsyncSession) -> str:
    """The session's database: ``postgresql`` or ``sqlite`` (to pick a statement
    built once for it)."""
    return session.bind.dialect.name if session.bind is not None else "sqlite"


def upsert(session: AsyncSession, table: Any) -> Any:
    """``table``'s INSERT for the session's database, able to say
    ``on_conflict_do_nothing``/``on_conflict_do_update`` (PostgreSQL or SQLite):
    one round trip where a read before the write would be two."""
    return upsert_for(dialect(session), table)


def upsert_for(dialect: str, table: Any) -> Any:
    """``upsert`` for a database named by its dialect (to build a statement once)."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def make_engine(
    url: str,
    *,
    schema: str | None = None,
    pool_size: int = 5,
    max_overflow: int = 5,
    application_name: str | None = None,
    ping_after_idle_s: float = 1.0,
) -> AsyncEngine:
    """An async engine; on PostgreSQL, ``schema`` is the search path, so services
    sharing one database each keep their tables in their own schema, and
    ``application_name`` names the service in ``pg_stat_activity`` and the logs."""
    url = async_url(url)
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # WAL lets the API read while the consumer writes; FKs are off by default.
            # synchronous=NORMAL: in WAL mode a commit is safe from a crash of the
            # process (what local runs meet) and needs no fsync of its own; only a
            # power loss can undo the last commits. PostgreSQL is the durable choice.
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    server_settings = {"search_path": schema} if schema else {}
    if application_name:
        server_settings["application_name"] = application_name
    connect_args = {"server_settings": server_settings} if server_settings else {}
    # hide_parameters: a database error's message (logged, and put in a DLQ record's
    # baton.dlq.reason) must not carry the row's values, which may be personal data.
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        connect_args=connect_args,
        hide_parameters=True,
        # The connection returned last is used next: a quiet service keeps using
        # one warm connection, which rarely sits idle long enough to be pinged, and
        # leaves the others idle. (First in, first out rotated through all of them:
        # at 5 issues/s, 8 % more e2e latency and 15 % more of PostgreSQL's CPU.)
        pool_use_lifo=True,
    )
    _ping_when_idle(engine, ping_after_idle_s)
    return engine


def _ping_when_idle(engine: AsyncEngine, idle_s: float) -> None:
    """Ping a pooled connection before use if it sat idle longer than ``idle_s``
    (0: before every use, as SQLAlchemy's ``pool_pre_ping``).

    A dead connection (PostgreSQL restarted, a proxy dropped it) is replaced
    before anyone uses it, sparing a request or a message that error. A ping is
    three round trips on asyncpg (BEGIN, ``;``, ROLLBACK), which on a busy
    service was about a third of its statements: a connection used moments ago
    is alive unless the server died in those moments, and then what was using it
    fails anyway (a consumer waits and retries; the pool is refreshed).
    """
    pool = engine.sync_engine

    @event.listens_for(pool, "checkin")
    def _idle_from(_dbapi_conn, record):  # type: ignore[no-untyped-def]
        record.info["baton_idle_since"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _ping_if_idle(dbapi_conn, record, _proxy):  # type: ignore[no-untyped-def]
        since = record.info.get("baton_idle_since")
        if since is not None and time.monotonic() - since < idle_s:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            # The pool discards this connection and checks out another (a new one).
            raise DisconnectionError("pooled connection is dead") from exc


class EngineOptions(TypedDict, total=False):
    """``make_engine``'s options, which a ``Database`` passes on."""

    schema: str | None
    pool_size: int
    max_overflow: int
    application_name: str | None
    ping_after_idle_s: float


class Database:
    """One engine and its session factory, owned by a service's lifespan."""

    def __init__(self, url: str, **options: Unpack[EngineOptions]) -> None:
        self.engine = make_engine(url, **options)
        self._on_outbox_commit: list[Callable[[], None]] = []

        class _Session(Session):
            """This database's sessions (so their events are this database's alone)."""

        event.listen(_Session, "after_commit", self._committed)
        event.listen(_Session, "after_rollback", lambda s: s.info.pop(OUTBOX_STAGED, None))
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, sync_session_class=_Session, expire_on_commit=False
        )

    def on_outbox_commit(self, action: Callable[[], None]) -> None:
        """Call ``action`` after each commit that staged outbox events, whoever
        committed it (a request, a consumer's batch, a periodic job): the relay
        wakes for what is there to publish, and only then."""
        self._on_outbox_commit.append(action)

    def _committed(self, session: Session) -> None:
        if session.info.pop(OUTBOX_STAGED, False):
            for action in self._on_outbox_commit:
                action()

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits on success and rolls back on error."""
        async with self._sessions() as session, session.begin():
            yield session

    async def ping(self) -> None:
        from sqlalchemy import text

        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
