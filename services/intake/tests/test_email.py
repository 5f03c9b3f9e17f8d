"""Email door: raw RFC 5322 messages (files in mail/, more built with Python's
email package) become issues, replies become updates, automated mail is
recorded and ignored."""

from email.message import EmailMessage
from pathlib import Path

import pytest
from baton_contracts import ISSUE_REPORTED_V1, ISSUE_UPDATED_V1, IssueReported, IssueUpdated
from baton_intake.contacts.models import Contact
from baton_intake.sources.email import without_quote
from baton_intake.sources.models import IgnoredMail
from sqlmodel import select

MAIL = Path(__file__).parent / "mail"
RFC822 = {"content-type": "message/rfc822"}


async def send(client, raw: bytes):
    return await client.post("/v1/channels/email", content=raw, headers=RFC822)


def mail(
    *, subject="Where is my order?", body="Order 1234 never came.", msgid="<m1@example.com>",
    sender="Ada Lovelace <ada@example.com>", **headers: str,
) -> bytes:  # fmt: skip
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@shop.example"
    msg["Subject"] = subject
    if msgid:
        msg["Message-ID"] = msgid
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


async def reported(client) -> IssueReported:
    [event] = [e for e in await client.outbox() if e.type == ISSUE_REPORTED_V1]
    assert isinstance(event.data, IssueReported)
    return event.data


async def test_quoted_printable_latin1_mail_becomes_an_issue_with_readable_text(client):
    r = await send(client, (MAIL / "qp_latin1.eml").read_bytes())
    assert r.status_code == 202, r.text
    issue = await reported(client)
    assert issue.channel == "email"
    assert issue.subject == "Rückerstattung fehlt"
    assert "Rückerstattung für Bestellung 1234" in issue.description
    assert "Schöne Grüße" in issue.description


async def test_multipart_alternative_uses_the_plain_part_and_keeps_attachment_metadata(client):
    await send(client, (MAIL / "alternative_with_attachment.eml").read_bytes())
    issue = await reported(client)
    assert issue.description == "The parcel for order 1234 arrived broken. Photo attached."
    [attachment] = issue.attachments
    assert (attachment.name, attachment.content_type) == ("parcel.jpg", "image/jpeg")
    assert attachment.size == 40


async def test_an_html_only_base64_mail_in_windows_1252_becomes_safe_text(client):
    await send(client, (MAIL / "html_only_base64.eml").read_bytes())
    issue = await reported(client)
    assert issue.description == "Hallo,\n\nmijn factuur van €12 klopt niet & ik wil een correctie."
    for forbidden in ("<", "script", "track", "alert", "color"):
        assert forbidden not in issue.description


async def test_the_sender_address_stays_in_intake_and_the_event_names_a_contact(client):
    await send(client, mail())
    [row] = await client.outbox_rows()
    assert "@" not in row.payload
    async with client.runtime.db.session() as session:
        contact = (await session.exec(select(Contact))).one()
    assert (contact.kind, contact.value) == ("email", "ada@example.com")
    assert (await reported(client)).reporter.id == contact.id


async def test_the_same_mail_delivered_twice_is_one_issue(client):
    first = await send(client, mail())
    again = await send(client, mail())
    assert again.status_code == 200
    assert again.json()["issue_id"] == first.json()["issue_id"]
    assert len(await client.outbox()) == 1


async def test_a_reply_by_in_reply_to_updates_the_issue_it_answers(client):
    issue_id = (await send(client, mail())).json()["issue_id"]
    reply = mail(
        subject="Re: Where is my order?",
        body="Still nothing.\n\nOn Monday, Shop wrote:\n> We are looking into it.",
        msgid="<m2@example.com>",
        In_Reply_To="<m1@example.com>",
        References="<m1@example.com>",
    )
    r = await send(client, reply)
    assert r.json()["outcome"] == "updated"
    assert r.json()["issue_id"] == issue_id
    update = (await client.outbox())[-1]
    assert update.type == ISSUE_UPDATED_V1
    assert update.subject == issue_id
    assert isinstance(update.data, IssueUpdated)
    assert update.data.text == "Still nothing."


async def test_a_reply_by_the_reference_token_in_the_subject_updates_the_issue(client):
    first = (await send(client, mail())).json()
    reply = mail(subject=f"Re: [{first['reference']}] order", body="Any news?", msgid="<x9@a.b>")
    r = await send(client, reply)
    assert (r.json()["outcome"], r.json()["issue_id"]) == ("updated", first["issue_id"])


async def test_a_reply_delivered_twice_updates_once(client):
    await send(client, mail())
    reply = mail(msgid="<m2@example.com>", In_Reply_To="<m1@example.com>", body="More.")
    await send(client, reply)
    await send(client, reply)
    assert [e.type for e in await client.outbox()] == [ISSUE_REPORTED_V1, ISSUE_UPDATED_V1]


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"X_Autoreply": "yes"},
        {"sender": "MAILER-DAEMON <mailer-daemon@mx.example.com>"},
    ],
)
async def test_automated_mail_is_recorded_and_ignored(client, headers):
    r = await send(client, mail(**headers))
    assert r.status_code == 202
    assert r.json()["outcome"] == "ignored"
    assert r.json()["issue_id"] is None
    assert await client.outbox() == []
    async with client.runtime.db.session() as session:
        [ignored] = (await session.exec(select(IgnoredMail))).all()
    assert ignored.message_id == "<m1@example.com>"


async def test_a_bounce_report_is_recorded_and_ignored(client):
    r = await send(client, (MAIL / "bounce.eml").read_bytes())
    assert r.json() == r.json() | {"outcome": "ignored", "reason": "delivery report (bounce)"}
    assert await client.outbox() == []


async def test_auto_submitted_no_is_a_person_writing(client):
    r = await send(client, mail(Auto_Submitted="no"))
    assert r.json()["outcome"] == "created"


async def test_mail_from_an_internal_domain_is_an_internal_request(client):
    vouched = "mx.baton.example; dmarc=pass header.from=baton.example"
    await send(client, mail(sender="Bo <bo@baton.example>", Authentication_Results=vouched))
    issue = await reported(client)
    assert issue.internal is True
    assert issue.reporter.kind == "employee"


async def test_mail_needs_the_rfc822_content_type_415(client):
    r = await client.post(
        "/v1/channels/email", content=mail(), headers={"content-type": "text/plain"}
    )
    assert r.status_code == 415


async def test_something_that_is_not_a_mail_is_a_422_problem(client):
    r = await send(client, b"\x00\x01 hello")
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"


def test_a_reply_keeps_only_its_own_words():
    text = "Thanks!\n> old\nOn Tue, 1 Dec 2026, Shop <s@shop> wrote:\nquoted"
    assert without_quote(text) == "Thanks!"
