"""``mime.compose`` writes a header that is plain ASCII and fits on its line as it
is, and picks the multipart boundary itself: what it writes must be byte for byte
what the standard library's compat32 folding and generator make."""

import random
import re
from email.policy import compat32

import pytest
from baton_runtime import mime
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
            mime._WIRE.fold_binary(name, value)
        return
    assert mime._WIRE.fold_binary(name, value) == expected


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
        assert mime._WIRE.fold_binary(name, value) == expected, repr(value)


CONTENTS = [
    ("Gita Rao", "[BTN-1A2B3C4D] Invoice charged twice \u2014 yours to handle for finance"),
    ("Dr. A. (Boss) Smith", "[BTN-1A2B3C4D] " + "a rather long subject that goes on " * 4),
    ("Zo\u00eb M\u00fcller", "n1"),
    ("O'Brien, Pat", "plain"),
]


@pytest.mark.parametrize(("name", "subject"), CONTENTS)
def test_a_mail_is_byte_for_byte_what_compat32_writes(monkeypatch, name, subject):
    parts = {
        "mail_from": "Baton Desk <baton@example.com>",
        "to": f"{name} <p@example.com>",
        "subject": subject,
        "text": "Hello,\n\nplease look: caf\u00e9.\n" + "long " * 40,
        "html": "<p>Hello</p>",
        "headers": {
            "Date": "Tue, 01 Dec 2026 09:00:00 GMT",
            "Message-ID": "<1.2.3@example.com>",
            "X-Baton-Issue": "5f7c3c1e-0000",
            "References": "<a.1@example.com> <b.2@example.com> " + "<c.3@example.com> " * 4,
        },
    }
    random.seed(11)
    ours = mime.compose(**parts)
    monkeypatch.setattr(mime, "_WIRE", STOCK)
    random.seed(11)
    theirs = mime.compose(**parts)
    assert isinstance(ours, Raw) and isinstance(theirs, Raw)
    assert ours.data == theirs.data
    # The boundary is one the standard library's generator would have picked.
    assert re.search(rb'boundary="={15}\d{19}=="', ours.data)
