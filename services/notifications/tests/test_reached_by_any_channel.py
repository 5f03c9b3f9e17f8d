"""A ``DeliveryFailed`` (on which ownership escalates) means nobody reached the
person: it is published only once every channel of that notice failed for good,
never while one is still trying, and not at all when one arrived."""

import pytest
from baton_contracts import DeliveryFailed, OwnerAssigned, parse_event
from baton_notifications.deliveries import dispatcher
from baton_notifications.deliveries.handler import on_ownership_event
from baton_notifications.directory.handler import on_department_updated
from baton_notifications.recipients import service as recipients
from baton_notifications.recipients.hours import preferences_and_hours
from baton_notifications.recipients.schemas import PreferencesUpdate
from baton_notifications.senders.errors import DeliveryError

from .helpers import GITA, ISSUE, T0, Clock, dispatch, finance, make_runtime, rows, sealer, wrap
from .helpers import staged_events as staged


@pytest.fixture
async def runtime(smtp_server, tmp_path):
    rt = make_runtime(tmp_path, smtp_port=smtp_server.port, webhook_secret="whsec-0123456789")
    await on_department_updated(finance(), runtime=rt)
    yield rt
    await rt.db.dispose()


async def webhook_and_email(runtime, url: str) -> None:
    async with runtime.db.transaction() as session:
        await recipients.set_preferences(
            session=session,
            sealer=sealer(runtime),
            person_id=GITA.id,
            update=PreferencesUpdate(channels={"assigned": ["webhook", "email"]}, webhook_url=url),
        )


async def assign_gita(runtime, clock: Clock) -> None:
    event = OwnerAssigned(issue_id=ISSUE, department="finance", owner=GITA, assigned_at=T0)
    await on_ownership_event(wrap(event), runtime=runtime, clock=clock)


async def first_pass(runtime, http_receiver, smtp_server, smtp_reply: str | None) -> Clock:
    """Gita chose the webhook and email; the webhook refuses for good (410) and the
    mail server answers ``smtp_reply`` (None: takes the mail). One dispatch."""
    http_receiver.fail_next(410)
    if smtp_reply is not None:
        smtp_server.refuse_next(smtp_reply)
    await webhook_and_email(runtime, http_receiver.url)
    clock = Clock()
    await assign_gita(runtime, clock)
    await dispatch(runtime, clock)  # the two channels settle concurrently
    return clock


async def delivery_failed(runtime) -> list[DeliveryFailed]:
    events = [parse_event(m.payload.encode()).data for m in await staged(runtime)]
    return [e for e in events if isinstance(e, DeliveryFailed)]


async def statuses(runtime) -> dict[str, str]:
    return {r.channel: r.status for r in await rows(runtime)}


async def test_an_email_that_arrived_means_no_delivery_failed_for_the_webhook_that_did_not(
    runtime, http_receiver, smtp_server
):
    await first_pass(runtime, http_receiver, smtp_server, None)
    assert await statuses(runtime) == {"webhook": "failed", "email": "sent"}
    assert len(smtp_server.to(GITA.email)) == 1
    assert await delivery_failed(runtime) == []


async def test_when_every_channel_fails_at_once_exactly_one_delivery_failed_is_published(
    runtime, http_receiver, smtp_server
):
    await first_pass(runtime, http_receiver, smtp_server, "550 5.1.1 no such mailbox")
    assert await statuses(runtime) == {"webhook": "failed", "email": "failed"}
    [failed] = await delivery_failed(runtime)
    assert (failed.recipient_id, failed.kind) == (GITA.id, "assigned")


async def test_a_channel_still_trying_holds_back_the_delivery_failed_until_it_fails_too(
    runtime, http_receiver, smtp_server
):
    clock = await first_pass(runtime, http_receiver, smtp_server, "451 4.3.0 try later")
    assert await statuses(runtime) == {"webhook": "failed", "email": "pending"}
    assert await delivery_failed(runtime) == []
    smtp_server.refuse_next("550 5.1.1 no such mailbox")
    clock.advance(10)
    await dispatch(runtime, clock)
    assert await statuses(runtime) == {"webhook": "failed", "email": "failed"}
    [failed] = await delivery_failed(runtime)
    email = next(r for r in await rows(runtime) if r.channel == "email")
    assert (failed.channel, failed.delivery_id) == ("email", email.id)


async def test_every_channel_failing_in_one_settlement_publishes_exactly_one_delivery_failed(
    runtime, http_receiver
):
    """Both channels' outcomes finished together are settled in one transaction:
    the second sees the first as failed, and only it says nobody was reached."""
    await webhook_and_email(runtime, http_receiver.url)
    clock = Clock()
    await assign_gita(runtime, clock)
    async with runtime.db.transaction() as session:
        claimed = await dispatcher._claim(session, now=clock(), settings=runtime.settings)
        known = await preferences_and_hours(session, [GITA.id])
    assert sorted(r.channel for r in claimed) == ["email", "webhook"]
    settled = await dispatcher._settle(
        runtime.db,
        [(row, DeliveryError(f"{row.channel} refused", permanent=True)) for row in claimed],
        known,
        settings=runtime.settings,
        clock=clock,
        rand=lambda: 1.0,
    )
    assert settled == ["failed", "failed"]
    assert await statuses(runtime) == {"webhook": "failed", "email": "failed"}
    [failed] = await delivery_failed(runtime)
    assert (failed.delivery_id, failed.attempts) == (claimed[-1].id, 1)
    # Settled again (say, by a replica whose lease ran out): superseded, nothing said.
    again = await dispatcher._settle(
        runtime.db, [(claimed[0], None)], known,
        settings=runtime.settings, clock=clock, rand=lambda: 1.0,
    )  # fmt: skip
    assert again == ["superseded"]
    assert len(await delivery_failed(runtime)) == 1
