"""Every transition of the lifecycle, and every refusal, on a real database."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from baton_contracts import IssueRouted, parse_event
from baton_ownership.assignment import service as assignment
from baton_ownership.assignment.handler import rerouted
from baton_ownership.core.errors import Invalid, NotFound, NotYours, Stale, WrongState
from baton_ownership.core.models import IssueOwner
from baton_ownership.directory import service as directory
from baton_ownership.directory.models import Member
from baton_ownership.lifecycle import service as lifecycle
from baton_runtime.outbox import OutboxMessage
from sqlmodel import select

from .conftest import person


@pytest.fixture
async def issue(db):
    """An issue routed to operations, owned by ops-ana at version 1."""
    async with db.transaction() as session:
        return await assignment.assign(session=session, issue_id="i-1", department="operations")


async def events(db, *, clocks: bool = False) -> list[str]:
    """The types of the events staged so far (without the clocks' DeadlineSet,
    unless ``clocks``)."""
    async with db.session() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    types = [parse_event(r.payload.encode()).type.split(".")[2] for r in rows]
    return [t for t in types if clocks or t != "deadline_set"]


async def current(db, issue_id="i-1") -> IssueOwner:
    async with db.session() as session:
        return await session.get(IssueOwner, issue_id)


async def refused(error: type[Exception], coro):
    with pytest.raises(error) as caught:
        await coro
    return caught.value


async def test_the_owner_acknowledges(act, db, issue):
    done = await act("ops-ana", lifecycle.acknowledge, issue_id="i-1", version=1)
    assert (done.state, done.version) == ("acknowledged", 2)
    assert await events(db) == ["acknowledged"]


async def test_someone_else_may_not_act_but_the_department_head_may(act, issue):
    await refused(NotYours, act("ops-ben", lifecycle.acknowledge, issue_id="i-1", version=1))
    await refused(NotYours, act("fin-head", lifecycle.acknowledge, issue_id="i-1", version=1))
    done = await act("ops-head", lifecycle.acknowledge, issue_id="i-1", version=1)
    assert done.state == "acknowledged"


async def test_a_stale_version_is_refused_and_changes_nothing(act, db, issue):
    await act("ops-ana", lifecycle.acknowledge, issue_id="i-1", version=1)
    stale = await refused(
        Stale, act("ops-ana", lifecycle.resolve, issue_id="i-1", version=1, resolution="done")
    )
    assert stale.version == 2
    assert (await current(db)).state == "acknowledged"


async def test_an_unknown_issue_is_not_found(act, db):
    await refused(NotFound, act("ops-ana", lifecycle.acknowledge, issue_id="nope", version=1))


async def test_a_hand_off_keeps_the_owner_accountable_until_accepted(act, db, issue):
    _, handoff = await act(
        "ops-ana",
        lifecycle.request_handoff,
        issue_id="i-1",
        version=1,
        to_department="finance",
        to_person_id=None,
        reason="a billing error",
    )
    waiting = await current(db)
    assert (waiting.owner_id, waiting.department, waiting.version) == ("ops-ana", "operations", 2)

    done = await act(
        "fin-hugo", lifecycle.accept_handoff, issue_id="i-1", handoff_id=handoff.id, version=2
    )
    assert (done.owner_id, done.department, done.hop, done.state) == (
        "fin-hugo",
        "finance",
        2,
        "acknowledged",
    )
    assert await events(db) == ["handoff_requested", "owner_assigned"]


async def test_a_decline_leaves_the_issue_with_its_owner(act, db, issue):
    _, handoff = await act(
        "ops-ana",
        lifecycle.request_handoff,
        issue_id="i-1",
        version=1,
        to_department="finance",
        to_person_id=None,
        reason="billing?",
    )
    done = await act(
        "fin-gita",
        lifecycle.decline_handoff,
        issue_id="i-1",
        handoff_id=handoff.id,
        version=2,
        reason="not a billing matter",
    )
    assert (done.owner_id, done.department, done.version) == ("ops-ana", "operations", 3)
    # Naming no better department, the decline also asks routing again.
    assert await events(db) == ["handoff_requested", "handoff_declined", "reroute-requested"]
    # Declined: a new hand-off may be asked for.
    await act(
        "ops-ana",
        lifecycle.request_handoff,
        issue_id="i-1",
        version=3,
        to_department="it",
        to_person_id=None,
        reason="maybe IT",
    )


async def test_only_the_receiver_may_answer_a_hand_off(act, issue):
    _, handoff = await act(
        "ops-ana",
        lifecycle.request_handoff,
        issue_id="i-1",
        version=1,
        to_department="finance",
        to_person_id="fin-gita",
        reason="billing",
    )
    await refused(
        NotYours,
        act("fin-hugo", lifecycle.accept_handoff, issue_id="i-1", handoff_id=handoff.id, version=2),
    )
    await refused(
        NotYours,
        act("ops-ana", lifecycle.accept_handoff, issue_id="i-1", handoff_id=handoff.id, version=2),
    )
    done = await act(
        "fin-head", lifecycle.accept_handoff, issue_id="i-1", handoff_id=handoff.id, version=2
    )
    assert done.owner_id == "fin-head"


async def test_one_hand_off_at_a_time_and_none_to_nowhere(act, issue):
    await refused(
        Invalid,
        act(
            "ops-ana",
            lifecycle.request_handoff,
            issue_id="i-1",
            version=1,
            to_department="legal",
            to_person_id=None,
            reason="?",
        ),
    )
    await refused(
        Invalid,
        act(
            "ops-ana",
            lifecycle.request_handoff,
            issue_id="i-1",
            version=1,
            to_department="finance",
            to_person_id="it-kofi",
            reason="?",
        ),
    )
    await refused(
        Invalid,
        act(
            "ops-ana",
            lifecycle.request_handoff,
            issue_id="i-1",
            version=1,
            to_department="operations",
            to_person_id=None,
            reason="?",
        ),
    )
    await act(
        "ops-ana",
        lifecycle.request_handoff,
        issue_id="i-1",
        version=1,
        to_department="finance",
        to_person_id=None,
        reason="billing",
    )
    await refused(
        WrongState,
        act(
            "ops-ana",
            lifecycle.request_handoff,
            issue_id="i-1",
            version=2,
            to_department="it",
            to_person_id=None,
            reason="or IT",
        ),
    )


async def test_an_accepted_hand_off_cannot_be_answered_again(act, issue):
    _, handoff = await act(
        "ops-ana",
        lifecycle.request_handoff,
        issue_id="i-1",
        version=1,
        to_department="finance",
        to_person_id=None,
        reason="billing",
    )
    await act(
        "fin-gita", lifecycle.accept_handoff, issue_id="i-1", handoff_id=handoff.id, version=2
    )
    await refused(
        WrongState,
        act(
            "fin-hugo",
            lifecycle.decline_handoff,
            issue_id="i-1",
            handoff_id=handoff.id,
            version=3,
            reason="late",
        ),
    )


async def test_help_keeps_ownership_and_is_answered_by_the_helping_department(
    act, db, issue, clock
):
    _, help_request = await act(
        "ops-ana",
        lifecycle.ask_help,
        issue_id="i-1",
        version=1,
        department="it",
        question="Is the portal down?",
        due_in=timedelta(hours=4),
    )
    assert (await current(db)).owner_id == "ops-ana"
    await refused(
        NotYours,
        act(
            "fin-gita",
            lifecycle.answer_help,
            issue_id="i-1",
            help_id=help_request.id,
            version=2,
            answer="?",
        ),
    )
    clock.advance(hours=5)
    done = await act(
        "it-lena",
        lifecycle.answer_help,
        issue_id="i-1",
        help_id=help_request.id,
        version=2,
        answer="It was; fixed now.",
    )
    assert (done.owner_id, done.version) == ("ops-ana", 3)
    assert await events(db) == ["help_requested", "help_answered"]
    async with db.session() as session:
        history = await lifecycle.history(session=session, issue_id="i-1")
    assert history[-1].details == {"help_id": help_request.id, "on_time": False}


async def test_help_is_asked_of_another_known_department(act, issue):
    await refused(
        Invalid,
        act(
            "ops-ana",
            lifecycle.ask_help,
            issue_id="i-1",
            version=1,
            department="operations",
            question="?",
            due_in=timedelta(hours=1),
        ),
    )
    await refused(
        Invalid,
        act(
            "ops-ana",
            lifecycle.ask_help,
            issue_id="i-1",
            version=1,
            department="legal",
            question="?",
            due_in=timedelta(hours=1),
        ),
    )


async def test_resolve_and_reopen(act, db, issue):
    await act(
        "ops-ana",
        lifecycle.request_handoff,
        issue_id="i-1",
        version=1,
        to_department="finance",
        to_person_id=None,
        reason="billing",
    )
    done = await act(
        "ops-ana",
        lifecycle.resolve,
        issue_id="i-1",
        version=2,
        resolution="Refunded by operations after all",
    )
    assert (done.state, done.owner_id) == ("resolved", "ops-ana")
    async with db.session() as session:
        assert await lifecycle.snapshot(session=session, issue_id="i-1") is not None
        _, pending, _ = await lifecycle.snapshot(session=session, issue_id="i-1")
    assert pending is None  # resolving cancelled the waiting hand-off
    await refused(
        WrongState, act("ops-ana", lifecycle.resolve, issue_id="i-1", version=3, resolution="again")
    )
    await refused(
        WrongState,
        act(
            "ops-ana",
            lifecycle.request_handoff,
            issue_id="i-1",
            version=3,
            to_department="it",
            to_person_id=None,
            reason="?",
        ),
    )
    reopened = await act(
        "ops-ana", lifecycle.reopen, issue_id="i-1", version=3, reason="customer wrote back"
    )
    assert (reopened.state, reopened.resolved_at) == ("acknowledged", None)
    await refused(
        WrongState, act("ops-ana", lifecycle.reopen, issue_id="i-1", version=4, reason="?")
    )
    assert await events(db) == ["handoff_requested", "resolved", "reopened"]


async def test_history_records_every_change_with_who_and_when(act, db, issue, clock):
    await act("ops-ana", lifecycle.acknowledge, issue_id="i-1", version=1)
    clock.advance(minutes=30)
    await act("ops-ana", lifecycle.resolve, issue_id="i-1", version=2, resolution="done")
    async with db.session() as session:
        rows = await lifecycle.history(session=session, issue_id="i-1")
    assert [(r.action, r.actor_id, r.version) for r in rows] == [
        ("assigned", "baton-routing", 1),
        ("acknowledge", "ops-ana", 2),
        ("resolve", "ops-ana", 3),
    ]
    assert rows[2].at - rows[1].at == timedelta(minutes=30)


async def test_held_issues_go_to_a_liaison_coming_on_duty_oldest_first(act, db, clock):
    async with db.transaction() as session:
        for pid in ("fin-gita", "fin-hugo"):
            member = await session.get(Member, ("finance", pid))
            member.on_duty = False
            session.add(member)
    for n in (1, 2):
        clock.advance(minutes=1)
        async with db.transaction() as session:
            owner = await assignment.assign(
                session=session, issue_id=f"h-{n}", department="finance", now=clock()
            )
        assert owner.owner_id == "fin-head"
    async with db.transaction() as session:
        member = await session.get(Member, ("finance", "fin-gita"))
        member.on_duty, member.capacity = True, 1
        session.add(member)
    moved = await act("fin-gita", assignment.drain, department="finance")
    assert [m.issue_id for m in moved] == ["h-1"]  # oldest first; capacity 1
    assert (await current(db, "h-1")).owner_id == "fin-gita"
    assert (await current(db, "h-2")).owner_id == "fin-head"
    assert await events(db) == ["owner_assigned"]


async def outbox_topics(db) -> list[tuple[str, str]]:
    async with db.session() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    return [(r.topic, parse_event(r.payload.encode()).type.split(".")[2]) for r in rows]


async def test_a_decline_naming_no_better_department_asks_routing_again(act, db, issue):
    _, handoff = await act(
        "ops-ana",
        lifecycle.request_handoff,
        issue_id="i-1",
        version=1,
        to_department="finance",
        to_person_id=None,
        reason="billing?",
    )
    await act(
        "fin-gita",
        lifecycle.decline_handoff,
        issue_id="i-1",
        handoff_id=handoff.id,
        version=2,
        reason="not ours",
    )
    assert (await outbox_topics(db))[-1] == ("issues.reroute", "reroute-requested")


async def test_a_decline_naming_a_better_department_does_not_reroute(act, db, issue):
    _, handoff = await act(
        "ops-ana",
        lifecycle.request_handoff,
        issue_id="i-1",
        version=1,
        to_department="finance",
        to_person_id=None,
        reason="billing?",
    )
    await act(
        "fin-gita",
        lifecycle.decline_handoff,
        issue_id="i-1",
        handoff_id=handoff.id,
        version=2,
        reason="IT's",
        suggested_department="it",
    )
    assert [t for t, _ in await outbox_topics(db)] == ["issues.ownership", "issues.ownership"]


async def test_a_reroute_asks_the_new_department_to_accept_and_the_owner_keeps_it(
    db, settings, issue
):
    async with db.transaction() as session:
        await directory.upsert_department(
            session=session,
            department="customer_service",
            liaisons=[person("cs-maya")],
            head=person("cs-head"),
        )
    runtime = SimpleNamespace(settings=settings)
    routed = IssueRouted(
        issue_id="i-1",
        department="it",
        rule_id=None,
        reason="the model says IT",
        liaisons=[person("it-kofi")],
        head=person("it-head"),
        routed_at=datetime.now(UTC),
        attempt=3,
        silo_alarm=True,
    )
    async with db.transaction() as session:
        await rerouted(session, routed, runtime=runtime)
    async with db.session() as session:
        _, pending, _ = await lifecycle.snapshot(session=session, issue_id="i-1")
        owner = await session.get(IssueOwner, "i-1")
    assert (owner.owner_id, pending.to_department, pending.from_owner_id) == (
        "ops-ana",
        "it",
        "ops-ana",
    )
    assert [k for _, k in await outbox_topics(db)] == ["escalated", "handoff_requested"]


async def test_accepting_says_the_receivers_resolve_clock_in_its_owner_assigned(
    act, db, issue, clock
):
    """The clock accepting starts rides in the OwnerAssigned: no DeadlineSet of its own."""
    from baton_contracts import DeadlineSet, IssueResolved, OwnerAssigned

    _, handoff = await act(
        "ops-ana", lifecycle.request_handoff, issue_id="i-1", version=1,
        to_department="finance", to_person_id=None, reason="billing",
    )  # fmt: skip
    await act(
        "fin-hugo", lifecycle.accept_handoff, issue_id="i-1", handoff_id=handoff.id, version=2
    )
    await act("fin-hugo", lifecycle.resolve, issue_id="i-1", version=3, resolution="Refunded")
    async with db.session() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    payloads = [parse_event(r.payload.encode()).data for r in rows]
    assert not [p for p in payloads if isinstance(p, DeadlineSet)]
    (accepted,) = [p for p in payloads if isinstance(p, OwnerAssigned)]
    (clock_set,) = accepted.clocks
    assert (clock_set.deadline, clock_set.department, clock_set.version) == (
        "resolve",
        "finance",
        3,
    )
    assert clock_set.due_at > clock()
    assert (accepted.via, accepted.version, accepted.resolve_due_at) == (
        "handoff",
        3,
        clock_set.due_at,
    )
    (resolved,) = [p for p in payloads if isinstance(p, IssueResolved)]
    assert resolved.resolution == "Refunded"
