"""Rows staged for one INSERT per table (``baton_runtime.rows``), and Core
statements run on a session's connection: what the hot path writes and reads
without the ORM. The outbox's own staging is tested in test_outbox_staging.py."""

from __future__ import annotations

import pytest
from baton_runtime import rows
from baton_runtime.db import upsert_for
from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    func,
    insert,
    select,
)
from sqlalchemy.orm import registry

from conftest import counting_statements

META = MetaData()
CHILDREN = Table(
    "children",
    META,
    Column("id", Integer, primary_key=True),
    Column("parent_id", Integer, ForeignKey("row_parents.id"), nullable=False),
    Column("name", String(20), nullable=False),
)
NOTES = Table("notes", META, Column("id", Integer, primary_key=True), Column("text", String(20)))


PARENTS = Table("row_parents", META, Column("id", Integer, primary_key=True))


class RowParent:
    """An ORM object (mapped on this file's own metadata: no table of the tests'
    leaks into the services' models)."""

    def __init__(self, id: int | None = None) -> None:
        self.id = id


registry(metadata=META).map_imperatively(RowParent, PARENTS)


@pytest.fixture
async def tables(db):
    async with db.engine.begin() as conn:
        await conn.run_sync(META.create_all)
    return db


async def names(db, table: Table) -> list[str]:
    async with db.session() as session:
        found = await rows.execute(
            session, select(table.c[table.c.keys()[-1]]).order_by(table.c.id), {}
        )
        return [r[0] for r in found]


async def test_each_table_s_rows_go_in_one_insert_in_the_order_staged(tables):
    db = tables
    with counting_statements(db) as seen:
        async with db.transaction() as session:
            parent = RowParent()
            session.add(parent)
            await session.flush()
            before = len(seen)
            for n in range(3):
                rows.stage(session, NOTES, {"text": f"note {n}"})
                rows.stage(session, CHILDREN, {"parent_id": parent.id, "name": f"child {n}"})
            assert len(seen) == before  # nothing sent before the commit
    inserts = [s.split()[2] for s in seen.sent if s.startswith("INSERT")]
    assert inserts == ["row_parents", "notes", "children"], seen.sent
    assert await names(db, NOTES) == ["note 0", "note 1", "note 2"]
    assert await names(db, CHILDREN) == ["child 0", "child 1", "child 2"]


async def test_a_core_read_in_the_same_transaction_sees_what_was_staged(tables):
    db = tables
    count = select(func.count()).select_from(NOTES)
    async with db.transaction() as session:
        rows.stage(session, NOTES, {"text": "staged"})
        assert (await rows.execute(session, count, {}))[0][0] == 1
        assert await rows.run(session, count, None, lambda result: result.scalar_one()) == 1
    assert await names(db, NOTES) == ["staged"]  # written once, not again at commit


async def test_a_staged_row_may_refer_to_an_orm_object_added_in_its_transaction(tables):
    # The ORM's objects are written before the staged rows at commit: the child's
    # foreign key finds its parent (SQLite enforces them here, as PostgreSQL does).
    db = tables
    async with db.transaction() as session:
        session.add(RowParent(id=7))
        rows.stage(session, CHILDREN, {"parent_id": 7, "name": "child of 7"})
    assert await names(db, CHILDREN) == ["child of 7"]


async def test_a_rolled_back_savepoint_drops_only_what_it_staged_in_every_table(tables):
    db = tables
    async with db.transaction() as session:
        rows.stage(session, NOTES, {"text": "before"})
        with pytest.raises(RuntimeError):
            async with session.begin_nested():
                rows.stage(session, NOTES, {"text": "inside"})
                raise RuntimeError("this step fails")
        rows.stage(session, NOTES, {"text": "after"})
    assert await names(db, NOTES) == ["before", "after"]


async def test_rows_staged_with_a_statement_go_in_one_execution_of_it_in_order(tables):
    """An upsert staged for several rows, one key twice: one execution, and the
    later row wins; the table's plain rows go in their own INSERT."""
    db = tables
    plain = upsert_for("sqlite", NOTES)
    upsert = plain.on_conflict_do_update(index_elements=["id"], set_={"text": plain.excluded.text})
    with counting_statements(db) as seen:
        async with db.transaction() as session:
            rows.stage(session, NOTES, {"id": 1, "text": "first"}, upsert)
            rows.stage(session, NOTES, {"id": 2, "text": "second"}, upsert)
            rows.stage(session, NOTES, {"id": 3, "text": "plain"})
            rows.stage(session, NOTES, {"id": 1, "text": "first, again"}, upsert)
    inserts = [s for s in seen.sent if s.startswith("INSERT")]
    assert len(inserts) == 2 and "ON CONFLICT" in inserts[0], seen.sent
    assert await names(db, NOTES) == ["first, again", "second", "plain"]


async def test_each_staged_row_is_handed_what_the_statement_returned_for_it(tables):
    """Rows staged with a statement that returns their ids (in parameter order)
    learn them at the commit, each its own; a row that did not ask is not told."""
    db = tables
    returning = insert(NOTES).returning(NOTES.c.id, NOTES.c.text, sort_by_parameter_order=True)
    told: list[tuple[str, int, str]] = []
    async with db.transaction() as session:
        for text in ("a", "b", "c"):
            asked = None if text == "b" else (lambda row, t=text: told.append((t, *row)))
            rows.stage(session, NOTES, {"text": text}, returning, returned=asked)
        assert told == []  # nothing written before the commit
    async with db.session() as session:
        found = await rows.execute(session, select(NOTES.c.text, NOTES.c.id), {})
    ids = {text: id_ for text, id_ in found}
    assert told == [("a", ids["a"], "a"), ("c", ids["c"], "c")]
