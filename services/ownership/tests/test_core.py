"""The lifecycle's rules without a database: every transition, what it refuses,
and stale versions, as plain function calls."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from baton_contracts import (
    Escalated,
    HandoffDeclined,
    HandoffRequested,
    HelpAnswered,
    HelpRequested,
    IssueAcknowledged,
    IssueReopened,
    IssueResolved,
    OwnerAssigned,
    Person,
    RerouteRequested,
)
from baton_ownership.core import transitions as rules
from baton_ownership.core.errors import Invalid, NotFound, NotYours, Stale, WrongState
from baton_ownership.core.state import Actor, Department, HandoffView, HelpView, Issue, Seat
from baton_ownership.problems import problem_of

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


def person(pid: str) -> Person:
    return Person(id=pid, name=pid.title(), email=f"{pid}@example.com")


def seat(department: str, pid: str, role: str = "liaison") -> Seat:
    return Seat(department=department, role=role, person=person(pid))  # type: ignore[arg-type]


def actor(pid: str, *seats: Seat) -> Actor:
    return Actor(id=pid, seats={s.department: s for s in seats})


ANA = actor("ops-ana", seat("operations", "ops-ana"))
BEN = actor("ops-ben", seat("operations", "ops-ben"))
OPS_HEAD = actor("ops-head", seat("operations", "ops-head", "head"))
GITA = actor("fin-gita", seat("finance", "fin-gita"))
HUGO = actor("fin-hugo", seat("finance", "fin-hugo"))
FIN_HEAD = actor("fin-head", seat("finance", "fin-head", "head"))
FINANCE = Department("finance", {"fin-gita": "liaison", "fin-hugo": "liaison", "fin-head": "head"})
OPERATIONS = Department(
    "operations", {"ops-ana": "liaison", "ops-ben": "liaison", "ops-head": "head"}
)


def routed(**values) -> Issue:
    """i-1, routed to operations at NOW, owned by ops-ana at version 1."""
    issue = rules.assign(
        issue_id="i-1", department="operations", to=seat("operations", "ops-ana"),
        priority="normal", now=NOW,
    )  # fmt: skip
    return replace(issue, **values)


def handoff(to: str = "finance", to_person_id: str | None = None, **values) -> HandoffView:
    return HandoffView(
        id=7, issue_id="i-1", to_department=to, to_person_id=to_person_id, reason="billing",
        **values,
    )  # fmt: skip


def waiting(handoff_view: HandoffView | None = None, **values) -> Issue:
    """i-1 with a hand-off to finance waiting, at version 2."""
    return routed(version=2, pending=handoff_view or handoff(), **values)


def kinds(change) -> list[type]:
    return [type(e) for e in change.events]


# ---- assignment, rebalancing, escalation --------------------------------------------


def test_a_routed_issue_starts_assigned_at_version_one_held_by_a_head_only_for_want_of_liaisons():
    issue = routed()
    assert (issue.owner_id, issue.state, issue.version, issue.hop) == ("ops-ana", "assigned", 1, 1)
    assert (issue.assigned_at, issue.department_since, issue.held_by_head) == (NOW, NOW, False)
    head = rules.assign(
        issue_id="i-2", department="operations", to=seat("operations", "ops-head", "head"),
        priority="urgent", now=NOW,
    )  # fmt: skip
    assert (head.held_by_head, head.priority) == (True, "urgent")
    event = rules.owner_assigned(issue, via="routing", previous_owner_id=None)
    assert (event.owner, event.hop, event.version) == (person("ops-ana"), 1, 1)


def test_rebalancing_moves_a_held_issue_to_a_liaison_who_must_acknowledge():
    held = routed(owner_id="ops-head", held_by_head=True, state="acknowledged")
    change = rules.rebalance(held, to=seat("operations", "ops-ben"), actor_id="ops-ben", now=LATER)
    after = change.after
    assert (after.owner_id, after.held_by_head, after.state, after.version) == (
        "ops-ben", False, "assigned", 2,
    )  # fmt: skip
    assert (change.action, change.details) == ("rebalanced", {"from": "ops-head"})
    [event] = change.events
    assert (event.via, event.previous_owner_id, event.assigned_at) == (
        "rebalance", "ops-head", LATER,
    )  # fmt: skip


def test_an_escalation_that_moves_reassigns_and_says_so_twice():
    change = rules.escalate(
        routed(), to=seat("operations", "ops-head", "head"), moved=True,
        reason="acknowledge_overdue", level=2, actor_id="baton-deadlines", now=LATER,
    )  # fmt: skip
    assert (change.after.owner_id, change.after.held_by_head) == ("ops-head", True)
    assigned, escalated = change.events
    assert isinstance(assigned, OwnerAssigned) and assigned.via == "escalation"
    assert isinstance(escalated, Escalated)
    assert (escalated.level, escalated.moved, escalated.to.id, escalated.version) == (
        2, True, "ops-head", 2,
    )  # fmt: skip
    assert change.details == {"reason": "acknowledge_overdue", "level": 2, "to": "ops-head"}


def test_an_escalation_that_notifies_leaves_the_owner_and_still_counts_a_version():
    change = rules.escalate(
        routed(), to=seat("customer_service", "cs-head", "head"), moved=False,
        reason="help_overdue", level=3, actor_id="baton-deadlines", now=LATER, help_id=4,
    )  # fmt: skip
    assert (change.after.owner_id, change.after.version) == ("ops-ana", 2)
    [escalated] = change.events
    assert (escalated.moved, escalated.help_id) == (False, 4)


def test_a_silo_alarm_tells_the_head_of_customer_service():
    change = rules.silo_alarm(
        routed(hop=4), head=person("cs-head"), actor_id="baton-routing", now=LATER
    )
    [alarm] = change.events
    assert (alarm.reason, alarm.level, alarm.moved, alarm.to.id) == (
        "silo_alarm", 0, False, "cs-head",
    )  # fmt: skip
    assert change.details == {"hop": 4, "to": "cs-head"}


# ---- acknowledge --------------------------------------------------------------------


def test_the_owner_or_the_department_head_acknowledges():
    for by in (ANA, OPS_HEAD):
        change = rules.acknowledge(routed(), by=by, version=1, now=LATER)
        assert (change.after.state, change.after.acknowledged_at) == ("acknowledged", LATER)
        assert (change.action, change.actor_id, change.at) == ("acknowledge", by.id, LATER)
        [event] = change.events
        assert isinstance(event, IssueAcknowledged)
        assert (event.actor_id, event.version, event.owner_id) == (by.id, 2, "ops-ana")


def test_a_colleague_or_another_departments_head_may_not_act():
    for by in (BEN, FIN_HEAD, actor("stranger")):
        with pytest.raises(NotYours):
            rules.acknowledge(routed(), by=by, version=1, now=LATER)


def test_only_an_assigned_issue_is_acknowledged():
    with pytest.raises(WrongState) as refused:
        rules.acknowledge(routed(state="acknowledged", version=2), by=ANA, version=2, now=LATER)
    assert (refused.value.state, refused.value.version) == ("acknowledged", 2)


def test_a_stale_version_is_refused_with_the_issues_own_version():
    with pytest.raises(Stale) as refused:
        rules.acknowledge(routed(version=3), by=ANA, version=2, now=LATER)
    assert refused.value.version == 3
    assert "since version 2" in refused.value.detail


def test_who_acts_is_judged_before_the_state_and_the_state_before_the_version():
    resolved = routed(state="resolved", version=5)
    with pytest.raises(NotYours):
        rules.resolve(resolved, by=BEN, version=1, resolution="x", now=LATER)
    with pytest.raises(WrongState):
        rules.resolve(resolved, by=ANA, version=1, resolution="x", now=LATER)


# ---- hand-offs ------------------------------------------------------------------------


def test_a_hand_off_request_is_checked_then_opened_keeping_the_owner():
    rules.check_handoff_request(routed(), by=ANA, to=FINANCE, to_person_id=None, version=1)
    change = rules.open_handoff(routed(), handoff=handoff(), actor_id="ops-ana", now=LATER)
    assert (change.after.owner_id, change.after.department) == ("ops-ana", "operations")
    assert (change.after.pending, change.after.version) == (handoff(), 2)
    [event] = change.events
    assert isinstance(event, HandoffRequested)
    assert (event.handoff_id, event.to_department, event.reason) == (7, "finance", "billing")
    assert change.details == {
        "handoff_id": 7, "to_department": "finance", "to_person_id": None, "reason": "billing",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("issue", "to", "to_person_id", "error"),
    [
        (routed(state="resolved"), FINANCE, None, WrongState),
        (waiting(), FINANCE, None, WrongState),  # one hand-off at a time
        (routed(), Department("legal"), None, Invalid),  # no such department
        (routed(), Department("legal", {"x": "liaison"}), None, Invalid),  # none without a head
        (routed(), FINANCE, "it-kofi", Invalid),  # not a member of finance
        (routed(), OPERATIONS, None, Invalid),  # the same department, nobody named
        (routed(), OPERATIONS, "ops-ana", Invalid),  # ... or the owner named
    ],
)
def test_a_hand_off_request_that_cannot_be_made_is_refused(issue, to, to_person_id, error):
    with pytest.raises(error):
        rules.check_handoff_request(
            issue, by=ANA, to=to, to_person_id=to_person_id, version=issue.version
        )


def test_a_hand_off_within_the_department_names_a_colleague():
    rules.check_handoff_request(routed(), by=ANA, to=OPERATIONS, to_person_id="ops-ben", version=1)


def test_a_hand_off_request_at_a_stale_version_is_refused_last():
    with pytest.raises(Stale):
        rules.check_handoff_request(routed(), by=ANA, to=FINANCE, to_person_id=None, version=9)
    with pytest.raises(NotYours):
        rules.check_handoff_request(routed(), by=GITA, to=FINANCE, to_person_id=None, version=9)


def test_accepting_makes_the_receiver_the_acknowledged_owner_one_hop_on():
    change = rules.accept_handoff(
        waiting(), by=HUGO, handoff_id=7, handoff=handoff(), version=2, now=LATER
    )
    after = change.after
    assert (after.owner_id, after.department, after.hop, after.state) == (
        "fin-hugo", "finance", 2, "acknowledged",
    )  # fmt: skip
    assert (after.department_since, after.pending, after.version) == (LATER, None, 3)
    [event] = change.events
    assert (event.via, event.previous_owner_id, event.hop) == ("handoff", "ops-ana", 2)
    assert (change.action, change.details) == ("handoff_accepted", {"handoff_id": 7})


def test_a_hand_off_within_the_department_is_no_new_hop():
    within = handoff(to="operations", to_person_id="ops-ben")
    change = rules.accept_handoff(
        waiting(within), by=BEN, handoff_id=7, handoff=within, version=2, now=LATER
    )
    assert (change.after.owner_id, change.after.hop, change.after.department_since) == (
        "ops-ben", 1, NOW,
    )  # fmt: skip


def test_only_the_named_receiver_or_the_receiving_head_may_answer():
    to_gita = handoff(to_person_id="fin-gita")
    for by in (HUGO, ANA, OPS_HEAD):
        with pytest.raises(NotYours):
            rules.accept_handoff(
                waiting(to_gita), by=by, handoff_id=7, handoff=to_gita, version=2, now=LATER
            )
    change = rules.accept_handoff(
        waiting(to_gita), by=FIN_HEAD, handoff_id=7, handoff=to_gita, version=2, now=LATER
    )
    assert change.after.owner_id == "fin-head"


def test_an_unknown_or_answered_hand_off_is_refused_before_who_answers():
    with pytest.raises(NotFound):
        rules.accept_handoff(waiting(), by=ANA, handoff_id=8, handoff=None, version=2, now=LATER)
    elsewhere = replace(handoff(), issue_id="i-2")
    with pytest.raises(NotFound):
        rules.accept_handoff(
            waiting(), by=GITA, handoff_id=7, handoff=elsewhere, version=2, now=LATER
        )
    accepted = handoff(status="accepted")
    with pytest.raises(WrongState):
        rules.decline_handoff(
            routed(version=3), by=ANA, handoff_id=7, handoff=accepted, version=3,
            reason="late", suggested_department=None, now=LATER,
        )  # fmt: skip


def test_two_receivers_accepting_at_one_version_the_second_is_stale():
    first = rules.accept_handoff(
        waiting(), by=GITA, handoff_id=7, handoff=handoff(), version=2, now=LATER
    )
    with pytest.raises(Stale):
        rules.accept_handoff(
            first.after, by=HUGO, handoff_id=7, handoff=handoff(), version=2, now=LATER
        )


def test_a_decline_keeps_the_owner_and_without_a_better_department_asks_routing_again():
    change = rules.decline_handoff(
        waiting(), by=GITA, handoff_id=7, handoff=handoff(), version=2, reason="not ours",
        suggested_department=None, now=LATER,
    )  # fmt: skip
    assert (change.after.owner_id, change.after.pending, change.after.version) == (
        "ops-ana", None, 3,
    )  # fmt: skip
    assert kinds(change) == [HandoffDeclined, RerouteRequested]
    reroute = change.events[1]
    assert (reroute.declined_by, reroute.reason, reroute.requested_at) == (
        "finance", "not ours", LATER,
    )  # fmt: skip
    assert change.details == {"handoff_id": 7, "reason": "not ours"}


def test_a_decline_naming_a_better_department_does_not_reroute():
    change = rules.decline_handoff(
        waiting(), by=GITA, handoff_id=7, handoff=handoff(), version=2, reason="IT's",
        suggested_department="it", now=LATER,
    )  # fmt: skip
    assert kinds(change) == [HandoffDeclined]
    assert change.events[0].suggested_department == "it"


# ---- help -------------------------------------------------------------------------------


IT = Department("it", {"it-kofi": "liaison", "it-head": "head"})
QUESTION = HelpView(id=3, issue_id="i-1", helping_department="it", due_at=NOW + timedelta(hours=2))


def test_help_is_asked_of_another_known_department_keeping_ownership():
    rules.check_help_request(routed(), by=ANA, helping=IT, version=1)
    change = rules.open_help(routed(), help=QUESTION, actor_id="ops-ana", now=NOW)
    assert (change.after.owner_id, change.after.version) == ("ops-ana", 2)
    [event] = change.events
    assert isinstance(event, HelpRequested)
    assert (event.help_id, event.helping_department, event.due_at) == (3, "it", QUESTION.due_at)
    for helping in (OPERATIONS, Department("legal")):
        with pytest.raises(Invalid):
            rules.check_help_request(routed(), by=ANA, helping=helping, version=1)
    with pytest.raises(WrongState):
        rules.check_help_request(routed(state="resolved"), by=ANA, helping=IT, version=1)
    with pytest.raises(NotYours):
        rules.check_help_request(routed(), by=BEN, helping=IT, version=1)


def test_the_helping_department_answers_and_lateness_is_recorded():
    kofi = actor("it-kofi", seat("it", "it-kofi"))
    on_time = rules.answer_help(routed(), by=kofi, help_id=3, help=QUESTION, version=1, now=LATER)
    late = rules.answer_help(
        routed(), by=kofi, help_id=3, help=QUESTION, version=1, now=NOW + timedelta(hours=3)
    )
    assert [c.details["on_time"] for c in (on_time, late)] == [True, False]
    [event] = late.events
    assert isinstance(event, HelpAnswered) and event.on_time is False
    assert late.after.owner_id == "ops-ana"


def test_help_is_answered_once_by_the_helping_department_only():
    kofi = actor("it-kofi", seat("it", "it-kofi"))
    with pytest.raises(NotFound):
        rules.answer_help(routed(), by=kofi, help_id=4, help=None, version=1, now=LATER)
    with pytest.raises(NotYours):
        rules.answer_help(routed(), by=GITA, help_id=3, help=QUESTION, version=1, now=LATER)
    answered = replace(QUESTION, status="answered")
    with pytest.raises(WrongState):
        rules.answer_help(routed(), by=kofi, help_id=3, help=answered, version=1, now=LATER)
    with pytest.raises(Stale):
        rules.answer_help(routed(), by=kofi, help_id=3, help=QUESTION, version=0, now=LATER)


# ---- resolve and reopen -----------------------------------------------------------------


def test_resolving_ends_the_wait_for_a_hand_off_and_the_heads_hold():
    change = rules.resolve(
        waiting(held_by_head=True), by=ANA, version=2, resolution="refunded", now=LATER
    )
    after = change.after
    assert (after.state, after.resolved_at, after.pending, after.held_by_head) == (
        "resolved", LATER, None, False,
    )  # fmt: skip
    assert kinds(change) == [IssueResolved]
    assert change.details == {"resolution": "refunded"}
    with pytest.raises(WrongState):
        rules.resolve(after, by=ANA, version=3, resolution="again", now=LATER)


def test_reopening_a_resolved_issue_starts_a_new_stay_acknowledged():
    resolved = routed(state="resolved", resolved_at=NOW, version=4)
    change = rules.reopen(resolved, by=ANA, version=4, reason="customer wrote back", now=LATER)
    after = change.after
    assert (after.state, after.resolved_at, after.department_since, after.version) == (
        "acknowledged", None, LATER, 5,
    )  # fmt: skip
    assert kinds(change) == [IssueReopened]
    with pytest.raises(WrongState):
        rules.reopen(routed(), by=ANA, version=1, reason="?", now=LATER)


# ---- what the routers answer ------------------------------------------------------------


def test_each_refusal_is_answered_with_its_status_title_and_extensions():
    with pytest.raises(WrongState) as state:
        resolved = routed(state="resolved", version=3)
        rules.resolve(resolved, by=ANA, version=3, resolution="x", now=NOW)
    with pytest.raises(Stale) as stale:
        rules.acknowledge(routed(version=2), by=ANA, version=1, now=NOW)
    with pytest.raises(NotYours) as not_yours:
        rules.acknowledge(routed(), by=BEN, version=1, now=NOW)
    with pytest.raises(NotFound) as not_found:
        rules.answer_help(routed(), by=BEN, help_id=1, help=None, version=1, now=NOW)
    with pytest.raises(Invalid) as invalid:
        rules.check_help_request(routed(), by=ANA, helping=OPERATIONS, version=1)
    answers = [problem_of(e.value) for e in (state, stale, not_yours, not_found, invalid)]
    assert [(p.status, p.title, p.extra) for p in answers] == [
        (409, "Not allowed in this state", {"state": "resolved", "version": 3}),
        (409, "Stale version", {"version": 2}),
        (403, "Not yours to change", {}),
        (404, "Help request not found", {}),
        (422, "Ask another department", {}),
    ]
