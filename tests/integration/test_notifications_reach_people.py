"""Notifications over the running stack: the right people, on their channels,
through failing receivers, and never twice; two dispatchers on one PostgreSQL."""

import asyncio
import json
import uuid
from datetime import UTC, datetime

import pytest
from baton_contracts import Envelope, HandoffRequested, OwnerAssigned, Person, parse_event
from baton_contracts.topics import ISSUES_OWNERSHIP, NOTIFICATIONS_DELIVERIES
from baton_notifications.deliveries import dispatcher
from baton_notifications.deliveries.models import Delivery
from baton_notifications.senders import signing
from baton_notifications.settings import Settings
from baton_runtime import migrations
from baton_runtime.db import Database
from sqlmodel import select

from conftest import running_http_receiver, running_smtp_server, text_of
from tests.integration.conftest import WEBHOOK_SECRET, eventually, read_topic
from tests.integration.test_issue_journey import mails_about

pytestmark = pytest.mark.integration
MIGRATIONS = dispatcher.__file__.rsplit("/deliveries/", 1)[0] + "/migrations"


def someone() -> Person:
    n = uuid.uuid4().hex[:8]
    return Person(id=f"it-{n}", name=f"Test {n}", email=f"test-{n}@example.com")


def assigned(person: Person) -> Envelope:
    return Envelope.wrap(
        source="/tests",
        data=OwnerAssigned(
            issue_id=str(uuid.uuid4()), department="it", owner=person, assigned_at=datetime.now(UTC)
        ),
    )


async def deliveries_of(stack, http, issue_id):
    url = f"{stack.url('notifications')}/v1/deliveries"
    return (await http.get(url, params={"issue_id": issue_id})).json()


async def settled(stack, http, issue_id, count=1):
    async def probe():
        rows = await deliveries_of(stack, http, issue_id)
        done = [r for r in rows if r["status"] != "pending"]
        return rows if len(rows) == count and len(done) == count else None

    return await eventually(probe, what=f"deliveries about {issue_id} to settle")


async def prefer(stack, http, person, body):
    url = f"{stack.url('notifications')}/v1/recipients/{person.id}/preferences"
    answer = await http.put(url, json=body, headers=stack.as_(person.id))
    assert answer.status_code == 200, answer.text


async def test_a_handoff_to_operations_reaches_its_liaisons_from_the_catalog(stack, http, producer):
    issue_id = str(uuid.uuid4())
    event = Envelope.wrap(
        source="/tests",
        data=HandoffRequested(
            issue_id=issue_id,
            department="finance",
            owner_id="fin-gita",
            actor_id="fin-gita",
            version=2,
            at=datetime.now(UTC),
            handoff_id=1,
            to_department="operations",
            reason="a parcel went missing",
        ),
    )
    await producer.publish(stack.topic(ISSUES_OWNERSHIP), event)
    for address in ("ana.ortega@example.com", "ben.okafor@example.com"):
        [mail] = await mails_about(stack, issue_id, address)
        assert "a parcel went missing" in text_of(mail)
    rows = await settled(stack, http, issue_id, count=2)
    assert {(r["recipient_id"], r["kind"]) for r in rows} == {
        ("ops-ana", "handoff_requested"),
        ("ops-ben", "handoff_requested"),
    }


async def test_a_webhook_that_fails_twice_then_succeeds_gets_one_signed_message(
    stack, http, producer
):
    person = someone()
    with running_http_receiver() as receiver:
        receiver.fail_next(500, 503)
        await prefer(
            stack,
            http,
            person,
            {"channels": {"assigned": ["webhook"]}, "webhook_url": receiver.url},
        )
        event = assigned(person)
        await producer.publish(stack.topic(ISSUES_OWNERSHIP), event)
        await producer.publish(stack.topic(ISSUES_OWNERSHIP), event)  # and a redelivery
        [row] = await settled(stack, http, event.subject)
        await asyncio.sleep(1)  # room for a wrongful second message
        assert (row["status"], row["attempts"], row["channel"]) == ("sent", 3, "webhook")
        [(headers, body)] = receiver.received
        assert signing.verify(body, headers[signing.HEADER], secret=WEBHOOK_SECRET)
        assert json.loads(body)["event_id"] == event.id


async def test_an_unreachable_webhook_fails_loudly_and_escalates_only_whom_nothing_reached(
    stack, http, producer
):
    reached, unreached = someone(), someone()
    with running_http_receiver() as receiver:
        receiver.always_fail = True
        await prefer(
            stack,
            http,
            reached,
            {"channels": {"assigned": ["webhook", "email"]}, "webhook_url": receiver.url},
        )
        only_webhook = {"channels": {"assigned": ["webhook"]}, "webhook_url": receiver.url}
        await prefer(stack, http, unreached, only_webhook)
        first = assigned(reached)
        await producer.publish(stack.topic(ISSUES_OWNERSHIP), first)
        rows = await settled(stack, http, first.subject, count=2)
        # Published once the first settled: its DeliveryFailed comes after any of the first's.
        second = assigned(unreached)
        await producer.publish(stack.topic(ISSUES_OWNERSHIP), second)
        [only] = await settled(stack, http, second.subject)
    by_channel = {r["channel"]: r for r in rows}
    assert (by_channel["webhook"]["status"], by_channel["webhook"]["attempts"]) == ("failed", 4)
    assert by_channel["webhook"]["last_error"] == "webhook answered 500"
    assert (by_channel["email"]["status"], by_channel["email"]["attempts"]) == ("sent", 1)
    assert len(await mails_about(stack, first.subject, reached.email)) == 1

    async def published():
        records = await read_topic(stack.kafka, stack.topic(NOTIFICATIONS_DELIVERIES))
        found = [parse_event(r.value).data for r in records]
        return found if any(f.issue_id == second.subject for f in found) else None

    found = await eventually(published, what="DeliveryFailed on notifications.deliveries")
    # The email reached the first person: nothing for ownership to escalate.
    assert [f for f in found if f.issue_id == first.subject] == []
    [failed] = [f for f in found if f.issue_id == second.subject]
    assert (failed.recipient_id, failed.channel, failed.attempts) == (unreached.id, "webhook", 4)
    assert failed.delivery_id == only["id"]


async def test_two_dispatchers_on_one_postgresql_send_each_delivery_once(infra):
    schema = f"two_{uuid.uuid4().hex[:8]}"
    with running_smtp_server() as inbox:
        settings = Settings(
            database_url=infra.database_url,
            database_schema=schema,
            smtp_port=inbox.port,
            delivery_batch=5,
        )
        await asyncio.to_thread(migrations.upgrade, MIGRATIONS, settings.database_url, schema)
        replicas = [Database(settings.database_url, schema=schema) for _ in range(2)]
        try:
            async with replicas[0].transaction() as session:
                for n in range(30):
                    session.add(
                        Delivery(
                            event_id=f"e{n}",
                            event_type="t",
                            issue_id=f"issue-{n}",
                            recipient_id="p",
                            address="p@example.com",
                            channel="email",
                            next_attempt_at=datetime.now(UTC),
                            content=json.dumps(
                                {
                                    "to": "p@example.com",
                                    "subject": f"n{n}",
                                    "text": f"issue-{n}",
                                    "html": "<p></p>",
                                }
                            ),
                        )
                    )

            async def drain(db):
                while await dispatcher.dispatch_due(db=db, settings=settings):
                    pass

            await asyncio.gather(*(drain(db) for db in replicas))
            async with replicas[0].session() as session:
                rows = (await session.exec(select(Delivery))).all()
        finally:
            for db in replicas:
                await db.dispose()
    assert sorted(m["Subject"] for m in inbox.messages) == sorted(f"n{n}" for n in range(30))
    assert {(r.status, r.attempts) for r in rows} == {("sent", 1)}
