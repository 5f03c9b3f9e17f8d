"""Rows staged for one INSERT at commit (``baton_runtime.rows.stage``): written once the
transaction commits, seen by an ORM query before it, and gone with a rollback
(of the transaction, or of the savepoint that staged them)."""

from dataclasses import fields
from datetime import UTC, datetime

import pytest
from baton_ownership.core.models import HistoryEntry
from baton_ownership.deadlines.clocks import NewClock
from baton_ownership.deadlines.models import Deadline
from baton_runtime import rows
from sqlmodel import select

from conftest import counting_statements

TABLE = HistoryEntry.__table__


def entry(n: int) -> dict:
    return {
        "issue_id": f"i-{n}", "action": "assigned", "actor_id": "t", "department": "it",
        "owner_id": "it-kofi", "version": 1, "at": datetime.now(UTC), "details": {"n": n},
    }  # fmt: skip


async def kept(db) -> list[str]:
    async with db.session() as session:
        found = await session.exec(select(HistoryEntry).order_by(HistoryEntry.id))
        return [h.issue_id for h in found.all()]


async def test_staged_rows_go_in_one_insert_at_commit_in_order(db):
    with counting_statements(db) as seen:
        async with db.transaction() as session:
            for n in range(5):
                rows.stage(session, TABLE, entry(n))
            assert len(seen) == 0, str(seen)  # nothing sent before the commit
    assert [s for s in seen.sent if s.startswith("INSERT")] == [seen.sent[0]]
    assert await kept(db) == [f"i-{n}" for n in range(5)]


async def test_an_orm_query_in_the_same_transaction_sees_the_staged_rows(db):
    async with db.transaction() as session:
        rows.stage(session, TABLE, entry(1))
        found = (await session.exec(select(HistoryEntry))).all()
        assert [h.issue_id for h in found] == ["i-1"]
    assert await kept(db) == ["i-1"]  # written once, not again at commit


async def test_a_rolled_back_transaction_writes_none_of_them(db):
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            rows.stage(session, TABLE, entry(1))
            raise RuntimeError("the unit of work fails")
    assert await kept(db) == []


async def test_a_rolled_back_savepoint_drops_only_what_it_staged(db):
    async with db.transaction() as session:
        rows.stage(session, TABLE, entry(1))
        with pytest.raises(RuntimeError):
            async with session.begin_nested():
                rows.stage(session, TABLE, entry(2))
                raise RuntimeError("this step fails")
        async with session.begin_nested():
            rows.stage(session, TABLE, entry(3))
    assert await kept(db) == ["i-1", "i-3"]


def test_a_new_clock_has_every_column_of_a_deadline_but_its_id():
    # Staged rows of a table must all name the same columns, every one of them.
    columns = {c.name for c in Deadline.__table__.c} - {"id"}
    assert {f.name for f in fields(NewClock)} == columns
