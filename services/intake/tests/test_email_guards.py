"""The email door against hostile mail: a forged internal From is a customer's
report, caps hold before the text is made plain, and a megabyte of HTML is
parsed off the event loop."""

import asyncio
import threading
import time
from email.message import EmailMessage

import pytest
from baton_contracts import ISSUE_REPORTED_V1, IssueReported
from baton_intake import text as email_text
from baton_intake.settings import Settings
from baton_intake.sources import email, mail_auth

from .test_email import mail, send

TRUSTED = ["mx.baton.example"]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The door's tests' settings, taking a 2 MB body (a megabyte of HTML, encoded)."""
    return settings.model_copy(update={"max_body_bytes": 2 * 1024 * 1024})


async def reporter_kind(client) -> str:
    [event] = [e for e in await client.outbox() if e.type == ISSUE_REPORTED_V1]
    assert isinstance(event.data, IssueReported)
    return event.data.reporter.kind


@pytest.mark.parametrize(
    "results",
    [
        "mx.baton.example; dmarc=pass (p=reject) header.from=baton.example",
        "mx.baton.example 1; spf=pass smtp.mailfrom=bo@baton.example; dkim=fail",
        "mx.baton.example; dkim=pass header.d=mail.baton.example header.s=s1",
    ],
)
async def test_an_internal_sender_the_gateway_vouches_for_is_an_employee(client, results):
    await send(client, mail(sender="bo@baton.example", Authentication_Results=results))
    assert await reporter_kind(client) == "employee"


@pytest.mark.parametrize(
    "results",
    [
        None,  # no word from the gateway at all
        "mx.evil.example; dmarc=pass header.from=baton.example",  # not a trusted gateway
        "mx.baton.example; dmarc=fail header.from=baton.example; spf=softfail",
        "mx.baton.example; dkim=pass header.d=evil.example; spf=pass smtp.mailfrom=x@evil.example",
        "mx.baton.example; dmarc=pass header.from=notbaton.example",  # not aligned
    ],
)
async def test_a_forged_internal_sender_is_a_customers_report(client, results):
    headers = {"Authentication_Results": results} if results else {}
    await send(client, mail(sender="Boss <boss@baton.example>", **headers))
    assert await reporter_kind(client) == "customer"


async def test_a_pass_written_by_the_sender_below_the_gateways_fail_is_not_believed(client):
    msg = mail(sender="boss@baton.example")
    # The gateway prepends its header above whatever the mail arrived with.
    forged = b"Authentication-Results: mx.baton.example; dmarc=pass header.from=baton.example\n"
    gateway = b"Authentication-Results: mx.baton.example; dmarc=fail header.from=baton.example\n"
    await send(client, gateway + forged + msg)
    assert await reporter_kind(client) == "customer"


def test_the_check_can_be_switched_off_for_a_gateway_that_strips_the_header():
    raw = mail(sender="bo@baton.example")
    checked = Settings(internal_email_domains=["baton.example"])
    trusting = Settings(
        internal_email_domains=["baton.example"], internal_email_require_authentication=False
    )
    assert email.is_internal(email.parse(raw, checked), checked) is False
    assert email.is_internal(email.parse(raw, trusting), trusting) is True


def test_comments_and_versions_do_not_confuse_the_reader():
    header = (
        "mx.baton.example 1 (the gateway; really); "
        'dmarc=pass (p=none; x) header.from="baton.example"'
    )
    assert mail_auth.parse(header) == (
        "mx.baton.example",
        [("dmarc", "pass", {"header.from": "baton.example"})],
    )
    assert mail_auth.vouched_for([header], domain="baton.example", trusted_ids=TRUSTED)


def html_mail(html: str, **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "ada@example.com"
    msg["Subject"] = "Big"
    for name, value in headers.items():
        msg[name] = value
    msg.set_content(html, subtype="html")
    return msg.as_bytes()


def big_html(size: int = 1_000_000) -> str:
    row = "<tr><td><p>Order <b>1234</b> &amp; &lt;b&gt;x&lt;/b&gt;</p></td></tr>\n"
    return "<table>" + row * (size // len(row)) + "</table>"


def test_the_text_is_cut_before_it_is_made_plain_and_no_half_tag_survives():
    settings = Settings(email_max_text_chars=1_000)
    html = "<p>" + "word " * 198 + "<a href='https://x.example/'>link</a></p>"
    text = email.parse(html_mail(html), settings).text
    assert text.startswith("word word") and text.count("word") <= 198
    assert "<" not in text and "href" not in text


def test_a_megabyte_of_html_is_sanitised_only_up_to_the_cap():
    settings = Settings()  # 200,000 characters
    text = email.parse(html_mail(big_html()), settings).text
    assert 0 < len(text) < settings.email_max_text_chars
    assert "Order 1234 & x" in text


async def test_too_many_header_fields_is_a_422_problem_before_parsing(client):
    headers = b"".join(b"X-Spam-%d: x\n" % n for n in range(501))
    answer = await send(client, headers + mail())
    assert answer.status_code == 422
    assert answer.json()["detail"] == "The mail has more header fields than the 500 taken."
    assert await client.outbox() == []


async def test_too_many_mime_parts_is_a_422_problem(client):
    msg = EmailMessage()
    msg["From"] = "ada@example.com"
    msg.set_content("many attachments")
    for n in range(100):
        msg.add_attachment(b"x", maintype="application", subtype="octet-stream", filename=f"{n}")
    answer = await send(client, msg.as_bytes())  # 102 parts: the message, its text, 100 files
    assert answer.status_code == 422
    assert "MIME parts" in answer.json()["detail"]


async def test_a_megabyte_html_mail_leaves_the_event_loop_free(client, monkeypatch):
    sanitised_in: list[threading.Thread] = []

    def safe_text(text: str) -> str:
        sanitised_in.append(threading.current_thread())
        return email_text.safe_text(text)

    monkeypatch.setattr(email, "safe_text", safe_text)
    stalls: list[float] = []
    done = False

    async def tick() -> None:
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            stalls.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    answer = await send(client, html_mail(big_html(), **{"Message-ID": "<big@example.com>"}))
    done = True
    await ticker
    assert answer.status_code == 202
    assert sanitised_in and threading.main_thread() not in sanitised_in
    # Parsing and sanitising it takes the better part of a second on the loop; in
    # a thread, the loop only waits for its turn at the GIL.
    assert max(stalls) < 0.3, f"the loop stalled {max(stalls):.3f}s"
