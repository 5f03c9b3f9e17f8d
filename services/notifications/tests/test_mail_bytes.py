"""The mailer writes a header that is plain ASCII and fits on its line as it is,
and picks the multipart boundary itself (``senders.email``): what it sends must be
byte for byte what the standard library's compat32 folding and generator make."""

import random
import re
from email.policy import compat32

import pytest
from baton_notifications.senders import email as email_module
from baton_notifications.senders.email import mail
from baton_notifications.settings import Settings
from baton_runtime.smtp import Raw

STOCK = compat32.clone(linesep="\r\n", max_line_length=78)

VALUES = [
    "", " ", "a", " a", "a ", "a  b", "a\tb", "\ta", "a\t", "x" * 60, "y" * 70, "z" * 71,
    "w" * 72, "w" * 73, "word " * 20, "a\r\nBcc: b@example.com", "a\nb", "=?utf-8?q?x?=",
    "Gita Rao <gita.rao@example.com>", '"O\'Brien, Pat" <pat@example.com>', "caf\u00e9",
    "a\x00b", "a\x7fb", "a\x0bb", "a\x1cb", "[BTN-1A2B3C4D] " + "long subject words " * 5,
    "e" * 100, "(comment) x", "  two  ", "tail  ",
]  # fmt: skip


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("name", ["To", "Subject", "X-Baton-Issue", "Message-ID"])
def test_a_header_is_folded_as_compat32_folds_it(name, value):
    try:
        expected = STOCK.fold_binary(name, value)
    except Exception as exc:  # what compat32 refuses, ours refuses alike
        with pytest.raises(type(exc)):
            email_module._WIRE.fold_binary(name, value)
        return
    assert email_module._WIRE.fold_binary(name, value) == expected


def test_random_plain_headers_are_folded_as_compat32_folds_them():
    rand = random.Random(7)
    alphabet = "ab -\t=?:<>,\r\n\x0b\x7f~!"
    for _ in range(3000):
        value = "".join(rand.choice(alphabet) for _ in range(rand.randrange(0, 90)))
        name = rand.choice(["To", "Subject", "X-Baton-Kind"])
        try:
            expected = STOCK.fold_binary(name, value)
        except Exception:
            continue
        assert email_module._WIRE.fold_binary(name, value) == expected, repr(value)


CONTENTS = [
    ("Gita Rao", "[BTN-1A2B3C4D] Invoice charged twice \u2014 yours to handle for finance"),
    ("Dr. A. (Boss) Smith", "[BTN-1A2B3C4D] " + "a rather long subject that goes on " * 4),
    ("Zo\u00eb M\u00fcller", "n1"),
    ("O'Brien, Pat", "plain"),
]


@pytest.mark.parametrize(("name", "subject"), CONTENTS)
def test_a_mail_is_byte_for_byte_what_compat32_writes(monkeypatch, name, subject):
    monkeypatch.setattr(email_module, "formatdate", lambda usegmt: "Tue, 01 Dec 2026 09:00:00 GMT")
    monkeypatch.setattr(email_module, "make_msgid", lambda domain: f"<1.2.3@{domain}>")
    content = {
        "to": f"{name} <p@example.com>",
        "subject": subject,
        "text": "Hello,\n\nplease look: caf\u00e9.\n" + "long " * 40,
        "html": "<p>Hello</p>",
        "headers": {"X-Baton-Issue": "5f7c3c1e-0000", "X-Baton-Event": "e-1", "X-Baton-Kind": "x"},
    }
    settings = Settings(mail_from="Baton Desk <baton@example.com>")
    random.seed(11)
    ours = mail(content, settings=settings)
    monkeypatch.setattr(email_module, "_WIRE", STOCK)
    random.seed(11)
    theirs = mail(content, settings=settings)
    assert isinstance(ours, Raw) and isinstance(theirs, Raw)
    assert ours.data == theirs.data
    # The boundary is one the standard library's generator would have picked.
    assert re.search(rb'boundary="={15}\d{19}=="', ours.data)
