"""The bench's SMTP sink knows each notice by the headers notifications sets on
every mail (``X-Baton-Issue``, ``X-Baton-Kind``; notifications' own tests pin
them), not by a template's wording, which changes."""

from __future__ import annotations

from email.message import EmailMessage

from bench.e2e.sink import parse

ISSUE = "5f7c3c1e-0000-4000-8000-000000000001"


def notice(**headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "baton@example.com"
    msg["To"] = "Gita Rao <gita.rao@example.com>"
    msg["Subject"] = "[BTN-5F7C3C1E] A refund — yours to handle for finance"
    for name, value in headers.items():
        msg[name] = value
    msg.set_content("Issue: someone else's words, not a header\n")
    msg.add_alternative("<p>html</p>", subtype="html")
    return msg.as_bytes()


def test_the_issue_and_kind_come_from_the_headers():
    raw = notice(**{"X-Baton-Issue": ISSUE, "X-Baton-Event": "e1", "X-Baton-Kind": "assigned"})
    assert parse(raw) == (ISSUE, "assigned")
    crlf = raw.replace(b"\n", b"\r\n")
    assert parse(crlf) == (ISSUE, "assigned")


def test_a_mail_without_them_is_counted_as_unreadable_not_as_a_notice():
    assert parse(notice()) == (None, "other")


def test_a_header_quoted_in_the_body_is_not_taken_for_the_mail_s_own():
    msg = EmailMessage()
    msg["Subject"] = "Fwd: a notice"
    msg.set_content(f"X-Baton-Issue: {ISSUE}\nX-Baton-Kind: assigned\n")
    assert parse(msg.as_bytes()) == (None, "other")
