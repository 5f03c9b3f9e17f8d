from datetime import timedelta

import pytest
from baton_contracts import (
    DeadlineSet,
    Escalated,
    HandoffDeclined,
    HandoffRequested,
    HelpAnswered,
    HelpRequested,
    IssueAcknowledged,
    IssueReported,
    IssueResolved,
    OwnerAssigned,
    Reporter,
)
from baton_notifications.deliveries.handler import on_issue_reported, on_ownership_event
from baton_notifications.directory.handler import on_department_updated
from baton_notifications.recipients import service as recipients
from baton_notifications.recipients.schemas import PreferencesUpdate
from baton_runtime.idempotency import ProcessedEvent
from sqlmodel import select

from conftest import subject_of, text_of

from .helpers import (
    GITA,
    HEAD,
    ISSUE,
    OLGA,
    OMAR,
    T0,
    Clock,
    dispatch,
    finance,
    make_runtime,
    operations,
    rows,
    sealer,
    staged_events,
    wrap,
)


@pytest.fixture
async def runtime(smtp_server, tmp_path):
    rt = make_runtime(tmp_path, smtp_port=smtp_server.port)
    await on_department_updated(operations(), runtime=rt)
    await on_department_updated(finance(), runtime=rt)
    yield rt
    await rt.db.dispose()


def change(cls, **kw):
    base = dict(
        issue_id=ISSUE, department="finance", owner_id=GITA.id, actor_id=GITA.id, version=2, at=T0
    )
    return wrap(cls(**(base | kw)))


async def told(runtime, envelope):
    await on_ownership_event(envelope, runtime=runtime)
    return [(r.kind, r.recipient_id, r.channel, r.status) for r in await rows(runtime)]


async def test_the_owner_is_emailed_text_and_html_with_the_ask_and_a_link(runtime, smtp_server):
    event = wrap(OwnerAssigned(issue_id=ISSUE, department="finance", owner=GITA, assigned_at=T0))
    assert await told(runtime, event) == [("assigned", GITA.id, "email", "pending")]
    assert await dispatch(runtime, Clock()) == 1
    [mail] = smtp_server.messages
    assert mail["To"] == "Gita Rao <gita.rao@example.com>"
    assert subject_of(mail) == "[BTN-5F7C3C1E] yours to handle for finance"
    assert (mail["X-Baton-Issue"], mail["X-Baton-Event"], mail["X-Baton-Kind"]) == (
        ISSUE,
        event.id,
        "assigned",
    )
    text = text_of(mail)
    assert "accountable owner" in text and f"http://baton.example.com/v1/issues/{ISSUE}" in text
    html = next(p for p in mail.walk() if p.get_content_type() == "text/html")
    assert (
        f'href="http://baton.example.com/v1/issues/{ISSUE}"'
        in html.get_payload(decode=True).decode()
    )


async def test_a_handoff_to_a_department_asks_each_of_its_liaisons(runtime):
    event = change(
        HandoffRequested, handoff_id=7, to_department="operations", reason="a parcel <lost>"
    )
    assert await told(runtime, event) == [
        ("handoff_requested", OLGA.id, "email", "pending"),
        ("handoff_requested", OMAR.id, "email", "pending"),
    ]


async def test_a_handoff_to_a_named_person_asks_only_them(runtime):
    event = change(
        HandoffRequested, handoff_id=7, to_department="operations", to_person_id=OMAR.id, reason="r"
    )
    assert await told(runtime, event) == [("handoff_requested", OMAR.id, "email", "pending")]


async def test_the_requester_learns_their_handoff_was_accepted(runtime):
    event = wrap(
        OwnerAssigned(
            issue_id=ISSUE,
            department="operations",
            owner=OMAR,
            assigned_at=T0,
            via="handoff",
            previous_owner_id=OLGA.id,
        )
    )
    assert await told(runtime, event) == [
        ("assigned", OMAR.id, "email", "pending"),
        ("handoff_accepted", OLGA.id, "email", "pending"),
    ]


async def test_a_declined_handoff_and_an_answered_help_go_to_the_owner_who_asked(runtime):
    await told(
        runtime,
        change(HandoffDeclined, owner_id=OLGA.id, handoff_id=7, to_department="it", reason="no"),
    )
    assert await told(
        runtime,
        change(HelpAnswered, owner_id=OLGA.id, help_id=3, helping_department="it", on_time=True),
    ) == [
        ("handoff_declined", OLGA.id, "email", "pending"),
        ("help_answered", OLGA.id, "email", "pending"),
    ]


async def test_a_help_request_reaches_the_helping_liaisons_with_its_deadline(runtime, smtp_server):
    due = T0 + timedelta(hours=4)
    await told(
        runtime, change(HelpRequested, help_id=3, helping_department="operations", due_at=due)
    )
    await dispatch(runtime, Clock())
    assert {m["To"] for m in smtp_server.messages} == {
        "Omar Haddad <omar.haddad@example.com>",
        "Olga Berg <olga.berg@example.com>",
    }
    assert "Deadline: 2026-11-23 16:00 UTC" in text_of(smtp_server.messages[0])


async def test_an_escalation_is_emailed_even_to_someone_who_chose_only_slack(runtime):
    async with runtime.db.transaction() as session:
        await recipients.set_preferences(
            session=session,
            sealer=sealer(runtime),
            person_id=HEAD.id,
            update=PreferencesUpdate(
                channels={"escalated": ["slack"], "assigned": ["slack"]},
                slack_webhook_url="https://hooks.example.com/T/1",
            ),
        )
    event = change(Escalated, reason="acknowledge_overdue", level=3, to=HEAD, moved=False)
    assert await told(runtime, event) == [
        ("escalated", HEAD.id, "email", "pending"),
        ("escalated", HEAD.id, "slack", "pending"),
    ]


async def test_preferences_choose_the_channels_and_may_silence_a_kind(runtime):
    async with runtime.db.transaction() as session:
        await recipients.set_preferences(
            session=session,
            sealer=sealer(runtime),
            person_id=GITA.id,
            update=PreferencesUpdate(
                channels={"assigned": ["webhook", "email"], "help_answered": []},
                webhook_url="https://hooks.example.com/gita",
            ),
        )
    await told(runtime, change(HelpAnswered, help_id=3, helping_department="it", on_time=False))
    event = wrap(OwnerAssigned(issue_id=ISSUE, department="finance", owner=GITA, assigned_at=T0))
    assert await told(runtime, event) == [
        ("assigned", GITA.id, "webhook", "pending"),
        ("assigned", GITA.id, "email", "pending"),
    ]


async def test_acknowledged_and_a_resolved_customer_issue_tell_nobody(runtime):
    await told(runtime, change(IssueAcknowledged))
    assert await told(runtime, change(IssueResolved)) == []


async def test_someone_unknown_is_a_failed_delivery_and_a_delivery_failed_event(runtime):
    event = change(
        HandoffDeclined, owner_id="nobody-1", handoff_id=7, to_department="it", reason="no"
    )
    assert await told(runtime, event) == [("handoff_declined", "nobody-1", "email", "failed")]
    [staged] = await staged_events(runtime)
    assert staged.event_type == "baton.notification.delivery_failed.v1"
    assert staged.topic == "notifications.deliveries"
    assert "nobody by this id" in staged.payload


async def test_a_redelivered_event_records_and_sends_nothing_twice(runtime, smtp_server):
    event = wrap(OwnerAssigned(issue_id=ISSUE, department="finance", owner=GITA, assigned_at=T0))
    await on_ownership_event(event, runtime=runtime)
    await dispatch(runtime, Clock())
    await on_ownership_event(event, runtime=runtime)
    await dispatch(runtime, Clock())
    assert len(smtp_server.messages) == 1
    [row] = await rows(runtime)
    assert (row.status, row.attempts) == ("sent", 1)


def reported(issue_id, kind, reporter_id, department=None):
    return wrap(
        IssueReported(
            issue_id=issue_id,
            channel="agent",
            reporter=Reporter(kind=kind, id=reporter_id, department=department),
            subject="s",
            description="d",
            internal=kind == "employee",
            reported_at=T0,
        )
    )


async def test_a_resolved_internal_issue_is_told_to_the_employee_who_reported_it(runtime):
    await on_issue_reported(reported(ISSUE, "employee", OMAR.id, "operations"), runtime=runtime)
    await on_issue_reported(reported("customer-issue", "customer", "cust-1"), runtime=runtime)
    await on_issue_reported(reported("unknown-employee", "employee", "emp-x"), runtime=runtime)
    await told(runtime, change(IssueResolved, issue_id="customer-issue"))
    await told(runtime, change(IssueResolved, issue_id="unknown-employee"))
    assert await told(runtime, change(IssueResolved)) == [("resolved", OMAR.id, "email", "pending")]


async def test_an_employee_outside_the_catalog_can_register_an_address(runtime):
    async with runtime.db.transaction() as session:
        await recipients.set_preferences(
            session=session,
            sealer=sealer(runtime),
            person_id="emp-7",
            update=PreferencesUpdate(name="Pia Lund", email="pia.lund@example.com"),
        )
    await on_issue_reported(reported(ISSUE, "employee", "emp-7"), runtime=runtime)
    assert await told(runtime, change(IssueResolved)) == [("resolved", "emp-7", "email", "pending")]
    [row] = await rows(runtime)
    assert row.address == "pia.lund@example.com"


async def test_a_near_deadline_warns_the_owner_with_the_deadline(runtime, smtp_server):
    from baton_contracts import DeadlineNear

    due = T0 + timedelta(hours=1)
    event = change(DeadlineNear, deadline="acknowledge", due_at=due)
    assert await told(runtime, event) == [("deadline_near", GITA.id, "email", "pending")]
    assert await dispatch(runtime, Clock()) == 1
    [mail] = smtp_server.messages
    assert subject_of(mail) == "[BTN-5F7C3C1E] acknowledge deadline near"
    assert "acknowledged soon" in text_of(mail)


async def test_a_near_help_deadline_warns_the_helping_departments_liaisons(runtime):
    from baton_contracts import DeadlineNear

    event = change(
        DeadlineNear,
        deadline="help",
        due_at=T0 + timedelta(hours=1),
        help_id=3,
        helping_department="operations",
    )
    told_now = await told(runtime, event)
    assert {r[1] for r in told_now} == {OLGA.id, OMAR.id}
    assert all(kind == "deadline_near" for kind, *_ in told_now)


async def test_with_a_workspace_the_owners_email_and_slack_link_to_the_issues_page(
    smtp_server, http_receiver, tmp_path
):
    from baton_notifications.recipients import service as recipients
    from baton_notifications.recipients.schemas import PreferencesUpdate

    from .helpers import sealer

    rt = make_runtime(
        tmp_path, smtp_port=smtp_server.port, workspace_url="https://work.example.com/"
    )
    await on_department_updated(finance(), runtime=rt)
    async with rt.db.transaction() as session:
        await recipients.set_preferences(
            session=session,
            sealer=sealer(rt),
            person_id=GITA.id,
            update=PreferencesUpdate(
                channels={"assigned": ["email", "slack"]}, slack_webhook_url=http_receiver.url
            ),
        )
    event = wrap(OwnerAssigned(issue_id=ISSUE, department="finance", owner=GITA, assigned_at=T0))
    await on_ownership_event(event, runtime=rt)
    assert await dispatch(rt, Clock()) == 2
    page = f"https://work.example.com/issues/{ISSUE}"
    [mail] = smtp_server.messages
    assert page in text_of(mail) and "/v1/issues" not in text_of(mail)
    [(_, body)] = http_receiver.received
    assert f"<{page}|Open the issue>" in body.decode()
    await rt.db.dispose()


async def test_events_nobody_is_told_of_open_no_transaction(runtime):
    """Acknowledged, reopened and the clocks' DeadlineSet tell nobody: passed over
    before any transaction (not even their ids recorded), so the two clocks of
    every issue cost no database work here."""
    clock = wrap(
        DeadlineSet(
            issue_id=ISSUE, department="finance", deadline="resolve",
            due_at=T0 + timedelta(days=1), version=1, set_at=T0,
        )
    )  # fmt: skip

    async def processed() -> int:  # the fixture's two rosters are events handled too
        async with runtime.db.session() as session:
            return len((await session.exec(select(ProcessedEvent))).all())

    before = await processed()
    assert await told(runtime, clock) == []
    assert await told(runtime, change(IssueAcknowledged)) == []
    assert await processed() == before
    await told(runtime, change(HandoffDeclined, handoff_id=7, to_department="it", reason="no"))
    assert await processed() == before + 1
