"""Fixtures and helpers every test folder may use."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from baton_contracts import Envelope, IssueReopened
from baton_runtime import migrations
from baton_runtime.db import Database

# Services built inside unit tests trust X-Baton-Actor (development header mode),
# so a test names who acts in one header. Tests of token checking say
# BATON_AUTH_MODE=jwt themselves; the end-to-end stack runs its services with
# tokens from the development identity provider, as `make run` does.
os.environ.setdefault("BATON_ENVIRONMENT", "development")
os.environ.setdefault("BATON_AUTH_MODE", "header")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """A real SMTP server's mailbox: keeps what it accepts, counts the connections
    it is given (each greets it once), and can be told to answer the next
    delivery (to given recipients) with a reply instead, say a 451."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.arrived: list[float] = []  # time.monotonic() each message was accepted at
        self._refusals: list[tuple[set[str] | None, str]] = []
        self.port = 0
        self.connections = 0
        self.stall_s = 0.0  # answer DATA this much later (a client's timeout fires first)

    async def handle_EHLO(self, server, session, envelope, hostname, responses) -> list[str]:
        self.connections += 1
        session.host_name = hostname
        return responses

    def refuse_next(self, reply: str, *, to: set[str] | None = None) -> None:
        self._refusals.append((to, reply))

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.stall_s:
            await asyncio.sleep(self.stall_s)
            return "451 4.4.2 too slow"
        for i, (to, reply) in enumerate(self._refusals):
            if to is None or to & set(envelope.rcpt_tos):
                del self._refusals[i]
                return reply
        self.messages.append(message_from_bytes(envelope.original_content))
        self.arrived.append(time.monotonic())
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if address in (m["To"] or "")]


def subject_of(message: Message) -> str:
    """The subject as its reader sees it (non-ASCII words come RFC 2047 encoded)."""
    return str(make_header(decode_header(message["Subject"] or "")))


def text_of(message: Message) -> str:
    """The plain-text part of an email (Baton sends text with an HTML alternative)."""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode().replace("\r\n", "\n")
    return ""


@contextmanager
def running_smtp_server() -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[Inbox]:
    with running_smtp_server() as inbox:
        yield inbox


@pytest.fixture
async def migrated_db(tmp_path: Path) -> AsyncIterator[Callable[[Path], Database]]:
    """Factory: a SQLite database migrated with a service's own Alembic scripts."""
    made: list[Database] = []

    def make(migrations_dir: Path) -> Database:
        url = f"sqlite+aiosqlite:///{tmp_path}/{migrations_dir.parent.name}.db"
        migrations.upgrade(migrations_dir, url)
        db = Database(url)
        made.append(db)
        return db

    yield make
    for db in made:
        await db.dispose()


class Statements:
    """The SQL statements an engine sent while ``counting_statements`` was open,
    each as its first words (``SELECT ... FROM issues``), in order."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def __len__(self) -> int:
        return len(self.sent)

    def __str__(self) -> str:
        return "\n".join(self.sent)


@contextmanager
def counting_statements(db: Database) -> Iterator[Statements]:
    """Count the statements ``db`` sends: the round trips a unit of work costs,
    which a test can bound so that a handler does not quietly grow more."""
    from sqlalchemy import event

    seen = Statements()

    def record(_conn, _cursor, statement, _params, _context, _many):  # type: ignore[no-untyped-def]
        seen.sent.append(" ".join(statement.split())[:120])

    engine = db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


class Receiver:
    """A real HTTP server standing in for a webhook receiver: it keeps every request
    it accepts, and can be told to answer the next ones with an error, or slowly."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.failures: list[int] = []  # statuses to answer the next requests with
        self.always_fail = False
        self.delay_s = 0.0
        self.requests = 0
        self.url = ""
        # What it answers with besides the status: a body, and headers (a Location).
        self.answer_body = b""
        self.answer_headers: dict[str, str] = {}

    def fail_next(self, *statuses: int) -> None:
        self.failures.extend(statuses)


@contextmanager
def running_http_receiver() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            receiver.requests += 1
            if receiver.delay_s:
                time.sleep(receiver.delay_s)
            if receiver.always_fail or receiver.failures:
                status = receiver.failures.pop(0) if receiver.failures else 500
            else:
                receiver.received.append((dict(self.headers.items()), body))
                status = 200
            self.send_response(status)
            for name, value in receiver.answer_headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(receiver.answer_body)))
            self.end_headers()
            self.wfile.write(receiver.answer_body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def http_receiver() -> Iterator[Receiver]:
    with running_http_receiver() as receiver:
        yield receiver


def pytest_report_header(config: pytest.Config) -> str | None:
    """Say where the end-to-end tests get Kafka and PostgreSQL (tests/integration/provider.py)."""
    if not any("integration" in str(a) or a in ("tests", ".") for a in config.args or ["."]):
        return None
    from tests.integration.stack import infrastructure

    return infrastructure().describe()


def reopened(n: int, *, issue_id: str | None = None) -> Envelope:
    """A small valid event, numbered (its ``version``): issue ``i-<n>`` unless given."""
    data = IssueReopened(
        issue_id=issue_id or f"i-{n}", department="it", owner_id="it-kofi",
        actor_id="it-kofi", version=n, at=datetime.now(UTC),
    )  # fmt: skip
    return Envelope.wrap(source="/tests", data=data)
