"""Reporters hear back from intake: an acknowledgement threaded on their mail that
says what happens next, the owner's replies, the resolution with a rating link;
through a channel's connector for chat; and never to automated mail, lists,
no-reply addresses, bounced addresses, or more than N times an hour."""

import json
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime

import pytest
from baton_contracts import (
    ISSUE_RATED_V1,
    Envelope,
    IssueReported,
    IssueResolved,
    OwnerAssigned,
    Person,
    ReplyPosted,
)
from baton_intake.app import create_app
from baton_intake.contacts.models import Contact
from baton_intake.issues.handler import on_ownership_event
from baton_intake.outbound import dispatcher, senders
from baton_intake.outbound.models import Conversation, ReporterMessage
from baton_intake.outbound.render import Letter
from baton_intake.settings import Settings
from baton_runtime import links, migrations
from baton_runtime.smtp import Mailer, Raw
from sqlmodel import select

from conftest import running_http_receiver, subject_of, text_of

from .conftest import MIGRATIONS, Client
from .test_email import mail

KEY = "intake-links-" + "r" * 20
GITA = Person(id="fin-gita", name="Gita Rao", email="gita.rao@example.com")
RESOLVE_BY = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
async def client(tmp_path, smtp_server):
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/intake.db",
        internal_email_domains=["baton.example"],
        trusted_authserv_ids=["mx.baton.example"],
        smtp_port=smtp_server.port,
        mail_from="Shop support <support@shop.example>",
        public_url="https://help.shop.example",
        link_signing_key=KEY,
        acknowledgements_per_hour=2,
        reporter_time_zone="Europe/Berlin",
    )
    migrations.upgrade(MIGRATIONS, settings.database_url)
    import httpx

    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with Client(transport=transport, base_url="http://test") as c:
        c.runtime = app.state.runtime
        c.headers["Authorization"] = "Bearer " + await c.key("intake:write", "intake:read")
        yield c
    await app.state.runtime.db.dispose()


async def send(client, raw: bytes) -> dict:
    r = await client.post(
        "/v1/channels/email", content=raw, headers={"content-type": "message/rfc822"}
    )
    assert r.status_code in (200, 202), r.text
    return r.json()


async def ownership(client, data) -> None:
    await on_ownership_event(Envelope.wrap(source="/tests", data=data), runtime=client.runtime)


def assigned(issue_id, via="routing", department="finance", owner=GITA):
    return OwnerAssigned(
        issue_id=issue_id, department=department, owner=owner, assigned_at=datetime.now(UTC),
        via=via, resolve_due_at=RESOLVE_BY,
    )  # fmt: skip


def change(cls, issue_id, **kw):
    base = dict(issue_id=issue_id, department="finance", owner_id=GITA.id, actor_id=GITA.id,
                version=2, at=datetime.now(UTC))  # fmt: skip
    return cls(**(base | kw))


async def deliver(client, *, later_s: float = 0) -> int:
    runtime = client.runtime
    moment = datetime.now(UTC) + timedelta(seconds=later_s)
    return await dispatcher.send_due(db=runtime.db, settings=runtime.settings, clock=lambda: moment)


async def messages(client) -> list[ReporterMessage]:
    async with client.runtime.db.session() as session:
        return list(
            (await session.exec(select(ReporterMessage).order_by(ReporterMessage.id))).all()
        )


async def test_the_acknowledgement_threads_on_their_mail_and_says_who_and_by_when(
    client, smtp_server
):
    taken = await send(client, mail())
    assert await deliver(client) == 0  # it waits to learn who owns the issue
    await ownership(client, assigned(taken["issue_id"]))
    assert await deliver(client) == 1
    [ack] = smtp_server.messages
    assert ack["To"] == "ada@example.com" and ack["From"] == "Shop support <support@shop.example>"
    # Dated (RFC 5322), as it was sent: a mail server need not add a missing Date.
    assert abs(parsedate_to_datetime(ack["Date"]) - datetime.now(UTC)) < timedelta(minutes=5)
    assert ack["In-Reply-To"] == "<m1@example.com>" and ack["References"] == "<m1@example.com>"
    assert subject_of(ack) == f"Re: [{taken['reference']}] Where is my order?"
    assert ack["Auto-Submitted"] == "auto-replied"
    text = text_of(ack)
    # The deadline in the configured zone: 12:00 UTC is 13:00 in Berlin in November.
    assert "Finance (Gita Rao) is looking after it and aims to resolve it by 26 Nov 2026, " \
        "13:00 CET" in text  # fmt: skip
    assert f"Your reference: {taken['reference']}" in text


async def test_their_answer_to_the_acknowledgement_lands_on_the_same_issue(client, smtp_server):
    taken = await send(client, mail())
    await ownership(client, assigned(taken["issue_id"]))
    await deliver(client)
    [ack] = smtp_server.messages
    # Their client threads on our message; the subject may lose the reference.
    answer = mail(subject="Re: your mail", body="It was order 1234, paid by card.",
                  msgid="<m2@example.com>", In_Reply_To=ack["Message-ID"])  # fmt: skip
    again = await send(client, answer)
    assert (again["outcome"], again["issue_id"]) == ("updated", taken["issue_id"])
    # The owner's reply then answers their latest message, in the same thread.
    await ownership(client, ReplyPosted(
        issue_id=taken["issue_id"], department="finance", owner_id=GITA.id, actor_id=GITA.id,
        author_name="Gita Rao", text="Refunded today: 2 to 3 days.", at=datetime.now(UTC),
    ))  # fmt: skip
    await deliver(client)
    reply = smtp_server.messages[-1]
    assert reply["In-Reply-To"] == "<m2@example.com>"
    assert reply["References"] == "<m1@example.com> <m2@example.com>"
    assert "Auto-Submitted" not in reply  # a person wrote it
    assert "Gita Rao (Finance) writes about" in text_of(reply)
    assert "Refunded today: 2 to 3 days." in text_of(reply)


async def test_the_resolution_carries_a_rating_link_that_records_one_answer(client, smtp_server):
    taken = await send(client, mail())
    await ownership(client, assigned(taken["issue_id"]))
    await ownership(client, change(IssueResolved, taken["issue_id"]))
    await deliver(client)
    resolution = smtp_server.messages[-1]
    assert "Finance has resolved" in text_of(resolution)
    [link] = [w for w in text_of(resolution).split() if "/links/rate/" in w]
    assert link.startswith("https://help.shop.example/links/rate/")
    path = link.removeprefix("https://help.shop.example")
    for _ in range(2):  # a mail scanner, then the reporter: GET changes nothing
        page = await client.get(path + "?rating=4")
        assert page.status_code == 200 and "How did we do?" in page.text
        assert 'value="4" required checked' in page.text
        assert page.headers["referrer-policy"] == "no-referrer"
    assert [e for e in await client.outbox() if e.type == ISSUE_RATED_V1] == []

    done = await client.post(path, content="rating=4&comment=Quick+and+kind", headers=FORM)
    assert done.status_code == 200 and "4 of 5" in done.text
    [rated] = [e.data for e in await client.outbox() if e.type == ISSUE_RATED_V1]
    assert (rated.issue_id, rated.rating, rated.comment) == (taken["issue_id"], 4, "Quick and kind")
    again = await client.post(path, content="rating=1", headers=FORM)
    assert again.status_code == 409 and "already" in again.text
    assert "already" in (await client.get(path)).text


async def test_a_forged_or_expired_rating_link_records_nothing(client):
    taken = await send(client, mail())
    expired = links.sign({"issue_id": taken["issue_id"]}, key=KEY, purpose="rate", ttl_s=-1)
    forged = links.sign({"issue_id": taken["issue_id"]}, key="x" * 32, purpose="rate", ttl_s=99)
    other = links.sign({"issue_id": taken["issue_id"]}, key=KEY, purpose="acknowledge", ttl_s=99)
    form = {"content": "rating=5", "headers": FORM}
    for token in (expired, forged, other):
        assert (await client.get(f"/links/rate/{token}")).status_code == 400
        assert (await client.post(f"/links/rate/{token}", **form)).status_code == 400
    assert "expired" in (await client.get(f"/links/rate/{expired}")).text
    assert [e for e in await client.outbox() if e.type == ISSUE_RATED_V1] == []


async def test_the_acknowledgement_goes_without_a_department_when_none_comes(client, smtp_server):
    await send(client, mail())
    assert await deliver(client, later_s=client.runtime.settings.acknowledgement_wait_s + 1) == 1
    assert "we are passing it to the team that can fix it" in text_of(smtp_server.messages[0])


async def test_a_german_mail_is_answered_in_german(client, smtp_server):
    body = "Hallo, ich habe meine Bestellung nicht bekommen. Bitte helfen Sie mir, danke!"
    taken = await send(client, mail(subject="Bestellung fehlt", body=body))
    [reported] = [e.data for e in await client.outbox() if isinstance(e.data, IssueReported)]
    assert reported.language == "de" and reported.reporter.reachable is True
    await ownership(client, assigned(taken["issue_id"]))
    await deliver(client)
    text = text_of(smtp_server.messages[0])
    assert text.startswith("Guten Tag,") and "bis 26.11.2026, 13:00 CET lösen" in text


async def test_an_employee_hears_when_the_request_changes_hands(client, smtp_server):
    vouched = "mx.baton.example; dmarc=pass header.from=baton.example"  # the gateway's word
    taken = await send(client, mail(sender="Bo <bo@baton.example>", subject="Laptop broken",
                                    Authentication_Results=vouched))  # fmt: skip
    await ownership(client, assigned(taken["issue_id"], department="it"))
    ops = Person(id="ops-ana", name="Ana Ortega", email="ana.ortega@example.com")
    await ownership(client, assigned(taken["issue_id"], via="handoff", department="operations",
                                     owner=ops))  # fmt: skip
    await deliver(client)
    ack, moved = smtp_server.messages
    assert "We have received your request" in text_of(ack)
    assert "has changed hands: Operations (Ana Ortega) is now looking after it" in text_of(moved)


async def test_a_customer_is_not_told_of_internal_moves_and_an_agents_customer_nothing(
    client, smtp_server
):
    taken = await send(client, mail())
    await ownership(client, assigned(taken["issue_id"]))
    await ownership(client, assigned(taken["issue_id"], via="handoff", department="it"))
    r = await client.post("/v1/issues", json={
        "channel": "agent", "reporter": {"kind": "customer", "id": "cust-9"},
        "subject": "Hi", "description": "Call me back",
    })  # fmt: skip
    agent_issue = r.json()["issue_id"]
    await ownership(client, assigned(agent_issue))
    await ownership(client, change(IssueResolved, agent_issue))
    await deliver(client)
    assert [m.kind for m in await messages(client)] == ["acknowledged"]
    assert len(smtp_server.messages) == 1


# ---- loop guards ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"List_Id": "<customers.shop.example>"}, "mailing list (List-Id)"),
        ({"sender": "Shop <no-reply@partner.example>"}, "a no-reply address"),
        ({"sender": "noreply+123@partner.example"}, "a no-reply address"),
    ],
)
async def test_lists_and_no_reply_senders_are_taken_in_but_never_acknowledged(
    client, smtp_server, headers, why
):
    taken = await send(client, mail(**headers))
    assert taken["outcome"] == "created"
    await ownership(client, assigned(taken["issue_id"]))
    await deliver(client, later_s=3600)
    [held] = await messages(client)
    assert (held.kind, held.status, held.reason) == ("acknowledged", "skipped", why)
    assert smtp_server.messages == []


async def test_automated_mail_is_never_answered(client, smtp_server):
    r = await send(client, mail(Auto_Submitted="auto-replied"))
    assert r["outcome"] == "ignored"
    await deliver(client, later_s=3600)
    assert await messages(client) == [] and smtp_server.messages == []


async def test_a_flood_from_one_address_gets_n_acknowledgements_an_hour(client, smtp_server):
    for n in range(5):
        await send(client, mail(subject=f"Problem number {n}", msgid=f"<flood-{n}@example.com>"))
    await deliver(client, later_s=3600)
    assert [m.status for m in await messages(client)] == ["sent", "sent"] + ["skipped"] * 3
    assert len(smtp_server.messages) == 2


async def test_reporters_mail_goes_on_one_smtp_connection_kept_open(client, smtp_server):
    # The service keeps one mailer and hands it to every pass of its sender: three
    # acknowledgements, sent in two passes, greet the mail server once.
    mailer = Mailer(client.runtime.settings)
    try:
        for n, who in enumerate(("ada", "bo", "cy")):
            raw = mail(sender=f"{who} <{who}@example.com>", msgid=f"<one-{n}@example.com>")
            taken = await send(client, raw)
            await ownership(client, assigned(taken["issue_id"]))
            if n != 1:  # the first alone, then the other two together
                await dispatcher.send_due(
                    db=client.runtime.db, settings=client.runtime.settings, mailer=mailer
                )
    finally:
        await mailer.close()
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "ada@example.com", "bo@example.com", "cy@example.com"
    ]  # fmt: skip
    assert smtp_server.connections == 1


async def test_a_mail_server_that_says_later_is_tried_again_and_one_that_says_no_is_not(
    client, smtp_server
):
    taken = await send(client, mail())
    await ownership(client, assigned(taken["issue_id"]))
    smtp_server.refuse_next("451 4.3.0 try again later")
    await deliver(client)
    [ack] = await messages(client)
    assert ack.status == "pending"
    assert ack.reason == "SMTP answered 451 (server error, try again later)"
    assert smtp_server.messages == []
    smtp_server.refuse_next("550 5.1.1 no such mailbox")
    await deliver(client, later_s=3600)  # past the backoff
    [ack] = await messages(client)
    assert (ack.status, ack.reason) == ("failed", "SMTP answered 550 (mailbox unavailable)")
    await deliver(client, later_s=7200)
    assert smtp_server.messages == []  # a permanent refusal is not tried again


async def test_a_message_that_cannot_be_written_fails_alone_and_the_batch_goes(
    client, smtp_server, monkeypatch
):
    """Each mail is written as it is sent, after the batch's claim committed: one
    that cannot be written fails for good (it would again), and the others go."""
    real = senders.email_message

    def written(letter, *, to, **kw):
        if to == "bob@example.com":
            raise ValueError("cannot be written")
        return real(letter, to=to, **kw)

    monkeypatch.setattr(senders, "email_message", written)
    for n, sender in enumerate(("Bob <bob@example.com>", "Ada <ada@example.com>")):
        taken = await send(client, mail(sender=sender, msgid=f"<m{n}@example.com>"))
        await ownership(client, assigned(taken["issue_id"]))
    assert await deliver(client) == 2
    assert [m["To"] for m in smtp_server.messages] == ["ada@example.com"]
    by_status = {m.status: m for m in await messages(client)}
    assert set(by_status) == {"sent", "failed"}
    assert by_status["failed"].reason == "the mail could not be written (ValueError)"
    assert await deliver(client, later_s=3600) == 0  # not tried again


def bounce_of(message_id: str, *, action="failed", status="5.1.1") -> bytes:
    return (
        "From: MAILER-DAEMON@mx.example.com\nTo: support@shop.example\n"
        "Subject: Undelivered Mail Returned to Sender\nMessage-ID: <dsn-1@mx.example.com>\n"
        "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; "
        'boundary="b"\n\n--b\nContent-Type: text/plain\n\nCould not be delivered.\n'
        "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.com\n\n"
        f"Final-Recipient: rfc822; ada@example.com\nAction: {action}\nStatus: {status}\n"
        "--b\nContent-Type: text/rfc822-headers\n\nFrom: support@shop.example\n"
        f"Message-ID: {message_id}\n--b--\n"
    ).encode()


async def test_a_bounce_of_our_mail_marks_the_address_undeliverable_and_is_no_issue(
    client, smtp_server
):
    taken = await send(client, mail())
    await ownership(client, assigned(taken["issue_id"]))
    await deliver(client)
    [ack] = smtp_server.messages
    delayed = await send(client, bounce_of(ack["Message-ID"], action="delayed", status="4.4.1"))
    assert delayed["outcome"] == "ignored"
    bounce = await send(client, bounce_of(ack["Message-ID"]))
    assert (bounce["outcome"], bounce["issue_id"]) == ("ignored", None)
    async with client.runtime.db.session() as session:
        contact = (await session.exec(select(Contact))).one()
    assert contact.undeliverable_at is not None
    await ownership(client, change(IssueResolved, taken["issue_id"]))
    await deliver(client)
    assert len(smtp_server.messages) == 1  # nothing more goes to a dead address
    resolved = (await messages(client))[-1]
    assert (resolved.kind, resolved.status) == ("resolved", "skipped")
    assert "undeliverable" in resolved.reason
    assert [e.type for e in await client.outbox()] == ["baton.issue.reported.v1"]


# ---- chat, through the channel's connector ----------------------------------------


async def test_a_chat_is_answered_through_its_connector_signed_and_on_its_conversation(
    tmp_path, smtp_server
):
    with running_http_receiver() as receiver:
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path}/chat.db",
            smtp_port=smtp_server.port,
            reply_connectors={"chat": {"url": receiver.url, "secret": "chat-connector-secret"}},
        )
        migrations.upgrade(MIGRATIONS, settings.database_url)
        import httpx

        app = create_app(settings)
        async with Client(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            c.runtime = app.state.runtime
            c.headers["Authorization"] = "Bearer " + await c.key("intake:write")
            transcript = {
                "conversation_id": "conv-77", "customer": {"email": "ada@example.com"},
                "messages": [{"from": "customer", "text": "My parcel never arrived.",
                              "at": "2026-11-23T10:00:00Z"}],
            }  # fmt: skip
            taken = (await c.post("/v1/channels/chat", json=transcript)).json()
            await ownership(c, assigned(taken["issue_id"], department="operations"))
            await dispatcher.send_due(db=c.runtime.db, settings=settings)
        await app.state.runtime.db.dispose()
    [(headers, raw)] = receiver.received
    at = headers["Baton-Signature"].split(",")[0].removeprefix("t=")
    from baton_intake.outbound.senders import signature

    assert headers["Baton-Signature"] == signature(raw, secret="chat-connector-secret", at=int(at))
    body = json.loads(raw)
    assert (body["kind"], body["channel"], body["conversation"]) == (
        "acknowledged", "chat", "conv-77",
    )  # fmt: skip
    assert body["reference"] == taken["reference"] and "Operations" in body["text"]
    assert smtp_server.messages == []  # the connector answers, not email


async def test_the_conversation_keeps_contact_details_out_of_events(client):
    await send(client, mail())
    async with client.runtime.db.session() as session:
        [conversation] = (await session.exec(select(Conversation))).all()
    assert conversation.thread == "<m1@example.com>"
    for row in await client.outbox_rows():
        assert "ada@example.com" not in row.payload and "m1@example.com" not in row.payload


def test_a_reporters_mail_is_7bit_folded_and_reads_as_written():
    """Written as the kernel writes mail for the wire (``baton_runtime.mime``): a
    German letter goes in 7 bits (base64 parts, RFC 2047 words), so no mail server
    need take 8BITMIME, with lines of at most 78 and the thread's headers."""
    letter = Letter(
        subject="Re: [BTN-1A2B3C4D] Bestellung fehlt \u2013 wir kümmern uns darum, versprochen",
        text="Guten Tag,\n\nFinanzen (Gita Rao) löst es bis 26.11.2026.\n",
        html="<p>Guten Tag,</p><p>Finanzen löst es.</p>",
        language="de",
    )
    thread = ["<m1@example.com>", *(f"<baton.t{i}@shop.example>" for i in range(4))]
    made = senders.email_message(
        letter, settings=Settings(mail_from="Shop support <support@shop.example>"),
        to="ada@example.com", message_id="<baton.t9@shop.example>", in_reply_to=thread[-1],
        references=thread, auto_submitted="auto-replied",
    )  # fmt: skip
    assert isinstance(made, Raw)
    assert (made.sender, made.recipients) == ("support@shop.example", ["ada@example.com"])
    assert made.data.isascii()
    assert max(len(line) for line in made.data.split(b"\r\n")) <= 78
    msg = message_from_bytes(made.data, policy=policy.default)
    assert str(msg["Subject"]) == letter.subject
    assert [(a.display_name, a.addr_spec) for a in msg["From"].addresses] == [
        ("Shop support", "support@shop.example")
    ]
    assert abs(parsedate_to_datetime(msg["Date"]) - datetime.now(UTC)) < timedelta(minutes=5)
    assert msg["Message-ID"] == "<baton.t9@shop.example>"
    assert msg["In-Reply-To"] == thread[-1]
    assert msg["References"].split() == thread
    assert (msg["Content-Language"], msg["Auto-Submitted"]) == ("de", "auto-replied")
    assert msg["X-Auto-Response-Suppress"] == "All"
    # Each line ends in CRLF in a text part (RFC 2046), the last one too.
    assert msg.get_body(("plain",)).get_content() == letter.text.replace("\n", "\r\n")
    assert msg.get_body(("html",)).get_content() == letter.html + "\r\n"
