"""Over real Kafka and PostgreSQL: the same issue sent twice through each door
yields one IssueReported; an email reply yields IssueUpdated on the right issue;
an auto-reply yields nothing; routing routes the issue once and is not upset by
the other event types on issues.reported."""

import uuid
from email.message import EmailMessage

import pytest
from baton_contracts import ISSUE_REPORTED_V1, ISSUE_UPDATED_V1, parse_event
from baton_contracts.topics import ISSUES_REPORTED, dlq

from tests.integration.conftest import eventually, read_topic
from tests.integration.test_issue_journey import owner_of

pytestmark = pytest.mark.integration


def mail(tag: str, *, msgid: str, subject: str, **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Customer <{tag}@example.com>"
    msg["To"] = "support@shop.example"
    msg["Subject"] = subject
    msg["Message-ID"] = msgid
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content("My invoice for order 1234 is wrong.")
    return msg.as_bytes()


def doors(tag: str) -> list[tuple[str, dict]]:
    who = {"id": f"cust-{tag}"}
    return [
        ("/v1/issues", {"json": {"channel": "agent", "reporter": {"kind": "customer", **who},
                                 "subject": f"Invoice wrong {tag}", "description": "Order 1",
                                 "external_ref": f"crm-{tag}", "source_system": "crm"}}),
        ("/v1/issues", {"data": {"subject": f"Form {tag}", "description": "Broken",
                                 "email": f"{tag}@example.com"}}),
        ("/v1/channels/email", {"content": mail(tag, msgid=f"<{tag}@example.com>",
                                                subject=f"Mail {tag}"),
                                "headers": {"content-type": "message/rfc822"}}),
        ("/v1/channels/chat", {"json": {"conversation_id": f"conv-{tag}", "customer": who,
                                        "messages": [{"from": "customer", "text": f"Chat {tag}",
                                                      "at": "2026-11-23T10:00:00Z"}]}}),
        ("/v1/channels/phone", {"json": {"call_id": f"call-{tag}", "caller": who,
                                         "started_at": "2026-11-23T10:00:00Z", "duration_s": 60,
                                         "agent_id": "a-1", "notes": f"Call {tag}"}}),
        ("/v1/channels/social", {"json": {"platform": "mastodon", "handle": f"@{tag}",
                                          "post_url": f"https://example.social/{tag}",
                                          "text": f"Post {tag}",
                                          "posted_at": "2026-11-23T10:00:00Z"}}),
    ]  # fmt: skip


async def events_on_reported(stack, issue_ids: set[str]) -> list:
    records = await read_topic(stack.kafka, stack.topic(ISSUES_REPORTED))
    # Keyed by our issues only: the poison messages other tests send are skipped.
    return [parse_event(r.value) for r in records if r.key and r.key.decode() in issue_ids]


async def test_the_same_issue_twice_through_each_door_is_reported_once(stack, http):
    tag = uuid.uuid4().hex[:8]
    ids = set()
    for path, request in doors(tag):
        request = request | {"headers": {**request.get("headers", {}), **stack.auth}}
        first = await http.post(f"{stack.url('intake')}{path}", **request)
        again = await http.post(f"{stack.url('intake')}{path}", **request)
        assert first.status_code == 202, (path, first.text)
        issue_id = first.json()["issue_id"]
        # A form has no ref of its own: its resubmit is a near-duplicate, linked not routed.
        assert issue_id in (again.json()["issue_id"], again.json()["duplicate_of"]), path
        ids.add(issue_id)
    assert len(ids) == 6

    async def all_reported():
        events = await events_on_reported(stack, ids)
        reported = [e for e in events if e.type == ISSUE_REPORTED_V1]
        return reported if len({e.subject for e in reported}) == 6 else None

    reported = await eventually(all_reported, what="six IssueReported")
    assert len(reported) == 6  # one per door, none for the second sending
    for event in reported:
        assert "@example.com" not in event.model_dump_json()


async def test_an_email_reply_updates_its_issue_and_an_auto_reply_yields_nothing(stack, http):
    tag = uuid.uuid4().hex[:8]
    rfc822 = stack.auth | {"content-type": "message/rfc822"}
    url = f"{stack.url('intake')}/v1/channels/email"
    first = await http.post(
        url, content=mail(tag, msgid=f"<a-{tag}@x>", subject="Invoice wrong"), headers=rfc822
    )
    issue_id = first.json()["issue_id"]
    auto = await http.post(
        url,
        content=mail(tag, msgid=f"<o-{tag}@x>", subject="Out of office",
                     Auto_Submitted="auto-replied", In_Reply_To=f"<a-{tag}@x>"),
        headers=rfc822,
    )  # fmt: skip
    assert auto.json()["outcome"] == "ignored"
    reply = await http.post(
        url,
        content=mail(tag, msgid=f"<b-{tag}@x>", subject="Re: Invoice wrong",
                     In_Reply_To=f"<a-{tag}@x>"),
        headers=rfc822,
    )  # fmt: skip
    assert reply.json()["outcome"] == "updated"

    async def updated():
        events = await events_on_reported(stack, {issue_id})
        return events if ISSUE_UPDATED_V1 in [e.type for e in events] else None

    events = await eventually(updated, what="IssueUpdated")
    assert [e.type for e in events] == [ISSUE_REPORTED_V1, ISSUE_UPDATED_V1]
    # Routing routed the issue once and did not dead-letter the update.
    assert (await owner_of(stack, http, issue_id))["department"] == "finance"
    dead = await read_topic(stack.kafka, stack.topic(dlq(ISSUES_REPORTED)))
    assert [r for r in dead if r.key == issue_id.encode()] == []
