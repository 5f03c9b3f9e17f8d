"""A stateful property test: random sequences of assign, acknowledge, hand-off,
accept, decline, help, answer, resolve and reopen, by the right people and the
wrong ones, and after every step exactly one owner per issue, from routing to
resolution, who belongs to the issue's department."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from baton_ownership.assignment import service as assignment
from baton_ownership.core.errors import OwnershipError
from baton_ownership.core.models import Handoff, HelpRequest, HistoryEntry, IssueOwner
from baton_ownership.core.store import Ctx
from baton_ownership.directory.models import Member
from baton_ownership.lifecycle import service as lifecycle
from baton_ownership.problems import problem_of
from baton_ownership.settings import Settings
from baton_runtime import migrations
from baton_runtime.db import Database
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlmodel import func, select

from .conftest import DEPARTMENTS, MIGRATIONS, Clock, seed

PEOPLE = sorted({p for liaisons, head in DEPARTMENTS.values() for p in [*liaisons, head]})
ISSUES = [f"i-{n}" for n in range(3)]
_template: Path | None = None


def template_db() -> Path:
    """Migrate and seed once; every example starts from a copy."""
    global _template
    if _template is None:
        path = Path(tempfile.mkdtemp()) / "template.db"
        url = f"sqlite+aiosqlite:///{path}"
        migrations.upgrade(MIGRATIONS, url)
        db = Database(url)
        asyncio.run(_seed_and_close(db))
        _template = path
    return _template


async def _seed_and_close(db: Database) -> None:
    await seed(db)
    await db.dispose()


class OwnershipMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp())
        shutil.copy(template_db(), self.dir / "o.db")
        self.loop = asyncio.new_event_loop()
        self.db = Database(f"sqlite+aiosqlite:///{self.dir / 'o.db'}")
        self.settings = Settings(database_url="sqlite+aiosqlite:///unused.db")
        self.clock = Clock()
        self.assigned: set[str] = set()

    def teardown(self) -> None:
        self.loop.run_until_complete(self.db.dispose())
        self.loop.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    async def _act(self, actor: str, step, **kw):
        async with self.db.transaction() as session:
            ctx = Ctx(session=session, settings=self.settings, actor_id=actor, clock=self.clock)
            return await step(ctx, **kw)

    def act(self, actor: str, step, **kw) -> bool:
        """Apply a step; a refusal (answered as a 4xx problem) is a legitimate outcome,
        not a failure."""
        self.clock.advance(minutes=7)
        try:
            self.run(self._act(actor, step, **kw))
            return True
        except OwnershipError as refusal:
            assert 400 <= problem_of(refusal).status < 500
            return False

    def issue(self, issue_id: str) -> IssueOwner:
        async def get():
            async with self.db.session() as s:
                return await s.get(IssueOwner, issue_id)

        return self.run(get())

    def pending(self, issue_id: str) -> Handoff | None:
        async def get():
            async with self.db.session() as s:
                return (
                    await s.exec(
                        select(Handoff).where(
                            Handoff.issue_id == issue_id, Handoff.status == "requested"
                        )
                    )
                ).first()

        return self.run(get())

    def open_help(self, issue_id: str) -> HelpRequest | None:
        async def get():
            async with self.db.session() as s:
                return (
                    await s.exec(
                        select(HelpRequest).where(
                            HelpRequest.issue_id == issue_id, HelpRequest.status == "open"
                        )
                    )
                ).first()

        return self.run(get())

    def who(self, issue_id: str, right: bool, person: str) -> str:
        return self.issue(issue_id).owner_id if right else person

    # ---- rules ------------------------------------------------------------------------

    @rule(issue_id=st.sampled_from(ISSUES), department=st.sampled_from(sorted(DEPARTMENTS)))
    def route(self, issue_id, department):
        async def go():
            async with self.db.transaction() as s:
                return await assignment.assign(session=s, issue_id=issue_id, department=department)

        owner = self.run(go())
        assert (owner is None) == (issue_id in self.assigned)
        self.assigned.add(issue_id)

    @precondition(lambda self: self.assigned)
    @rule(data=st.data(), right=st.booleans(), person=st.sampled_from(PEOPLE))
    def acknowledge(self, data, right, person):
        issue_id = data.draw(st.sampled_from(sorted(self.assigned)))
        issue = self.issue(issue_id)
        ok = self.act(
            self.who(issue_id, right, person),
            lifecycle.acknowledge,
            issue_id=issue_id,
            version=issue.version,
        )
        assert ok == (right and issue.state == "assigned") or not right

    @precondition(lambda self: self.assigned)
    @rule(
        data=st.data(),
        who=st.integers(0, 3),
        person=st.sampled_from(PEOPLE),
        to=st.sampled_from(sorted(DEPARTMENTS)),
    )
    def hand_off(self, data, who, person, to):
        right = who > 0  # the wrong person acts a quarter of the time
        issue_id = data.draw(st.sampled_from(sorted(self.assigned)))
        issue = self.issue(issue_id)
        self.act(
            self.who(issue_id, right, person),
            lifecycle.request_handoff,
            issue_id=issue_id,
            version=issue.version,
            to_department=to,
            to_person_id=None if to != issue.department else DEPARTMENTS[to][0][1],
            reason="not ours",
        )

    @precondition(lambda self: self.assigned)
    @rule(
        data=st.data(), accept=st.booleans(), who=st.integers(0, 3), person=st.sampled_from(PEOPLE)
    )
    def answer_hand_off(self, data, accept, who, person):
        right = who > 0  # the wrong person acts a quarter of the time
        issue_id = data.draw(st.sampled_from(sorted(self.assigned)))
        handoff = self.pending(issue_id)
        if handoff is None:
            return
        receiver = handoff.to_person_id or DEPARTMENTS[handoff.to_department][0][0]
        actor = receiver if right else person
        before = self.issue(issue_id)
        if accept:
            ok = self.act(
                actor,
                lifecycle.accept_handoff,
                issue_id=issue_id,
                handoff_id=handoff.id,
                version=before.version,
            )
            after = self.issue(issue_id)
            if ok:
                assert (after.owner_id, after.department) == (actor, handoff.to_department)
        else:
            ok = self.act(
                actor,
                lifecycle.decline_handoff,
                issue_id=issue_id,
                handoff_id=handoff.id,
                version=before.version,
                reason="no",
            )
            after = self.issue(issue_id)
            assert (after.owner_id, after.department) == (before.owner_id, before.department)
        if right:
            assert ok

    @precondition(lambda self: self.assigned)
    @rule(
        data=st.data(),
        right=st.booleans(),
        person=st.sampled_from(PEOPLE),
        department=st.sampled_from(sorted(DEPARTMENTS)),
    )
    def ask_help(self, data, right, person, department):
        issue_id = data.draw(st.sampled_from(sorted(self.assigned)))
        before = self.issue(issue_id)
        self.act(
            self.who(issue_id, right, person),
            lifecycle.ask_help,
            issue_id=issue_id,
            version=before.version,
            department=department,
            question="?",
            due_in=timedelta(hours=1),
        )
        assert self.issue(issue_id).owner_id == before.owner_id  # help never moves ownership

    @precondition(lambda self: self.assigned)
    @rule(data=st.data())
    def answer_help(self, data):
        issue_id = data.draw(st.sampled_from(sorted(self.assigned)))
        help_request = self.open_help(issue_id)
        if help_request is None:
            return
        helper = DEPARTMENTS[help_request.helping_department][0][0]
        assert self.act(
            helper,
            lifecycle.answer_help,
            issue_id=issue_id,
            help_id=help_request.id,
            version=self.issue(issue_id).version,
            answer="here",
        )

    @precondition(lambda self: self.assigned)
    @rule(
        data=st.data(), right=st.booleans(), person=st.sampled_from(PEOPLE), now=st.integers(0, 3)
    )
    def resolve(self, data, right, person, now):
        if now:  # resolving ends most of what can happen: do it a quarter as often
            return
        issue_id = data.draw(st.sampled_from(sorted(self.assigned)))
        issue = self.issue(issue_id)
        ok = self.act(
            self.who(issue_id, right, person),
            lifecycle.resolve,
            issue_id=issue_id,
            version=issue.version,
            resolution="done",
        )
        if right:
            assert ok == (issue.state != "resolved")

    @precondition(lambda self: self.assigned)
    @rule(data=st.data(), right=st.booleans(), person=st.sampled_from(PEOPLE))
    def reopen(self, data, right, person):
        issue_id = data.draw(st.sampled_from(sorted(self.assigned)))
        issue = self.issue(issue_id)
        ok = self.act(
            self.who(issue_id, right, person),
            lifecycle.reopen,
            issue_id=issue_id,
            version=issue.version,
            reason="again",
        )
        if right:
            assert ok == (issue.state == "resolved")

    @precondition(lambda self: self.assigned)
    @rule(data=st.data(), stale=st.integers(min_value=1, max_value=3))
    def stale_version_changes_nothing(self, data, stale):
        issue_id = data.draw(st.sampled_from(sorted(self.assigned)))
        before = self.issue(issue_id)
        if stale >= before.version:
            return
        assert not self.act(
            before.owner_id,
            lifecycle.resolve,
            issue_id=issue_id,
            version=before.version - stale,
            resolution="stale",
        )
        assert self.issue(issue_id).version == before.version

    # ---- what must always hold ------------------------------------------------------------

    @invariant()
    def exactly_one_owner_who_belongs_to_the_department(self):
        async def check():
            async with self.db.session() as s:
                for issue_id in self.assigned:
                    rows = (
                        await s.exec(select(IssueOwner).where(IssueOwner.issue_id == issue_id))
                    ).all()
                    assert len(rows) == 1, f"{issue_id} has {len(rows)} owners"
                    [owner] = rows
                    assert owner.owner_id
                    member = await s.get(Member, (owner.department, owner.owner_id))
                    assert member is not None, f"{owner.owner_id} is not in {owner.department}"
                    pending = (
                        await s.exec(
                            select(func.count())
                            .select_from(Handoff)
                            .where(Handoff.issue_id == issue_id, Handoff.status == "requested")
                        )
                    ).one()
                    assert pending <= 1
                    changes = (
                        await s.exec(
                            select(func.count())
                            .select_from(HistoryEntry)
                            .where(HistoryEntry.issue_id == issue_id)
                        )
                    ).one()
                    # Every change is in the history, after the first assignment (version 1).
                    assert owner.version == changes

        self.run(check())


OwnershipMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestOwnershipStateMachine = OwnershipMachine.TestCase
