"""The mailer keeps SMTP connections open and reuses them, against a real aiosmtpd
server that counts the connections it is given."""

import asyncio

import pytest
from baton_notifications.senders.email import Mailer
from baton_notifications.senders.errors import DeliveryError
from baton_notifications.settings import Settings

from conftest import running_smtp_server


def content(n: int) -> dict[str, str]:
    return {"to": f"p{n}@example.com", "subject": f"n{n}", "text": "t", "html": "<p>t</p>"}


@pytest.fixture
def counted_smtp_server():
    with running_smtp_server() as inbox:
        inbox.connections = 0

        async def handle_EHLO(server, session, envelope, hostname, responses):
            inbox.connections += 1
            session.host_name = hostname
            return responses

        inbox.handle_EHLO = handle_EHLO
        yield inbox


async def test_many_messages_share_one_connection(counted_smtp_server):
    inbox = counted_smtp_server
    mailer = Mailer(Settings(smtp_port=inbox.port, smtp_connections=1))
    try:
        for n in range(5):
            await mailer.send(content(n))
    finally:
        await mailer.close()
    assert sorted(m["Subject"] for m in inbox.messages) == [f"n{n}" for n in range(5)]
    assert inbox.connections == 1


async def test_concurrent_sends_open_at_most_the_configured_connections(counted_smtp_server):
    inbox = counted_smtp_server
    mailer = Mailer(Settings(smtp_port=inbox.port, smtp_connections=3))
    try:
        await asyncio.gather(*(mailer.send(content(n)) for n in range(12)))
    finally:
        await mailer.close()
    assert len(inbox.messages) == 12
    assert 1 <= inbox.connections <= 3


async def test_a_connection_lost_while_idle_is_replaced_and_the_message_still_goes(
    counted_smtp_server,
):
    inbox = counted_smtp_server
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


async def test_a_refused_message_does_not_cost_the_connection(counted_smtp_server):
    inbox = counted_smtp_server
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
