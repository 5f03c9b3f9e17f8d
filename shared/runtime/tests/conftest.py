"""The kernel's own tables on a fresh SQLite file, for tests of its mechanisms."""

from __future__ import annotations

import pytest
from baton_runtime.db import Database
from baton_runtime.idempotency import ProcessedEvent
from baton_runtime.outbox import OutboxMessage
from sqlmodel import SQLModel


@pytest.fixture
async def db(tmp_path):
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/kernel.db")
    async with database.engine.begin() as conn:
        tables = [OutboxMessage.__table__, ProcessedEvent.__table__]
        await conn.run_sync(SQLModel.metadata.create_all, tables=tables)
    yield database
    await database.dispose()
