"""The mailer keeps SMTP connections open and reuses them, against a real aiosmtpd
server that counts the connections it is given."""

import asyncio
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import parsedate_to_datetime

import pytest
from aiosmtplib.email import flatten_message
from baton_notifications.senders.email import Mailer, mail
from baton_notifications.senders.errors import DeliveryError
from baton_notifications.settings import Settings
from baton_runtime import mime
from baton_runtime.smtp import Raw

from conftest import subject_of, text_of


def message(content: dict[str, str], *, settings: Settings) -> EmailMessage:
    """The same notice as the standard library's ``EmailMessage`` builds it."""
    return mime.reference(
        mail_from=settings.mail_from, to=content["to"], subject=content["subject"],
        text=content["text"], html=content["html"], headers=content.get("headers", {}),
    )  # fmt: skip


def content(n: int) -> dict[str, str]:
    return {"to": f"p{n}@example.com", "subject": f"n{n}", "text": "t", "html": "<p>t</p>"}


async def test_many_messages_share_one_connection(smtp_server):
    inbox = smtp_server
    mailer = Mailer(Settings(smtp_port=inbox.port, smtp_connections=1))
    try:
        for n in range(5):
            await mailer.send(content(n))
    finally:
        await mailer.close()
    assert sorted(m["Subject"] for m in inbox.messages) == [f"n{n}" for n in range(5)]
    assert inbox.connections == 1


async def test_concurrent_sends_open_at_most_the_configured_connections(smtp_server):
    inbox = smtp_server
    mailer = Mailer(Settings(smtp_port=inbox.port, smtp_connections=3))
    try:
        await asyncio.gather(*(mailer.send(content(n)) for n in range(12)))
    finally:
        await mailer.close()
    assert len(inbox.messages) == 12
    assert 1 <= inbox.connections <= 3


async def test_a_connection_lost_while_idle_is_replaced_and_the_message_still_goes(
    smtp_server,
):
    inbox = smtp_server
    mailer = Mailer(Settings(smtp_port=inbox.port, smtp_connections=1))
    try:
        await mailer.send(content(1))
        for smtp in mailer._idle:
            smtp.close()  # as when the server drops a connection it found idle too long
        await mailer.send(content(2))
    finally:
        await mailer.close()
    assert [m["Subject"] for m in inbox.messages] == ["n1", "n2"]
    assert inbox.connections == 2


async def test_a_refused_message_does_not_cost_the_connection(smtp_server):
    inbox = smtp_server
    mailer = Mailer(Settings(smtp_port=inbox.port, smtp_connections=1))
    inbox.refuse_next("550 5.1.1 no such user")
    try:
        with pytest.raises(DeliveryError) as refused:
            await mailer.send(content(1))
        await mailer.send(content(2))
    finally:
        await mailer.close()
    assert refused.value.permanent
    assert [m["Subject"] for m in inbox.messages] == ["n2"]
    assert inbox.connections == 1


# What the mailer writes itself must read as the standard library's message did.
NAMES = ["Gita Rao", "Zoë Müller-Øster", "Dr. A. (Boss) Smith", "Ἀριστοτέλης Νικομάχου " * 4]
SUBJECTS = [
    "n1",
    "[BTN-1A2B3C4D] Invoice charged twice — yours to handle for finance",
    "[BTN-1A2B3C4D] " + "a rather long subject that goes on " * 4,
    "[BTN-1A2B3C4D] Rechnung doppelt abgebucht \u2013 bitte prüfen — Ihnen zugewiesen (Kasse)",
    "[BTN-1A2B3C4D] 請求が二重に計上されました " * 3,
]
TEXTS = [
    "",
    "t",
    "Hello Gita,\n\nplease look.\n-- Baton\n",
    "Hallo Zoë,\r\nbitte prüfen: 5 = 5 \n\n.a line with a dot\nFrom here on  \n" + "long " * 60,
    "emoji 🧾 and\u2028a line separator kept as it is\n",
]


def parsed(data: bytes) -> EmailMessage:
    return message_from_bytes(data, policy=policy.default)  # type: ignore[return-value]


def read(msg: EmailMessage) -> dict[str, object]:
    plain, html = (msg.get_body((kind,)) for kind in ("plain", "html"))
    return {
        "from": [(a.display_name, a.addr_spec) for a in msg["From"].addresses],
        "to": [(a.display_name, a.addr_spec) for a in msg["To"].addresses],
        "subject": str(msg["Subject"]),
        "baton": {k: v for k, v in msg.items() if k.startswith("X-Baton")},
        "type": msg.get_content_type(),
        "plain": (plain.get_content_charset(), plain.get_content()),
        "html": (html.get_content_charset(), html.get_content()),
    }


@pytest.mark.parametrize("n", range(len(TEXTS)))
@pytest.mark.parametrize("name", NAMES)
def test_a_mail_reads_as_the_standard_librarys_message(name, n):
    settings = Settings(mail_from="Baton Desk <baton@example.com>")
    content = {
        "to": f"{name} <p{n}@example.com>",
        "subject": SUBJECTS[n],
        "text": TEXTS[n],
        "html": f"<p>{TEXTS[n]}</p>",
        "headers": {"X-Baton-Issue": "5f7c3c1e", "X-Baton-Event": "e-1", "X-Baton-Kind": "x"},
    }
    made = mail(content, settings=settings)
    assert isinstance(made, Raw)
    assert (made.sender, made.recipients) == ("baton@example.com", [f"p{n}@example.com"])
    assert made.data.isascii()  # 7-bit: no server need take 8BITMIME or SMTPUTF8
    lines = made.data.split(b"\r\n")
    assert max(len(line) for line in lines) <= 78, max(lines, key=len)
    assert b"\n" not in made.data.replace(b"\r\n", b"")
    reference = flatten_message(message(content, settings=settings))
    ours, theirs = read(parsed(made.data)), read(parsed(reference))
    # The standard library loses a space between two encoded words of a subject
    # ("bitte prüfen" read back as "bitteprüfen"), and read a name's "(Boss)" as a
    # comment, not shown: ours are read back as they were. (Its address parser also
    # reads the line break between two encoded words of a long name as a space,
    # which RFC 2047 says to drop, as its ``decode_header`` does.)
    assert ours.pop("subject") == SUBJECTS[n]
    to = ours.pop("to")
    if name.isascii():
        assert to == [(name, f"p{n}@example.com")]
    raw_to = message_from_bytes(made.data)["To"]
    assert str(make_header(decode_header(raw_to))).endswith(f"<p{n}@example.com>")
    if not name.isascii():
        assert str(make_header(decode_header(raw_to))) == f"{name.strip()} <p{n}@example.com>"
    theirs.pop("subject"), theirs.pop("to")
    assert ours == theirs
    plain = ours["plain"][1].replace("\r\n", "\n")  # type: ignore[index]
    assert plain == TEXTS[n].replace("\r\n", "\n").rstrip("\n") + "\n"


def test_a_name_with_a_comma_is_one_recipient():
    """``content.build`` writes the name unquoted; the standard library read
    ``O'Brien, Pat <a@x>`` as two addresses, and sent to "O'Brien" too."""
    content = {"to": "O'Brien, Pat <pat@example.com>", "subject": "s", "text": "t", "html": "h"}
    made = mail(content, settings=Settings())
    assert isinstance(made, Raw) and made.recipients == ["pat@example.com"]
    assert read(parsed(made.data))["to"] == [("O'Brien, Pat", "pat@example.com")]


def test_a_line_break_in_a_subject_does_not_start_a_header():
    content = {"to": "a@example.com", "subject": "one\r\nBcc: b@example.com", "text": "t",
               "html": "h"}  # fmt: skip
    made = mail(content, settings=Settings())
    msg = parsed(made.data)  # type: ignore[union-attr]
    assert (str(msg["Subject"]), msg["Bcc"]) == ("one Bcc: b@example.com", None)


def test_an_address_that_is_not_ascii_is_left_to_the_standard_library():
    content = {"to": "Zoë <zoë@example.com>", "subject": "s", "text": "t", "html": "h"}
    assert isinstance(mail(content, settings=Settings()), EmailMessage)


def test_a_line_break_in_a_name_or_an_address_does_not_start_a_header():
    content = {"to": "Pat\r\nBcc: b@example.com <pat@example.com>", "subject": "s",
               "text": "t", "html": "h"}  # fmt: skip
    made = mail(content, settings=Settings())
    assert isinstance(made, Raw) and parsed(made.data)["Bcc"] is None
    assert read(parsed(made.data))["to"] == [("Pat Bcc: b@example.com", "pat@example.com")]
    content["to"] = "Pat <pat@example.com\r\nBcc: b@example.com>"
    with pytest.raises(ValueError):  # as the standard library refused it before
        mail(content, settings=Settings())


async def test_a_mail_built_for_the_wire_arrives_as_built(smtp_server):
    content = {"to": "Zoë Müller <z@example.com>", "subject": SUBJECTS[3], "text": TEXTS[3],
               "html": "<p>prüfen</p>"}  # fmt: skip
    mailer = Mailer(Settings(smtp_port=smtp_server.port))
    try:
        await mailer.send(content)
    finally:
        await mailer.close()
    [received] = smtp_server.to("z@example.com")
    assert subject_of(received) == SUBJECTS[3]
    assert text_of(received) == TEXTS[3].replace("\r\n", "\n") + "\n"  # ends its last line


@pytest.mark.parametrize("to", ["Gita Rao <gita@example.com>", "Gita Rao <gíta@exämple.com>"])
async def test_every_notice_says_when_which_and_that_a_machine_sent_it(smtp_server, to):
    """Date and Message-ID (RFC 5322), and Auto-Submitted (RFC 3834): an
    out-of-office reply must not answer a notice. Both ways of building a mail."""
    mailer = Mailer(Settings(smtp_port=smtp_server.port, mail_from="Baton <baton@example.com>"))
    try:
        for n in range(2):
            await mailer.send(content(n) | {"to": to})
    finally:
        await mailer.close()
    received = smtp_server.messages[-2:]
    assert [m["Auto-Submitted"] for m in received] == ["auto-generated"] * 2
    assert all(parsedate_to_datetime(m["Date"]).tzinfo is not None for m in received)
    ids = [m["Message-ID"] for m in received]
    assert len(set(ids)) == 2 and all(i.endswith("@example.com>") for i in ids)
