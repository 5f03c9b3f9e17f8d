"""The read model is a function of the set of events: replayed twice and in any
order, they give the same pages; an older event never overwrites a newer state."""

import json
import random
from datetime import timedelta

from baton_contracts import (
    DeadlineSet,
    DeliveryFailed,
    DeliverySent,
    DepartmentUpdated,
    Escalated,
    HandoffDeclined,
    HandoffRequested,
    HelpAnswered,
    HelpRequested,
    IssueAcknowledged,
    IssueRated,
    IssueResolved,
    IssueUpdated,
    OwnerAssigned,
    ReplyPosted,
    parse_event,
)

from .conftest import T0, Clock, as_, departments, person, reported, routed, wrap

A = "aaaaaaaa-0000-4000-8000-000000000001"  # finance -> operations, helped by IT, resolved
B = "bbbbbbbb-0000-4000-8000-000000000002"  # finance, a declined hand-off, escalated, open


def change(cls, issue_id, version, minutes, actor, department="finance", owner=None, **kw):
    return wrap(
        cls(
            issue_id=issue_id,
            department=department,
            owner_id=owner or actor,
            actor_id=actor,
            version=version,
            at=T0 + timedelta(minutes=minutes),
            **kw,
        )
    )


def deadline(issue_id, kind, version, minutes, due_hours, department="finance", help_id=None):
    at = T0 + timedelta(minutes=minutes)
    return DeadlineSet(
        issue_id=issue_id,
        department=department,
        deadline=kind,
        version=version,
        set_at=at,
        due_at=at + timedelta(hours=due_hours),
        help_id=help_id,
    )


def clock_set(*args, **kw):
    """A clock announced as an event of its own."""
    return wrap(deadline(*args, **kw))


def assigned(
    issue_id, owner, version, minutes, department="finance", via="routing", hop=1, clocks=()
):
    """``clocks``: the clocks the assignment started, riding in the OwnerAssigned."""
    return wrap(
        OwnerAssigned(
            issue_id=issue_id,
            department=department,
            owner=person(owner),
            version=version,
            assigned_at=T0 + timedelta(minutes=minutes),
            via=via,
            hop=hop,
            clocks=list(clocks),
        )
    )


def replied(issue_id, minutes, actor, text, department="finance"):
    return wrap(
        ReplyPosted(
            issue_id=issue_id,
            department=department,
            owner_id=actor,
            actor_id=actor,
            author_name=person(actor).name,
            text=text,
            at=T0 + timedelta(minutes=minutes),
        )
    )


def journey() -> list:
    a = [
        reported(A, "Refund not received", at=T0),
        routed(A, "finance", at=T0),
        assigned(A, "fin-gita", 1, 1),
        clock_set(A, "acknowledge", 1, 1, 4),
        clock_set(A, "resolve", 1, 1, 72),
        change(IssueAcknowledged, A, 2, 20, "fin-gita"),
        replied(A, 25, "fin-gita", "We are looking into your refund."),
        wrap(
            IssueUpdated(
                issue_id=A, channel="email", text="Any news?", updated_at=T0 + timedelta(minutes=30)
            )
        ),
        change(
            HandoffRequested,
            A,
            3,
            40,
            "fin-gita",
            handoff_id=1,
            to_department="operations",
            reason="The parcel never left the warehouse",
        ),
        assigned(A, "ops-ana", 4, 90, department="operations", via="handoff", hop=2),
        clock_set(A, "resolve", 4, 90, 72, department="operations"),
        change(
            HelpRequested,
            A,
            5,
            100,
            "ops-ana",
            department="operations",
            help_id=1,
            helping_department="it",
            due_at=T0 + timedelta(hours=20),
            question="Logs?",
        ),
        change(
            HelpAnswered,
            A,
            6,
            160,
            "it-kofi",
            department="operations",
            owner="ops-ana",
            help_id=1,
            helping_department="it",
            on_time=True,
            answer="Here",
        ),
        change(
            IssueResolved,
            A,
            7,
            200,
            "ops-ana",
            department="operations",
            resolution="Replaced or re-sent: new parcel",
        ),
        # The reporter rates it: counted for operations and Ana, who resolved it.
        wrap(
            IssueRated(
                issue_id=A,
                rating=4,
                comment="Quick, thank you",
                rated_at=T0 + timedelta(minutes=205),
            )
        ),
        # A resolved issue may still be answered.
        replied(A, 210, "ops-ana", "A new parcel is on its way.", department="operations"),
        wrap(
            DeliverySent(
                issue_id=A,
                delivery_id=1,
                event_id="e1",
                event_type="t",
                kind="assigned",
                recipient_id="fin-gita",
                channel="email",
                attempts=1,
                sent_at=T0 + timedelta(minutes=2),
            )
        ),
        wrap(
            DeliveryFailed(
                issue_id=A,
                delivery_id=2,
                event_id="e2",
                event_type="t",
                kind="assigned",
                recipient_id="ops-ana",
                channel="slack",
                attempts=4,
                reason="webhook answered 500",
                failed_at=T0 + timedelta(minutes=95),
            )
        ),
    ]
    b = [
        reported(B, "Invoice is wrong", at=T0 + timedelta(minutes=5)),
        routed(B, "finance", at=T0 + timedelta(minutes=5)),
        # B's clocks ride in its OwnerAssigned (A's come as DeadlineSet events, as
        # older producers said them): both fold the same, in any order.
        assigned(
            B,
            "fin-hugo",
            1,
            6,
            clocks=[deadline(B, "acknowledge", 1, 6, 4), deadline(B, "resolve", 1, 6, 72)],
        ),
        change(
            HandoffRequested,
            B,
            2,
            30,
            "fin-hugo",
            handoff_id=2,
            to_department="it",
            reason="Looks like a system fault",
        ),
        change(
            HandoffDeclined,
            B,
            3,
            50,
            "it-lena",
            owner="fin-hugo",
            handoff_id=2,
            to_department="it",
            reason="Not a system fault",
        ),
        wrap(
            Escalated(
                issue_id=B,
                department="finance",
                owner_id="fin-gita",
                version=4,
                actor_id="baton-deadlines",
                at=T0 + timedelta(minutes=250),
                reason="acknowledge_overdue",
                level=1,
                to=person("fin-gita"),
                moved=True,
            )
        ),
        assigned(B, "fin-gita", 4, 250, via="escalation"),
    ]
    return a + b


PAGES = [
    (f"/issues/{A}", as_("fin-gita")),
    (f"/issues/{A}", as_("ops-ana", departments="operations")),
    (f"/issues/{B}", as_("fin-hugo")),
    ("/my-work", as_("fin-gita")),
    ("/my-work", as_("it-lena", departments="it")),
    ("/departments/finance", as_("fin-head", "head", "reader")),
    ("/stalls", as_("reader", "reader")),
    ("/stalls?department=finance&kind=customer", as_("reader", "reader")),
    ("/scorecards", as_("reader", "reader")),
]


async def pages(world) -> list[str]:
    return [await world.page(path, who) for path, who in PAGES]


async def test_replayed_twice_and_out_of_order_the_pages_are_the_same(worlds):
    fixed = T0 + timedelta(hours=6)
    in_order = await worlds(Clock(fixed))
    await in_order.feed(*journey())
    expected = await pages(in_order)

    for seed in (1, 2, 3):
        shuffled = await worlds(Clock(fixed))
        events = journey() * 2  # every event twice: a replay
        random.Random(seed).shuffle(events)
        await shuffled.feed(*departments(), *events)
        assert await pages(shuffled) == expected, f"seed {seed}"

    # And the pages say what happened.
    issue_a, _, issue_b, gita, _, _, stalls, _, scorecards = expected
    assert "resolved" in issue_a and "Replaced or re-sent: new parcel" in issue_a
    assert "The parcel never left the warehouse" in issue_a and "Any news?" in issue_a
    assert "webhook answered 500" in issue_a
    # The replies, once each however often they came, in order with the reporter's words.
    first, news, last = (
        "We are looking into your refund.",
        "Any news?",
        "A new parcel is on its way.",
    )
    talk = issue_a.split('id="conversation-h"')[1].split('id="journey-h"')[0]
    assert [talk.count(text) for text in (first, news, last)] == [1, 1, 1]
    assert talk.index(first) < talk.index(news) < talk.index(last)
    assert issue_a.count("Replied to the reporter") == 2  # and in the history
    assert "Not a system fault" in issue_b and "escalated to Gita Rao" in issue_b
    assert "Invoice is wrong" in gita  # escalated to her: she owns it now
    assert 'data-department="finance"' in stalls
    # The rating, once however often it came, for the department and the person who resolved it.
    for row in ('data-department="operations"', 'data-person="ops-ana"'):
        cells = scorecards.split(row)[1].split("</tr>")[0]
        assert "4.0" in cells and "1 rating<" in cells, cells
        assert '"comments">1<' in cells
    assert "Quick, thank you" not in scorecards  # counted, not shown
    assert "Rated how it was handled: 4 of 5" in issue_a


async def test_an_older_event_never_overwrites_a_newer_state(world):
    events = journey()
    newest_first = [e for e in events if e.subject == A][::-1]
    await world.feed(*newest_first)
    async with world.workspace.state.runtime.db.session() as session:
        from baton_workspace.projection.models import IssueView

        view = await session.get(IssueView, A)
    assert (view.state, view.owner_id, view.department, view.version, view.hop) == (
        "resolved",
        "ops-ana",
        "operations",
        7,
        2,
    )


async def test_an_older_roster_does_not_replace_a_newer_one(world):
    newer = wrap(
        DepartmentUpdated(
            department="finance",
            liaisons=[person("fin-ivy")],
            head=person("fin-head"),
            updated_at=T0 + timedelta(days=2),
        )
    )
    older = wrap(
        DepartmentUpdated(
            department="finance",
            liaisons=[person("fin-gita")],
            head=person("fin-head"),
            updated_at=T0 + timedelta(days=1),
        )
    )
    await world.feed(newer, older)
    html = await world.page("/departments/finance", as_("fin-head", "head"))
    assert "Fin-Ivy" in html and "Gita Rao" not in html


async def test_a_stay_is_judged_by_its_first_acknowledge_clock_not_the_escalations(world):
    """Ownership restarts the clock for each escalation step (and on-call layer) and
    announces it; the issue shows the newest, the department's stay keeps the first."""
    c = "cccccccc-0000-4000-8000-000000000003"
    await world.feed(
        *departments(),
        reported(c, "Invoice twice", at=T0),
        routed(c, "finance", at=T0),
        assigned(c, "fin-gita", 1, 1),
        clock_set(c, "acknowledge", 1, 1, 1),  # due at 1:01
        clock_set(c, "acknowledge", 2, 62, 1),  # escalated at 1:02: due at 2:02
        change(IssueAcknowledged, c, 3, 90, "fin-gita"),  # at 1:30: late for the first
    )
    async with world.workspace.state.runtime.db.session() as session:
        from baton_workspace.projection.models import Stay

        stay = await session.get(Stay, (c, 1))
    assert stay.acknowledge_due_at.replace(tzinfo=None) == (T0 + timedelta(minutes=61)).replace(
        tzinfo=None
    )
    assert stay.acknowledged_at > stay.acknowledge_due_at


async def views(world, *issue_ids):
    from baton_workspace.projection.models import IssueView, Stay

    async with world.workspace.state.runtime.db.session() as session:
        found = []
        for issue_id in issue_ids:
            view = await session.get(IssueView, issue_id)
            stay = await session.get(Stay, (issue_id, 1))
            found.append(
                (view.state, view.owner_id, view.next_deadline, view.next_due_at,
                 stay.acknowledge_due_at if stay else None)
            )  # fmt: skip
        return found


async def test_the_clocks_an_owner_assigned_carries_are_the_issues_deadlines(world):
    """An OwnerAssigned alone (no DeadlineSet) gives the issue its next deadline and
    its stay's acknowledge clock, as the same clocks said in DeadlineSet events do."""
    riding, separate = (
        "dddddddd-0000-4000-8000-000000000004",
        "eeeeeeee-0000-4000-8000-000000000005",
    )
    await world.feed(
        *departments(),
        reported(riding, "Invoice twice", at=T0),
        routed(riding, "finance", at=T0),
        assigned(
            riding,
            "fin-gita",
            1,
            1,
            clocks=[
                deadline(riding, "acknowledge", 1, 1, 4),
                deadline(riding, "resolve", 1, 1, 72),
            ],
        ),
        reported(separate, "Invoice twice", at=T0),
        routed(separate, "finance", at=T0),
        assigned(separate, "fin-gita", 1, 1),
        clock_set(separate, "acknowledge", 1, 1, 4),
        clock_set(separate, "resolve", 1, 1, 72),
    )
    new, old = await views(world, riding, separate)
    due = T0 + timedelta(minutes=1, hours=4)
    assert new[:3] == ("assigned", "fin-gita", "acknowledge")
    assert new[3].replace(tzinfo=None) == due.replace(tzinfo=None)
    assert new[4].replace(tzinfo=None) == due.replace(tzinfo=None)
    assert new == old
    # Acknowledged, the resolve clock it carried is the next.
    await world.feed(change(IssueAcknowledged, riding, 2, 20, "fin-gita"))
    [(state, _, kind, due_at, _)] = await views(world, riding)
    assert (state, kind) == ("acknowledged", "resolve")
    assert due_at.replace(tzinfo=None) == (T0 + timedelta(minutes=1, hours=72)).replace(tzinfo=None)


async def test_an_older_owner_assigned_without_clocks_still_folds(world):
    """An event from before the clocks rode in it (no ``clocks`` on the wire): the
    owner is set and the clocks come from its DeadlineSet events."""
    c = "ffffffff-0000-4000-8000-000000000006"
    data = assigned(c, "fin-gita", 1, 1).model_dump(mode="json")
    del data["data"]["clocks"]
    older = parse_event(json.dumps(data).encode())
    assert older.data.clocks == []
    await world.feed(
        *departments(), reported(c, "Invoice twice", at=T0), routed(c, "finance", at=T0)
    )
    await world.feed(older)
    [(state, owner, kind, due_at, stay_due)] = await views(world, c)
    assert (state, owner, kind, due_at, stay_due) == ("assigned", "fin-gita", None, None, None)
    await world.feed(clock_set(c, "acknowledge", 1, 1, 4))
    [(_, _, kind, due_at, _)] = await views(world, c)
    assert kind == "acknowledge"
    assert due_at.replace(tzinfo=None) == (T0 + timedelta(minutes=1, hours=4)).replace(tzinfo=None)
