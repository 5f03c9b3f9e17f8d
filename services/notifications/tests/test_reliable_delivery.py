"""Against a real SMTP server (aiosmtpd) and a real HTTP receiver: retries with
backoff on an injectable clock, permanent failures, timeouts, and signatures."""

import asyncio
import json
import time
from datetime import timedelta

import pytest
from baton_contracts import DeliveryFailed, DeliverySent, OwnerAssigned, parse_event
from baton_notifications.deliveries.handler import on_ownership_event
from baton_notifications.deliveries.marking import backoff_s
from baton_notifications.directory.handler import on_department_updated
from baton_notifications.recipients import service as recipients
from baton_notifications.recipients.schemas import PreferencesUpdate
from baton_notifications.senders import signing
from baton_notifications.settings import Settings

from .helpers import (
    GITA,
    ISSUE,
    OLGA,
    OMAR,
    T0,
    Clock,
    dispatch,
    finance,
    make_runtime,
    operations,
    rows,
    sealer,
    staged_events,
    wrap,
)

SECRET = "whsec-test-0123456789"


@pytest.fixture
async def runtime(smtp_server, tmp_path):
    rt = make_runtime(tmp_path, smtp_port=smtp_server.port, webhook_secret=SECRET)
    await on_department_updated(operations(), runtime=rt)
    await on_department_updated(finance(), runtime=rt)
    yield rt
    await rt.db.dispose()


def assigned(person=GITA):
    return wrap(OwnerAssigned(issue_id=ISSUE, department="finance", owner=person, assigned_at=T0))


async def wants_webhook(runtime, url, person=GITA, secret=None):
    async with runtime.db.transaction() as session:
        await recipients.set_preferences(
            session=session,
            sealer=sealer(runtime),
            person_id=person.id,
            update=PreferencesUpdate(
                channels={"assigned": ["webhook"]}, webhook_url=url, webhook_secret=secret
            ),
        )


def failed_events(staged):
    events = [parse_event(m.payload.encode()).data for m in staged]
    return [e for e in events if isinstance(e, DeliveryFailed)]


async def test_an_smtp_451_waits_out_its_backoff_then_arrives_once(runtime, smtp_server):
    smtp_server.refuse_next("451 4.3.0 mailbox busy")
    clock = Clock()
    await on_ownership_event(assigned(), runtime=runtime, clock=clock)
    await dispatch(runtime, clock)
    [row] = await rows(runtime)
    assert (row.status, row.attempts) == ("pending", 1) and "451" in row.last_error
    assert await dispatch(runtime, clock) == 0  # not due before its backoff
    clock.advance(10)
    await dispatch(runtime, clock)
    [row] = await rows(runtime)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert len(smtp_server.messages) == 1


async def test_a_sent_notice_is_said_on_the_deliveries_topic_without_its_address(
    runtime, smtp_server
):
    clock = Clock()
    await on_ownership_event(assigned(), runtime=runtime, clock=clock)
    await dispatch(runtime, clock)
    [row] = await rows(runtime)
    [staged] = await staged_events(runtime)
    sent = parse_event(staged.payload.encode()).data
    assert isinstance(sent, DeliverySent)
    assert (sent.delivery_id, sent.recipient_id, sent.channel, sent.kind, sent.attempts) == (
        row.id,
        GITA.id,
        "email",
        "assigned",
        1,
    )
    assert GITA.email not in staged.payload


async def test_backoff_doubles_each_attempt(runtime, smtp_server):
    for _ in range(2):
        smtp_server.refuse_next("421 4.7.0 try later")
    clock = Clock()
    await on_ownership_event(assigned(), runtime=runtime, clock=clock)
    await dispatch(runtime, clock)
    clock.advance(10)
    await dispatch(runtime, clock)
    [row] = await rows(runtime)
    assert row.attempts == 2
    assert row.next_attempt_at == clock.now + timedelta(seconds=20)


async def test_an_smtp_550_fails_at_once_and_says_why(runtime, smtp_server):
    clock = Clock()
    smtp_server.refuse_next("550 5.1.1 no such mailbox")
    await on_ownership_event(assigned(), runtime=runtime, clock=clock)
    await dispatch(runtime, clock)
    [row] = await rows(runtime)
    assert (row.status, row.attempts) == ("failed", 1) and "550" in row.last_error
    [event] = failed_events(await staged_events(runtime))
    assert (event.recipient_id, event.channel, event.attempts) == (GITA.id, "email", 1)
    assert event.kind == "assigned" and "550" in event.reason


async def test_a_receiver_that_fails_twice_then_succeeds_gets_one_signed_message(
    runtime, http_receiver
):
    http_receiver.fail_next(503, 500)
    await wants_webhook(runtime, http_receiver.url)
    clock = Clock()
    await on_ownership_event(assigned(), runtime=runtime, clock=clock)
    for wait in (0, 10, 20):
        clock.advance(wait)
        await dispatch(runtime, clock)
    [row] = await rows(runtime)
    assert (row.status, row.attempts, row.channel) == ("sent", 3, "webhook")
    [(headers, body)] = http_receiver.received
    assert signing.verify(body, headers[signing.HEADER], secret=SECRET)
    assert json.loads(body)["kind"] == "assigned" and json.loads(body)["issue_id"] == ISSUE


async def test_a_receiver_that_always_fails_is_marked_failed_and_others_still_arrive(
    runtime, http_receiver, smtp_server
):
    http_receiver.always_fail = True
    await wants_webhook(runtime, http_receiver.url)
    clock = Clock()
    await on_ownership_event(assigned(), runtime=runtime, clock=clock)  # Gita: webhook only
    await on_ownership_event(assigned(OMAR), runtime=runtime, clock=clock)  # Omar: email
    for wait in (0, 10, 20, 40):
        clock.advance(wait)
        await dispatch(runtime, clock)
    webhook, mail = await rows(runtime)
    assert (webhook.status, webhook.attempts) == ("failed", 3)
    assert webhook.last_error == "webhook answered 500"
    assert (mail.status, mail.attempts) == ("sent", 1)
    assert http_receiver.requests == 3
    [event] = failed_events(await staged_events(runtime))
    assert (event.recipient_id, event.channel, event.delivery_id) == (
        GITA.id,
        "webhook",
        webhook.id,
    )


async def test_a_webhook_4xx_is_not_retried(runtime, http_receiver):
    clock = Clock()
    http_receiver.fail_next(410)
    await wants_webhook(runtime, http_receiver.url)
    await on_ownership_event(assigned(), runtime=runtime, clock=clock)
    await dispatch(runtime, clock)
    [row] = await rows(runtime)
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "webhook answered 410")


async def test_a_receiver_that_times_out_is_retried(runtime, http_receiver):
    clock = Clock()
    http_receiver.delay_s = 1.5  # the runtime's webhook timeout is 1 s
    await wants_webhook(runtime, http_receiver.url)
    await on_ownership_event(assigned(), runtime=runtime, clock=clock)
    await dispatch(runtime, clock)
    [row] = await rows(runtime)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error == "webhook timeout after 1.0s"


async def test_a_failing_webhook_does_not_hold_back_an_email_due_in_the_same_pass(
    runtime, http_receiver, smtp_server
):
    clock = Clock()
    http_receiver.always_fail = True
    await wants_webhook(runtime, http_receiver.url)
    await on_ownership_event(assigned(), runtime=runtime, clock=clock)
    await on_ownership_event(assigned(OMAR), runtime=runtime, clock=clock)
    assert await dispatch(runtime, clock) == 2
    assert [r.status for r in await rows(runtime)] == ["pending", "sent"]
    assert len(smtp_server.to(OMAR.email)) == 1


async def test_a_recipients_own_secret_signs_their_webhooks(runtime, http_receiver):
    clock = Clock()
    await wants_webhook(runtime, http_receiver.url, secret="their-own-secret-42")
    await on_ownership_event(assigned(), runtime=runtime, clock=clock)
    await dispatch(runtime, clock)
    [(headers, body)] = http_receiver.received
    assert signing.verify(body, headers[signing.HEADER], secret="their-own-secret-42")
    assert not signing.verify(body, headers[signing.HEADER], secret=SECRET)


async def test_a_slack_webhook_gets_text_and_blocks(runtime, http_receiver):
    clock = Clock()
    async with runtime.db.transaction() as session:
        await recipients.set_preferences(
            session=session,
            sealer=sealer(runtime),
            person_id=GITA.id,
            update=PreferencesUpdate(
                channels={"assigned": ["slack"]}, slack_webhook_url=http_receiver.url
            ),
        )
    await on_ownership_event(assigned(), runtime=runtime, clock=clock)
    await dispatch(runtime, clock)
    [(headers, body)] = http_receiver.received
    payload = json.loads(body)
    assert payload["text"].startswith("[BTN-5F7C3C1E] yours to handle for finance")
    assert f"/v1/issues/{ISSUE}|Open the issue>" in payload["text"]
    header, ask, facts, actions = payload["blocks"]
    assert (header["type"], ask["type"], facts["type"]) == ("header", "section", "section")
    assert "*Reference*\nBTN-5F7C3C1E" in [f["text"] for f in facts["fields"]]
    [button] = actions["elements"]
    assert button["url"].endswith(f"/v1/issues/{ISSUE}")
    assert signing.HEADER not in headers


def test_a_receiver_verifies_the_signature_and_rejects_tampering_and_replays():
    body = b'{"kind":"assigned","issue_id":"x"}'
    now = int(time.time())
    header = signing.sign(body, secret=SECRET, timestamp=now)
    assert signing.verify(body, header, secret=SECRET)
    assert not signing.verify(body.replace(b"x", b"y"), header, secret=SECRET)
    assert not signing.verify(body, header, secret="another-secret")
    old = signing.sign(body, secret=SECRET, timestamp=now - 301)
    assert not signing.verify(body, old, secret=SECRET)
    assert not signing.verify(body, "t=abc,v1=00", secret=SECRET)


async def test_an_smtp_server_that_stalls_is_a_timeout_retried_later(runtime, smtp_server):
    smtp_server.stall_s = 1.5  # the runtime's SMTP timeout is 1 s
    clock = Clock()
    await on_ownership_event(assigned(), runtime=runtime, clock=clock)
    await dispatch(runtime, clock)
    [row] = await rows(runtime)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "SMTP timeout after 1.0s")
    smtp_server.stall_s = 0
    clock.advance(10)
    await dispatch(runtime, clock)
    assert [r.status for r in await rows(runtime)] == ["sent"]
    assert len(smtp_server.messages) == 1


def test_backoff_is_exponential_capped_and_at_least_half_jittered():
    settings = Settings(delivery_backoff_base_s=2, delivery_backoff_max_s=60)
    low = [backoff_s(n, settings=settings, rand=lambda: 0.0) for n in range(1, 8)]
    high = [backoff_s(n, settings=settings, rand=lambda: 1.0) for n in range(1, 8)]
    assert high == [2, 4, 8, 16, 32, 60, 60]
    assert low == [h / 2 for h in high]


def test_every_send_must_end_well_within_the_lease():
    with pytest.raises(ValueError, match="at most half of BATON_DELIVERY_LEASE_S"):
        Settings(delivery_lease_s=120, delivery_send_timeout_s=61)
    for name in ("webhook_timeout_s", "smtp_timeout_s"):
        with pytest.raises(ValueError, match=f"BATON_{name.upper()}"):
            Settings(delivery_send_timeout_s=30, **{name: 31})
    assert Settings().delivery_send_timeout_s <= Settings().delivery_lease_s / 2


async def test_sends_queued_behind_a_slow_mail_server_are_cut_off_by_the_send_timeout(
    smtp_server, tmp_path
):
    # One SMTP connection, and a server taking 1.5 s to refuse each message: the
    # second and third wait their turn and are cut off at 2.2 s, to be tried later
    # (margins of 0.7 s and 0.8 s either way, for a busy machine).
    runtime = make_runtime(
        tmp_path,
        smtp_port=smtp_server.port,
        smtp_connections=1,
        delivery_send_timeout_s=2.2,
        delivery_lease_s=5,
        smtp_timeout_s=2.2,  # the server's slowness is the dispatcher's to cut off
    )
    await on_department_updated(operations(), runtime=runtime)
    await on_department_updated(finance(), runtime=runtime)
    smtp_server.stall_s = 1.5
    clock = Clock()
    for person in (GITA, OMAR, OLGA):
        await on_ownership_event(assigned(person), runtime=runtime, clock=clock)
    await dispatch(runtime, clock)
    errors = sorted(r.last_error for r in await rows(runtime))
    await runtime.db.dispose()
    assert errors == [
        "SMTP answered 451 (server error, try again later)",
        "email not sent within 2.2s",
        "email not sent within 2.2s",
    ]


async def test_a_fast_email_is_settled_while_a_slow_webhook_in_the_same_pass_is_in_flight(
    http_receiver, smtp_server, tmp_path
):
    # The webhook's receiver takes 1.5 s to answer, well within its 3 s timeout.
    runtime = make_runtime(
        tmp_path, smtp_port=smtp_server.port, webhook_secret=SECRET, webhook_timeout_s=3
    )
    await on_department_updated(operations(), runtime=runtime)
    await on_department_updated(finance(), runtime=runtime)
    http_receiver.delay_s = 1.5
    await wants_webhook(runtime, http_receiver.url)
    clock = Clock()
    await on_ownership_event(assigned(), runtime=runtime, clock=clock)  # Gita: webhook
    await on_ownership_event(assigned(OMAR), runtime=runtime, clock=clock)  # Omar: email
    dispatching = asyncio.create_task(dispatch(runtime, clock))
    try:
        while not dispatching.done():
            webhook, mail = await rows(runtime)
            if mail.status == "sent":
                break
            await asyncio.sleep(0.02)
        # The email's row is settled while the webhook's request is still open:
        # received by the receiver, not yet answered, its row not yet settled.
        assert (mail.status, mail.attempts) == ("sent", 1)
        assert not dispatching.done()
        assert (http_receiver.requests, http_receiver.received) == (1, [])
        assert (webhook.status, webhook.attempts, webhook.last_error) == ("pending", 1, None)
        assert await dispatching == 2
        webhook, mail = await rows(runtime)
        assert (webhook.status, mail.status) == ("sent", "sent")
    finally:
        await dispatching
        await runtime.db.dispose()
