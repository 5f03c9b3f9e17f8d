"""A notice a person can act on: what the issue is (reference, subject, the start
of its description, priority, channel, internal or not, why it was routed here),
its deadlines in the recipient's time zone, its links (the issue's page, and a
signed acknowledge link), in English or German; and the owner hears it when the
reporter writes again."""

import json
from datetime import timedelta

import pytest
from baton_contracts import (
    IssueDuplicateLinked,
    IssueReported,
    IssueResolved,
    IssueUpdated,
    OwnerAssigned,
    Reporter,
)
from baton_notifications.deliveries.handler import on_issue_reported, on_ownership_event
from baton_notifications.directory.handler import on_department_updated
from baton_notifications.recipients import service as recipients
from baton_notifications.recipients.schemas import PreferencesUpdate
from baton_runtime import links

from conftest import subject_of, text_of

from .helpers import (
    GITA,
    ISSUE,
    T0,
    Clock,
    dispatch,
    finance,
    make_runtime,
    rows,
    sealer,
    wrap,
)

KEY = "shared-with-ownership-" + "k" * 16
DESCRIPTION = "My card was charged twice for order 1234. " * 20 + "THE END"


@pytest.fixture
async def runtime(smtp_server, tmp_path):
    rt = make_runtime(tmp_path, smtp_port=smtp_server.port, link_signing_key=KEY)
    await on_department_updated(finance(), runtime=rt)
    yield rt
    await rt.db.dispose()


def reported(*, language=None, internal=False, subject="Charged twice", reachable=True):
    reporter = (
        Reporter(kind="employee", id="emp-1", department="sales", reachable=reachable)
        if internal
        else Reporter(kind="customer", id="contact-1", reachable=reachable)
    )
    return wrap(
        IssueReported(
            issue_id=ISSUE, channel="email", reporter=reporter, subject=subject,
            description=DESCRIPTION, priority="normal", internal=internal, reported_at=T0,
            language=language, reference="BTN-5F7C3C1E",
        )
    )  # fmt: skip


def assigned(via="routing", acknowledge_in=timedelta(hours=1)):
    return wrap(
        OwnerAssigned(
            issue_id=ISSUE, department="finance", owner=GITA, assigned_at=T0, via=via,
            priority="high", routing_reason="rule finance-refunds-and-billing: 'charged'",
            acknowledge_due_at=T0 + acknowledge_in, resolve_due_at=T0 + timedelta(days=1),
        )
    )  # fmt: skip


async def prefer(runtime, **update):
    async with runtime.db.transaction() as session:
        await recipients.set_preferences(
            session=session, sealer=sealer(runtime), person_id=GITA.id,
            update=PreferencesUpdate(**update),
        )  # fmt: skip


async def mail_after(runtime, smtp_server, *events):
    for event in events:
        handler = on_issue_reported if isinstance(event.data, IssueReported) else None
        await (handler or on_ownership_event)(event, runtime=runtime)
    assert await dispatch(runtime, Clock()) >= 1
    return smtp_server.messages[-1]


def html_of(mail) -> str:
    return (
        next(p for p in mail.walk() if p.get_content_type() == "text/html")
        .get_payload(decode=True)
        .decode()
    )


async def test_the_owners_email_says_what_the_issue_is_and_by_when_in_their_zone(
    runtime, smtp_server
):
    await prefer(runtime, time_zone="Europe/Berlin")
    mail = await mail_after(runtime, smtp_server, reported(internal=True), assigned())
    assert subject_of(mail) == "[BTN-5F7C3C1E] Charged twice — yours to handle for finance"
    text = text_of(mail)
    for said in (
        "Reference: BTN-5F7C3C1E", "Subject: Charged twice", "Priority: high", "Channel: email",
        "Reported by: an employee of sales (internal)", "Department: finance",
        "Why this department: rule finance-refunds-and-billing: 'charged'",
        # T0 is 12:00 UTC, 13:00 in Berlin in November: an hour to acknowledge, a day to resolve.
        "Acknowledge by: 2026-11-23 14:00 CET", "Resolve by: 2026-11-24 13:00 CET",
        f"Open the issue: http://baton.example.com/v1/issues/{ISSUE}",
    ):  # fmt: skip
        assert said in text, said
    # The start of the description, about 500 characters, never all of it.
    assert DESCRIPTION[:400] in text and "THE END" not in text


async def test_the_acknowledge_link_is_signed_for_the_owner_and_only_when_unacknowledged(
    runtime, smtp_server
):
    mail = await mail_after(runtime, smtp_server, assigned())
    [link] = [w for w in text_of(mail).split() if "/links/acknowledge/" in w]
    assert link.startswith("http://baton.example.com/links/acknowledge/")
    claims = links.verify(link.rsplit("/", 1)[1], key=KEY, purpose="acknowledge")
    assert (claims["issue_id"], claims["person_id"]) == (ISSUE, GITA.id)
    assert claims["exp"] - T0.timestamp() > 0
    assert "press its button" in text_of(mail)  # a GET is only ever a page
    # A hand-off is acknowledged as it is accepted: nothing to acknowledge then.
    handed = await mail_after(runtime, smtp_server, wrap(assigned(via="handoff").data))
    assert "/links/acknowledge/" not in text_of(handed)


async def test_in_german_for_a_german_issue_unless_the_recipient_chose_english(
    runtime, smtp_server
):
    await prefer(runtime, time_zone="Europe/Berlin")
    mail = await mail_after(runtime, smtp_server, reported(language="de"), assigned())
    assert subject_of(mail) == "[BTN-5F7C3C1E] Charged twice — Ihnen zugewiesen (finance)"
    text = text_of(mail)
    assert "Hallo Gita Rao" in text and "Priorität: hoch" in text
    assert "Bestätigen bis: 23.11.2026 14:00 CET" in text
    assert "Vorgang öffnen" in html_of(mail)
    await prefer(runtime, language="en")
    mail = await mail_after(runtime, smtp_server, wrap(assigned(via="rebalance").data))
    assert "Hello Gita Rao" in text_of(mail)


async def test_html_escapes_what_reporters_wrote(runtime, smtp_server):
    mail = await mail_after(
        runtime, smtp_server, reported(subject="<script>alert(1)</script>"), assigned()
    )
    html = html_of(mail)
    assert "<script>" not in html and "&lt;script&gt;" in html


async def test_with_a_workspace_the_notice_links_to_the_issues_page(smtp_server, tmp_path):
    rt = make_runtime(tmp_path, smtp_port=smtp_server.port, workspace_url="https://work.example/")
    await on_department_updated(finance(), runtime=rt)
    mail = await mail_after(rt, smtp_server, assigned())
    assert f"Open the issue: https://work.example/issues/{ISSUE}" in text_of(mail)
    assert "/links/acknowledge/" not in text_of(mail)  # no key, no acknowledge link
    await rt.db.dispose()


async def test_slack_gets_block_kit_with_the_facts_and_both_buttons(runtime, http_receiver):
    await prefer(runtime, channels={"assigned": ["slack"]}, slack_webhook_url=http_receiver.url)
    await on_issue_reported(reported(subject="Refund <now> & fast"), runtime=runtime)
    await on_ownership_event(assigned(), runtime=runtime)
    await dispatch(runtime, Clock())
    [(_, body)] = http_receiver.received
    blocks = json.loads(body)["blocks"]
    assert [b["type"] for b in blocks] == ["header", "section", "section", "section", "actions"]
    fields = [f["text"] for f in blocks[2]["fields"]]
    assert "*Subject*\nRefund &lt;now&gt; &amp; fast" in fields
    assert "*Priority*\nhigh" in fields
    assert blocks[3]["text"]["text"].startswith("> My card was charged twice")
    open_, ack = blocks[4]["elements"]
    assert open_["url"].endswith(f"/v1/issues/{ISSUE}") and "/links/acknowledge/" in ack["url"]


async def test_when_the_reporter_writes_again_the_owner_is_told_their_words(runtime, smtp_server):
    update = wrap(IssueUpdated(issue_id=ISSUE, channel="email", text="Still nothing!",
                               updated_at=T0))  # fmt: skip
    await on_issue_reported(update, runtime=runtime)
    assert await rows(runtime) == []  # no owner yet: nobody to tell
    await on_issue_reported(reported(), runtime=runtime)
    await on_ownership_event(assigned(), runtime=runtime)
    await on_issue_reported(wrap(update.data), runtime=runtime)
    linked = IssueDuplicateLinked(
        issue_id=ISSUE, duplicate_issue_id="dup-1", channel="email", reason="same subject",
        linked_at=T0, subject="Charged twice", description="Please, it has been a week.",
    )  # fmt: skip
    await on_issue_reported(wrap(linked), runtime=runtime)
    assert [(r.kind, r.recipient_id) for r in await rows(runtime)] == [
        ("assigned", GITA.id), ("reporter_wrote", GITA.id), ("reporter_wrote", GITA.id),
    ]  # fmt: skip
    await dispatch(runtime, Clock())
    # Sent at once, so in any order: the two with the reporter's words, as recorded.
    wrote, duplicate = sorted(
        (m for m in smtp_server.messages if "wrote again" in subject_of(m)),
        key=lambda m: "Still nothing!" not in text_of(m),
    )
    assert subject_of(wrote) == "[BTN-5F7C3C1E] Charged twice — the reporter wrote again"
    assert "What the reporter wrote now:\nStill nothing!" in text_of(wrote)
    assert "Please, it has been a week." in text_of(duplicate)


async def test_an_employee_intake_can_answer_is_not_told_again_here(runtime):
    await on_issue_reported(reported(internal=True, reachable=True), runtime=runtime)
    base = dict(issue_id=ISSUE, department="finance", owner_id=GITA.id, actor_id=GITA.id,
                version=2, at=T0)  # fmt: skip
    await on_ownership_event(wrap(IssueResolved(**base)), runtime=runtime)
    assert await rows(runtime) == []


async def test_a_time_zone_that_does_not_exist_is_refused():
    with pytest.raises(ValueError, match="not a time zone"):
        PreferencesUpdate(time_zone="Mars/Olympus_Mons")
    assert PreferencesUpdate(time_zone="America/New_York").time_zone == "America/New_York"


async def test_an_escalation_tells_the_next_person_the_clock_it_restarted(runtime, smtp_server):
    await mail_after(runtime, smtp_server, reported(), assigned())
    # The next on-call layer gets ten minutes, not what is left of the first hour.
    mail = await mail_after(
        runtime, smtp_server, assigned(via="escalation", acknowledge_in=timedelta(minutes=10))
    )
    assert "Acknowledge by: 2026-11-23 12:10 UTC" in text_of(mail)
