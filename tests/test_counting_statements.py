"""The statement counter other tests bound their handlers' round trips with."""

from __future__ import annotations

from pathlib import Path

from baton_runtime.db import Database
from sqlalchemy import text

from conftest import counting_statements


async def test_counts_each_statement_sent_while_open(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/count.db")
    try:
        async with db.transaction() as session:
            await session.exec(text("CREATE TABLE t (x INTEGER)"))  # type: ignore[call-overload]
            with counting_statements(db) as seen:
                for x in range(3):
                    await session.exec(text("INSERT INTO t VALUES (:x)"), params={"x": x})  # type: ignore[call-overload]
                await session.exec(text("SELECT   count(*)\n FROM t"))  # type: ignore[call-overload]
            await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        assert len(seen) == 4
        assert seen.sent[-1] == "SELECT count(*) FROM t"
    finally:
        await db.dispose()
