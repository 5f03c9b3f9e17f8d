"""Fixtures and helpers every test folder may use."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from baton_shared import migrations
from baton_shared.db import Database


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """A real SMTP server's mailbox: keeps what it accepts, and can be told to
    answer the next delivery (to given recipients) with a reply instead, say a 451."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self._refusals: list[tuple[set[str] | None, str]] = []
        self.port = 0

    def refuse_next(self, reply: str, *, to: set[str] | None = None) -> None:
        self._refusals.append((to, reply))

    async def handle_DATA(self, server, session, envelope) -> str:
        for i, (to, reply) in enumerate(self._refusals):
            if to is None or to & set(envelope.rcpt_tos):
                del self._refusals[i]
                return reply
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if address in (m["To"] or "")]


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
