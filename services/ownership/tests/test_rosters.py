"""A roster a transaction found as kept is not read again in that transaction
(a consumer's unit of work of many routed issues), and what the database ends up
with is what one statement per roster would have left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from baton_ownership.directory import service as directory
from baton_ownership.directory.models import DepartmentPolicy, Member
from sqlmodel import col, update

from conftest import counting_statements

from .conftest import person

# After the seeded rosters (written at the time the tests run).
T0 = datetime(2099, 12, 1, 9, 0, tzinfo=UTC)


def naming(seen, *tables: str) -> list[str]:
    return [s for s in seen.sent if any(t in s for t in tables)]


async def finance(session, at: datetime, liaisons=("fin-gita", "fin-hugo")):
    return await directory.upsert_department(
        session=session, department="finance", liaisons=[person(p) for p in liaisons],
        head=person("fin-head"), as_of=at,
    )  # fmt: skip


async def roster_at(db) -> datetime:
    async with db.session() as session:
        policy = await session.get(DepartmentPolicy, "finance")
    return policy.roster_at.replace(tzinfo=UTC)


async def test_the_same_roster_again_is_answered_without_the_database(db):
    async with db.transaction() as session:
        first = await finance(session, T0)
        with counting_statements(db) as sent:
            again = [await finance(session, T0 + timedelta(seconds=n)) for n in (1, 2, 3)]
        assert naming(sent, "department_policies", "department_members") == []
    assert first.applied and all(r.applied for r in again)
    assert [r.members for r in again] == [first.members] * 3
    assert all(r.hours == first.hours for r in again)
    # The newest roster_at was written once, at the commit.
    assert await roster_at(db) == T0 + timedelta(seconds=3)


async def test_an_older_roster_after_a_newer_one_is_not_applied(db):
    async with db.transaction() as session:
        newer = await finance(session, T0 + timedelta(minutes=1))
        older = await finance(session, T0)
    assert (newer.applied, older.applied) == (True, False)
    assert older.members == newer.members  # the directory as the newer one left it
    assert await roster_at(db) == T0 + timedelta(minutes=1)


async def test_a_different_roster_goes_to_the_database_after_the_time_counted(db):
    async with db.transaction() as session:
        await finance(session, T0)
        await finance(session, T0 + timedelta(seconds=1))  # counted, not yet written
        with counting_statements(db) as sent:
            changed = await finance(session, T0 + timedelta(seconds=2), ("fin-gita", "fin-ivy"))
        assert len(naming(sent, "UPDATE department_policies")) >= 2  # counted, then this one
        assert changed.applied
        again = await finance(session, T0 + timedelta(seconds=3), ("fin-gita", "fin-ivy"))
        assert again.applied
    async with db.session() as session:
        hugo = await session.get(Member, ("finance", "fin-hugo"))
        ivy = await session.get(Member, ("finance", "fin-ivy"))
    assert (hugo.active, ivy.active) == (False, True)
    assert await roster_at(db) == T0 + timedelta(seconds=3)


async def test_a_member_changed_in_the_transaction_is_read_again(db):
    async with db.transaction() as session:
        await finance(session, T0)
        gita = await session.get(Member, ("finance", "fin-gita"))
        gita.on_duty = False
        session.add(gita)
        await session.flush()
        with counting_statements(db) as sent:
            again = await finance(session, T0 + timedelta(seconds=1))
        assert naming(sent, "department_members")
    by_id = {m.person_id: m for m in again.members}
    assert by_id["fin-gita"].on_duty is False


async def test_a_member_updated_by_a_statement_in_the_transaction_is_read_again(db):
    """The same for an ORM UPDATE (no flush involved)."""
    async with db.transaction() as session:
        await finance(session, T0)
        await session.exec(
            update(Member)
            .where(col(Member.department) == "finance", col(Member.person_id) == "fin-gita")
            .values(on_duty=False)
        )
        with counting_statements(db) as sent:
            again = await finance(session, T0 + timedelta(seconds=1))
        assert naming(sent, "department_members")
    by_id = {m.person_id: m for m in again.members}
    assert by_id["fin-gita"].on_duty is False


async def test_nothing_is_held_past_a_rollback(db):
    class Undo(Exception):
        pass

    try:
        async with db.transaction() as session:
            await finance(session, T0 + timedelta(hours=1))
            await finance(session, T0 + timedelta(hours=2))
            raise Undo
    except Undo:
        pass
    before = await roster_at(db)
    assert before < T0 + timedelta(hours=1)
    async with db.transaction() as session:
        with counting_statements(db) as sent:
            await finance(session, T0)
        assert naming(sent, "department_policies")  # asked of the database, not of memory
    assert await roster_at(db) == T0


async def test_inside_a_savepoint_each_roster_is_asked_of_the_database(db):
    async with db.transaction() as session:
        await finance(session, T0)
        await finance(session, T0 + timedelta(seconds=1))
        async with session.begin_nested():
            with counting_statements(db) as sent:
                await finance(session, T0 + timedelta(seconds=2))
            assert naming(sent, "department_policies")
    assert await roster_at(db) == T0 + timedelta(seconds=2)
