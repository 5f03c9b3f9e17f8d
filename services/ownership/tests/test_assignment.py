import pytest
from baton_ownership.assignment import service
from baton_ownership.assignment.models import DepartmentCursor
from baton_ownership.core.models import IssueOwner
from baton_ownership.directory import service as directory
from baton_ownership.directory.models import Member
from sqlalchemy.exc import IntegrityError

from .conftest import person


async def assign(db, issue_id: str, department: str = "finance"):
    async with db.transaction() as session:
        return await service.assign(session=session, issue_id=issue_id, department=department)


async def set_member(db, department: str, person_id: str, **values) -> None:
    async with db.transaction() as session:
        member = await session.get(Member, (department, person_id))
        for k, v in values.items():
            setattr(member, k, v)
        session.add(member)


async def test_equally_loaded_liaisons_take_turns(db):
    owners = [(await assign(db, f"i-{n}")).owner_id for n in range(4)]
    assert owners == ["fin-gita", "fin-hugo", "fin-gita", "fin-hugo"]


async def test_the_liaison_with_the_fewest_open_issues_gets_the_next(db):
    await assign(db, "i-1")  # to gita, in turn
    async with db.transaction() as session:
        issue = await session.get(IssueOwner, "i-1")
        issue.owner_id = "fin-hugo"  # hugo now has one open issue, gita none
        session.add(issue)
    await assign(db, "i-2")  # the turn says hugo, the load says gita
    assert (await assign(db, "i-2")) is None
    async with db.session() as session:
        assert (await session.get(IssueOwner, "i-2")).owner_id == "fin-gita"


async def test_a_liaison_who_is_away_or_full_is_skipped(db):
    await set_member(db, "finance", "fin-gita", on_duty=False)
    assert (await assign(db, "i-1")).owner_id == "fin-hugo"
    await set_member(db, "finance", "fin-hugo", capacity=1)
    owner = await assign(db, "i-2")
    assert (owner.owner_id, owner.held_by_head) == ("fin-head", True)


async def test_an_issue_that_already_has_an_owner_is_not_assigned_again(db):
    assert await assign(db, "i-1") is not None
    assert await assign(db, "i-1") is None


async def test_the_catalog_update_deactivates_removed_liaisons_and_keeps_availability(db):
    await set_member(db, "finance", "fin-gita", capacity=3)
    async with db.transaction() as session:
        await directory.upsert_department(
            session=session,
            department="finance",
            liaisons=[person("fin-gita"), person("fin-ivy")],
            head=person("fin-head"),
        )
    async with db.session() as session:
        gita = await session.get(Member, ("finance", "fin-gita"))
        hugo = await session.get(Member, ("finance", "fin-hugo"))
    assert (gita.active, gita.capacity) == (True, 3)
    assert hugo.active is False


async def test_the_database_rejects_a_second_owner_for_the_same_issue(db):
    await assign(db, "i-1")
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            session.add(
                IssueOwner(
                    issue_id="i-1",
                    department="it",
                    owner_id="x",
                    owner_name="X",
                    owner_email="x@example.com",
                )
            )


async def test_the_database_rejects_an_owner_of_none(db):
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            session.add(
                IssueOwner(
                    issue_id="i-2",
                    department="it",
                    owner_id=None,
                    owner_name="X",
                    owner_email="x@example.com",
                )
            )


async def test_a_roster_older_than_the_one_applied_is_not_applied(db):
    """A routing decision made before a catalog change, delivered after it, must
    not bring back who the catalog no longer lists."""
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    async with db.transaction() as session:
        newer = await directory.upsert_department(
            session=session, department="it", liaisons=[person("it-kofi")],
            head=person("it-head"), as_of=now + timedelta(minutes=1),
        )  # fmt: skip
        older = await directory.upsert_department(
            session=session, department="it", liaisons=[person("it-kofi"), person("it-old")],
            head=person("it-head"), as_of=now,
        )  # fmt: skip
    assert (newer.applied, older.applied) == (True, False)
    async with db.session() as session:
        assert await directory.member(session=session, department="it", person_id="it-old") is None
        lena = await directory.member(session=session, department="it", person_id="it-lena")
    assert lena is None  # the newer roster dropped her, and the older one did not return her


async def test_capacity_is_counted_under_the_cursor_lock_so_no_one_is_over_filled(db):
    async with db.transaction() as session:
        for person_id in ("ops-ana", "ops-ben"):
            member = await directory.member(
                session=session, department="operations", person_id=person_id
            )
            member.capacity = 1
            session.add(member)
    owners = []
    for n in range(3):
        async with db.transaction() as session:
            issue = await service.assign(
                session=session, issue_id=f"c-{n}", department="operations"
            )
            owners.append(issue.owner_id)
    assert sorted(owners[:2]) == ["ops-ana", "ops-ben"] and owners[2] == "ops-head"


async def test_the_first_assignment_starts_the_history_with_the_routing_decision(db):
    from baton_ownership.lifecycle import service as lifecycle

    async with db.transaction() as session:
        await service.assign(
            session=session,
            issue_id="i-1",
            department="finance",
            decision={"rule_id": "finance-refunds", "reason": "matched 'refund'", "attempt": 1},
        )
    async with db.session() as session:
        (entry,) = await lifecycle.history(session=session, issue_id="i-1")
    assert (entry.action, entry.actor_id, entry.department, entry.owner_id, entry.version) == (
        "assigned",
        "baton-routing",
        "finance",
        "fin-gita",
        1,
    )
    assert entry.details == {
        "held_by_head": False,
        "rule_id": "finance-refunds",
        "reason": "matched 'refund'",
        "attempt": 1,
    }


async def test_turns_taken_in_one_transaction_go_round_as_one_by_one(db):
    """A unit of work holds the department's cursor from its first turn: the turns
    after it are counted without a statement each, and the cursor is written at
    the commit, where the next transaction takes it up."""
    async with db.transaction() as session:
        owners = [
            (
                await service.assign(session=session, issue_id=f"i-{n}", department="finance")
            ).owner_id
            for n in range(4)
        ]
    async with db.transaction() as session:
        nxt = await service.assign(session=session, issue_id="i-4", department="finance")
        cursor = await session.get(DepartmentCursor, "finance")
    assert owners == ["fin-gita", "fin-hugo", "fin-gita", "fin-hugo"]
    assert (nxt.owner_id, cursor.next_index) == ("fin-gita", 5)


async def test_a_turn_taken_in_a_savepoint_that_rolls_back_is_taken_back(db):
    async with db.transaction() as session:
        await service.assign(session=session, issue_id="i-0", department="finance")  # gita
        with pytest.raises(RuntimeError):
            async with session.begin_nested():
                await service.assign(session=session, issue_id="i-1", department="finance")
                raise RuntimeError("this step fails")
        again = await service.assign(session=session, issue_id="i-1", department="finance")
    async with db.session() as session:
        cursor = await session.get(DepartmentCursor, "finance")
    assert again.owner_id == "fin-hugo"  # the turn the savepoint took is not lost
    assert cursor.next_index == 2
