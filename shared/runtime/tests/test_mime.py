"""``mime.compose`` writes a header that is plain ASCII and fits on its line as it
is, and picks the multipart boundary itself: what it writes must be byte for byte
what the standard library's compat32 folding and generator make."""

import random
import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.policy import compat32

import pytest
from aiosmtplib.email import flatten_message
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


def _read(msg) -> dict[str, object]:
    plain, html = (msg.get_body((kind,)) for kind in ("plain", "html"))
    return {
        "from": [(a.display_name, a.addr_spec) for a in msg["From"].addresses],
        "to": [(a.display_name, a.addr_spec) for a in msg["To"].addresses],
        "subject": str(msg["Subject"]),
        "headers": {k: str(v) for k, v in msg.items() if k not in ("From", "To", "Subject")
                    and not k.startswith(("Content-", "MIME-"))},
        "type": msg.get_content_type(),
        "plain": plain.get_content().replace("\r\n", "\n"),
        "html": html.get_content().replace("\r\n", "\n"),
    }  # fmt: skip


THREAD = {
    "Date": "Wed, 02 Dec 2026 09:00:00 GMT",
    "Message-ID": "<baton.t9@shop.example>",
    "In-Reply-To": "<m1@mail.example>",
    "References": "<m1@mail.example> " + " ".join(f"<baton.t{i}@shop.example>" for i in range(6)),
    "Content-Language": "de",
    "Auto-Submitted": "auto-replied",
}


@pytest.mark.parametrize(
    ("name", "subject"),
    [("", "Re: [BTN-1A2B3C4D] Bestellung fehlt \u2013 wir kümmern uns"), *CONTENTS],
)
def test_a_mail_reads_back_as_the_standard_librarys_message(name, subject):
    parts = {
        "mail_from": "Kundendienst Müller <support@shop.example>",
        "to": f"{name} <p@example.com>" if name else "p@example.com",
        "subject": subject,
        "text": "Guten Tag,\n\nFinanzen löst es.\n",
        "html": "<p>Guten Tag</p>",
        "headers": THREAD,
    }
    made = mime.compose(**parts)
    assert isinstance(made, Raw) and made.data.isascii()
    ours = _read(message_from_bytes(made.data, policy=policy.default))
    theirs = _read(message_from_bytes(flatten_message(mime.reference(**parts)),
                                      policy=policy.default))  # fmt: skip
    assert ours["subject"] == subject
    # The standard library reads "(Boss)" in a name as a comment, not shown, and
    # "O'Brien, Pat <p@...>" as two addresses: ours are read back as written.
    if name.isascii():
        assert ours["to"] == [(name, "p@example.com")]
    if not any(c in name for c in "(,"):
        assert ours["to"] == theirs["to"]
    ours.pop("to"), theirs.pop("to")
    assert ours == theirs


@pytest.mark.parametrize("odd", ["<=?utf-8?q?x?=@mail.example>", "<a=?b@mail.example>"])
def test_message_ids_are_written_as_they_are_never_as_encoded_words(odd):
    """A mail client matches a reply's ids against the messages it has: an id
    written as an encoded word would match none, and lose the whole thread."""
    made = mime.compose(
        mail_from="support@shop.example", to="p@example.com", subject="s", text="t", html="h",
        headers={"In-Reply-To": odd, "References": f"<m1@mail.example> {odd} " + "<x@y.z> " * 9},
    )  # fmt: skip
    msg = message_from_bytes(made.data)  # compat32: the header as written, not decoded
    assert msg["In-Reply-To"] == odd
    assert msg["References"].split() == ["<m1@mail.example>", odd, *["<x@y.z>"] * 9]


def test_an_id_that_is_not_ascii_is_left_to_the_standard_library():
    made = mime.compose(
        mail_from="support@shop.example", to="p@example.com", subject="s", text="t", html="h",
        headers={"In-Reply-To": "<ü@mail.example>"},
    )  # fmt: skip
    assert isinstance(made, EmailMessage)


def test_a_line_break_in_a_value_starts_no_header_on_either_path():
    for to in ("p@example.com", "zoë@example.com"):  # composed, and left to the library
        made = mime.compose(
            mail_from="support@shop.example", to=to, subject="s\r\nBcc: b@example.com",
            text="t", html="h", headers={"Content-Language": "de\r\nBcc: c@example.com"},
        )  # fmt: skip
        data = made.data if isinstance(made, Raw) else flatten_message(made)
        msg = message_from_bytes(data, policy=policy.default)
        assert msg["Bcc"] is None
        assert str(msg["Subject"]) == "s Bcc: b@example.com"
