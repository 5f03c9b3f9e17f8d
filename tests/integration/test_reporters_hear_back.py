"""Reporters hear back, over real Kafka, PostgreSQL and SMTP: a customer's email
journey (acknowledged on their thread, their answer reaches the owner, the
owner's reply and the resolution reach them, their rating reaches the
scorecard), the same for an employee's internal request and for a chat answered
through its connector; and the loop guards: an auto-reply, a bounce, a flood
from one address send nothing more."""

import asyncio
import json
import uuid
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest

from conftest import subject_of, text_of
from tests.integration.conftest import CHAT_SECRET, INTERNAL_DOMAIN, MAIL_GATEWAY, eventually
from tests.integration.stack import SERVICES
from tests.integration.test_issue_journey import owner_of

pytestmark = pytest.mark.integration


def mail(sender: str, subject: str, body: str, msgid: str, **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "support@shop.example", subject
    msg["Message-ID"] = msgid
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


async def post_mail(stack, http, raw: bytes) -> dict:
    r = await http.post(
        f"{stack.url('intake')}/v1/channels/email",
        content=raw,
        headers=stack.auth | {"content-type": "message/rfc822"},
    )
    assert r.status_code in (200, 202), r.text
    return r.json()


async def mails_to(stack, address: str, *, containing: str = "", at_least: int = 1) -> list:
    async def probe():
        found = [m for m in stack.inbox.to(address) if containing in text_of(m)]
        return found if len(found) >= at_least else None

    return await eventually(probe, what=f"{at_least} mail(s) to {address} with {containing!r}")


async def act(stack, http, issue_id: str, step: str, actor: str, body: dict, expect=200) -> dict:
    url = f"{stack.url('ownership')}/v1/issues/{issue_id}/{step}"
    r = await http.post(url, json=body, headers=stack.as_(actor))
    assert r.status_code == expect, r.text
    return r.json()


async def state(stack, http, issue_id: str) -> dict:
    return (await http.get(f"{stack.url('ownership')}/v1/issues/{issue_id}")).json()


async def satisfaction(stack, http, department: str) -> dict:
    url = f"{stack.url('ownership')}/v1/departments/{department}/scorecard"
    return (await http.get(url, headers=stack.as_("reader"))).json()["satisfaction"]


async def rate(stack, http, text: str, score: int) -> None:
    """Follow the rating link as a reporter would: the page, then its form."""
    [link] = [w for w in text.split() if "/links/rate/" in w]
    url = stack.url("intake") + urlsplit(link).path
    page = await http.get(url, headers={"authorization": ""})
    assert page.status_code == 200 and 'name="rating"' in page.text
    form = {"content-type": "application/x-www-form-urlencoded", "authorization": ""}
    done = await http.post(url, content=f"rating={score}&comment=Thanks", headers=form)
    assert done.status_code == 200, done.text


async def rated(stack, http, department: str, owner_id: str, before: dict) -> dict:
    """The scorecard once it counts one more rating for the owner."""
    had = before.get("by_owner", {}).get(owner_id, {}).get("count", 0)

    async def probe():
        now = await satisfaction(stack, http, department)
        return now if now["by_owner"].get(owner_id, {}).get("count", 0) == had + 1 else None

    return await eventually(probe, what=f"the rating on {department}'s scorecard")


async def personal_data_outside_messages(stack, http, words: list[str]) -> list[str]:
    """Where any of ``words`` shows in what operators see: a span's attributes or
    its events' (exported to the OTLP receiver), a service's log (all it wrote,
    at the level it runs at), or a metric label (each service's /metrics)."""
    found = []
    for span in stack.otlp.snapshot():
        values = [*span.attributes.values()]
        values += [v for _, attributes in span.events for v in attributes.values()]
        found += [f"span {span.service}/{span.name}: {w}" for w in words for v in values
                  if w in str(v)]  # fmt: skip
    for name in SERVICES:
        log = stack.services[name].log.read_text(errors="replace")
        found += [f"{name}'s log: {w}" for w in words if w in log]
        metrics = (await http.get(f"{stack.url(name)}/metrics")).text
        found += [f"{name}'s metrics: {w}" for w in words if w in metrics]
    return found


async def test_a_customers_email_journey_closes_the_loop(stack, http):
    n = uuid.uuid4().hex[:8]
    ada, first_id = f"ada-{n}@example.com", f"<first-{n}@example.com>"
    taken = await post_mail(stack, http, mail(
        f"Ada Quillfeather <{ada}>", "Charged twice for order 1234",
        "My card was charged twice for order 1234. Please refund one of them.", first_id,
    ))  # fmt: skip
    issue_id, reference = taken["issue_id"], taken["reference"]
    owner = (await owner_of(stack, http, issue_id))["owner"]
    assert owner["id"] in ("fin-gita", "fin-hugo")

    # The acknowledgement: threaded on their mail, the reference in its subject,
    # naming who looks after it and by when.
    [ack] = await mails_to(stack, ada)
    assert ack["In-Reply-To"] == first_id and first_id in ack["References"]
    assert subject_of(ack) == f"Re: [{reference}] Charged twice for order 1234"
    assert f"Finance ({owner['name']}) is looking after it and aims to resolve it by" in (
        text_of(ack)
    )
    # The owner's notice says what the issue is, with a link that acknowledges it.
    [notice] = await mails_to(stack, owner["email"], containing=issue_id)
    assert subject_of(notice) == f"[{reference}] Charged twice for order 1234 — yours to " \
        "handle for finance"  # fmt: skip
    assert "My card was charged twice" in text_of(notice)
    [ack_link] = [w for w in text_of(notice).split() if "/links/acknowledge/" in w]
    page = await http.get(ack_link, headers={"authorization": ""})
    assert page.status_code == 200 and (await state(stack, http, issue_id))["state"] == "assigned"
    assert (await http.post(ack_link, headers={"authorization": ""})).status_code == 200
    assert (await state(stack, http, issue_id))["state"] == "acknowledged"

    # They answer the acknowledgement: the same issue, and the owner hears their words.
    answer_id = f"<answer-{n}@example.com>"
    again = await post_mail(stack, http, mail(
        f"Ada Quillfeather <{ada}>", subject_of(ack), "It was the 12 November payment, EUR 40.",
        answer_id,
        In_Reply_To=ack["Message-ID"], References=f"{first_id} {ack['Message-ID']}",
    ))  # fmt: skip
    assert (again["outcome"], again["issue_id"]) == ("updated", issue_id)
    [wrote] = await mails_to(stack, owner["email"], containing="the 12 November payment")
    assert "the reporter wrote again" in subject_of(wrote)

    # The owner answers through the API; it reaches them on the same thread.
    await act(stack, http, issue_id, "replies", owner["id"],
              {"text": "Refunded EUR 40 today; 2 to 3 days."}, expect=201)  # fmt: skip
    [reply] = await mails_to(stack, ada, containing="Refunded EUR 40 today")
    assert reply["In-Reply-To"] == answer_id and subject_of(reply) == subject_of(ack)

    # Resolved: the resolution with a rating link; the rating reaches the scorecard.
    before = await satisfaction(stack, http, "finance")
    version = (await state(stack, http, issue_id))["version"]
    await act(stack, http, issue_id, "resolve", owner["id"],
              {"version": version, "resolution": "Refunded the second charge."})  # fmt: skip
    [resolution] = await mails_to(stack, ada, containing="/links/rate/")
    assert "Finance has resolved" in text_of(resolution)
    await rate(stack, http, text_of(resolution), 5)
    card = await rated(stack, http, "finance", owner["id"], before)
    assert card["count"] == before["count"] + 1
    history = (await http.get(f"{stack.url('ownership')}/v1/issues/{issue_id}/history")).json()
    assert ("replied", "Refunded EUR 40 today; 2 to 3 days.") in [
        (h["action"], h["details"].get("text")) for h in history
    ]

    # Their name, address and words, and the owner's, went out in messages only:
    # in no span (attribute or event), no service's log, no metric label. The
    # span of the stay in finance (made on resolving) says the journey is exported.
    async def stay_closed():
        return [s for s in stack.otlp.snapshot() if s.name == "department finance"
                and s.attributes.get("baton.issue_id") == issue_id]  # fmt: skip

    await eventually(stay_closed, what="the span of the issue's stay in finance")
    await asyncio.sleep(0.5)  # every service's spans of the journey exported (every 0.2 s)
    personal = [ada, "Ada Quillfeather", "Charged twice for order 1234", "My card was charged",
                "the 12 November payment", "Refunded EUR 40 today", "Refunded the second charge",
                owner["name"], owner["email"]]  # fmt: skip
    leaks = await personal_data_outside_messages(stack, http, personal)
    assert not leaks, "personal data outside messages:\n" + "\n".join(sorted(set(leaks)))


async def test_an_employees_internal_request_gets_the_same(stack, http):
    n = uuid.uuid4().hex[:8]
    bo = f"bo-{n}@{INTERNAL_DOMAIN}"
    taken = await post_mail(stack, http, mail(
        f"Bo <{bo}>", "Cannot log in to the VPN", "Since this morning the VPN refuses me.",
        f"<vpn-{n}@{INTERNAL_DOMAIN}>",
        # The company's gateway vouches for the sender: an employee's request.
        Authentication_Results=f"{MAIL_GATEWAY}; dmarc=pass header.from={INTERNAL_DOMAIN}",
    ))  # fmt: skip
    issue_id = taken["issue_id"]
    it_owner = await owner_of(stack, http, issue_id)
    assert it_owner["department"] == "it"
    [ack] = await mails_to(stack, bo)
    assert "We have received your request" in text_of(ack)
    assert f"IT ({it_owner['owner']['name']}) is looking after it and aims to resolve" in (
        text_of(ack)
    )

    # Handed to HR: the employee hears it changed hands.
    handed = await act(stack, http, issue_id, "handoffs", it_owner["owner"]["id"], {
        "version": it_owner["version"], "to_department": "hr", "reason": "an HR account",
    }, expect=201)  # fmt: skip
    await act(stack, http, issue_id, f"handoffs/{handed['pending_handoff']['id']}/accept",
              "hr-ines", {"version": handed["version"]})  # fmt: skip
    [moved] = await mails_to(stack, bo, containing="changed hands")
    assert "HR (Ines Duarte) is now looking after it" in text_of(moved)

    before = await satisfaction(stack, http, "hr")
    version = (await state(stack, http, issue_id))["version"]
    await act(stack, http, issue_id, "resolve", "hr-ines",
              {"version": version, "resolution": "Your account is active again."})  # fmt: skip
    [resolution] = await mails_to(stack, bo, containing="/links/rate/")
    assert 'HR has resolved "Cannot log in to the VPN"' in text_of(resolution)
    assert "Your account is active again." not in text_of(resolution)  # a note for colleagues
    await rate(stack, http, text_of(resolution), 3)
    await rated(stack, http, "hr", "hr-ines", before)


def connector_messages(stack, conversation: str) -> list[tuple[dict, dict]]:
    found = []
    for headers, raw in list(stack.chat_connector.received):
        body = json.loads(raw)
        if body.get("conversation") == conversation:
            found.append((headers, body))
    return found


async def test_a_chat_is_answered_through_its_connector(stack, http):
    from baton_intake.outbound.senders import signature

    conversation = f"conv-{uuid.uuid4().hex[:8]}"
    transcript = {
        "conversation_id": conversation, "customer": {"email": f"{conversation}@example.com"},
        "messages": [{"from": "customer", "text": "My parcel never arrived, tracking is stuck.",
                      "at": "2026-11-23T10:00:00Z"}],
    }  # fmt: skip
    r = await http.post(f"{stack.url('intake')}/v1/channels/chat", json=transcript,
                        headers=stack.auth)  # fmt: skip
    issue_id = r.json()["issue_id"]
    owner = (await owner_of(stack, http, issue_id))["owner"]

    async def kinds(*wanted: str):
        found = connector_messages(stack, conversation)
        return found if [b["kind"] for _, b in found] == list(wanted) else None

    [(headers, ack)] = await eventually(lambda: kinds("acknowledged"), what="the chat's ack")
    raw = json.dumps(ack, separators=(",", ":"), ensure_ascii=False).encode()
    at = int(headers["Baton-Signature"].split(",")[0].removeprefix("t="))
    assert headers["Baton-Signature"] == signature(raw, secret=CHAT_SECRET, at=at)
    assert (ack["issue_id"], ack["reference"]) == (issue_id, r.json()["reference"])
    assert "Operations" in ack["text"]

    await act(stack, http, issue_id, "replies", owner["id"],
              {"text": "The courier has it: tomorrow."}, expect=201)  # fmt: skip
    version = (await state(stack, http, issue_id))["version"]
    await act(stack, http, issue_id, "resolve", owner["id"],
              {"version": version, "resolution": "Delivered."})  # fmt: skip
    found = await eventually(lambda: kinds("acknowledged", "reply", "resolved"), what="all three")
    assert "The courier has it: tomorrow." in found[1][1]["text"]
    assert "/links/rate/" in found[2][1]["text"]
    assert stack.inbox.to(f"{conversation}@example.com") == []  # the connector answers


def delivery_report(message_id: str) -> bytes:
    return (
        "From: MAILER-DAEMON@mx.example.com\nTo: support@shop.example\n"
        f"Subject: Undelivered Mail Returned to Sender\nMessage-ID: <dsn-{uuid.uuid4()}@mx>\n"
        "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; "
        'boundary="b"\n\n--b\nContent-Type: text/plain\n\nCould not be delivered.\n'
        "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.com\n\n"
        "Action: failed\nStatus: 5.1.1\n--b\nContent-Type: text/rfc822-headers\n\n"
        f"Message-ID: {message_id}\n--b--\n"
    ).encode()


async def test_loop_guards_an_auto_reply_a_bounce_and_a_flood_send_nothing_more(stack, http):
    n = uuid.uuid4().hex[:8]
    auto, gone, flood = (f"{who}-{n}@example.com" for who in ("auto", "gone", "flood"))
    # An auto-reply is not even taken in.
    ignored = await post_mail(stack, http, mail(
        auto, "Out of office", "I am away until Monday.", f"<ooo-{n}@example.com>",
        Auto_Submitted="auto-replied",
    ))  # fmt: skip
    assert (ignored["outcome"], ignored["issue_id"]) == ("ignored", None)

    # A bounce of our acknowledgement: no issue, and that address gets nothing more.
    first = await post_mail(stack, http, mail(gone, "Invoice is wrong", "Wrong VAT rate.",
                                              f"<gone-{n}@example.com>"))  # fmt: skip
    [ack] = await mails_to(stack, gone)
    bounce = await post_mail(stack, http, delivery_report(ack["Message-ID"]))
    assert (bounce["outcome"], bounce["issue_id"]) == ("ignored", None)
    second = await post_mail(stack, http, mail(gone, "Refund is late", "Still no refund.",
                                               f"<gone2-{n}@example.com>"))  # fmt: skip
    assert second["issue_id"] != first["issue_id"]

    # A flood from one address: three acknowledgements an hour (the default), no more.
    taken = []
    for i in range(5):
        raw = mail(flood, f"Problem {i} with my invoice", "Help!", f"<flood-{i}-{n}@example.com>")
        taken.append(await post_mail(stack, http, raw))
    await mails_to(stack, flood, at_least=3)
    for issue in [second, *taken]:
        await owner_of(stack, http, issue["issue_id"])
    await asyncio.sleep(3)  # room for a wrongful message: the sender wakes within a second
    assert len(stack.inbox.to(flood)) == 3
    assert len(stack.inbox.to(gone)) == 1
    assert stack.inbox.to(auto) == []
