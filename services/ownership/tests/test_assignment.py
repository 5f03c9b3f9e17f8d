from datetime import UTC, datetime
from pathlib import Path

import pytest
from baton_ownership.assignment import service
from baton_ownership.assignment.models import IssueOwner
from baton_shared.events import IssueRouted, Person
from sqlalchemy.exc import IntegrityError

MIGRATIONS = Path(__file__).parents[1] / "src" / "baton_ownership" / "migrations"


def person(pid: str) -> Person:
    return Person(id=pid, name=pid.title(), email=f"{pid}@example.com")


def routed(issue_id: str, department: str = "finance", liaisons=("ana", "ben")) -> IssueRouted:
    return IssueRouted(
        issue_id=issue_id,
        department=department,
        rule_id="r1",
        reason="because",
        liaisons=[person(p) for p in liaisons],
        escalation_contact=person("head"),
        routed_at=datetime.now(UTC),
    )


@pytest.fixture
async def db(migrated_db):
    return migrated_db(MIGRATIONS)


async def test_liaisons_take_turns_per_department(db):
    owners = []
    for n in range(5):
        async with db.transaction() as session:
            owner = await service.assign(session=session, routed=routed(f"i-{n}"))
            owners.append(owner.owner_id)
    assert owners == ["ana", "ben", "ana", "ben", "ana"]


async def test_departments_keep_separate_turns(db):
    async with db.transaction() as session:
        a = await service.assign(session=session, routed=routed("i-1", "finance"))
        b = await service.assign(session=session, routed=routed("i-2", "it", ("kofi", "lena")))
        c = await service.assign(session=session, routed=routed("i-3", "finance"))
    assert (a.owner_id, b.owner_id, c.owner_id) == ("ana", "kofi", "ben")


async def test_an_issue_that_already_has_an_owner_is_not_assigned_again(db):
    async with db.transaction() as session:
        first = await service.assign(session=session, routed=routed("i-1"))
    async with db.transaction() as session:
        again = await service.assign(session=session, routed=routed("i-1"))
    assert first is not None and again is None


async def test_without_liaisons_the_escalation_contact_holds_it(db):
    async with db.transaction() as session:
        owner = await service.assign(session=session, routed=routed("i-1", liaisons=()))
    assert owner.owner_id == "head"


async def test_the_database_rejects_a_second_owner_for_the_same_issue(db):
    async with db.transaction() as session:
        await service.assign(session=session, routed=routed("i-1"))
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
