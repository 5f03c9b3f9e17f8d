"""A message a service cannot read goes to ``<topic>.dlq`` with the reason, and
the service carries on with the next good message."""

import uuid
from datetime import UTC, datetime

import pytest
from baton_contracts import Envelope, IssueRouted, OwnerAssigned, Person
from baton_contracts.topics import ISSUES_OWNERSHIP, ISSUES_REPORTED, ISSUES_ROUTED, dlq

from tests.integration.conftest import eventually, read_topic, roster
from tests.integration.test_issue_journey import mails_about, owner_of, report

pytestmark = pytest.mark.integration

GITA = Person(id="fin-gita", name="Gita Rao", email="gita.rao@example.com")
# The real roster: ownership takes a routed issue's as the department's.
FINANCE, FINANCE_HEAD = roster("finance")


async def good_reported(stack, http, producer) -> None:
    issue_id = await report(stack, http, "My invoice is wrong")
    assert (await owner_of(stack, http, issue_id))["department"] == "finance"


async def good_routed(stack, http, producer) -> None:
    issue_id = str(uuid.uuid4())
    event = IssueRouted(
        issue_id=issue_id,
        department="finance",
        rule_id=None,
        reason="test",
        liaisons=FINANCE,
        head=FINANCE_HEAD,
        routed_at=datetime.now(UTC),
    )
    await producer.publish(stack.topic(ISSUES_ROUTED), Envelope.wrap(source="/tests", data=event))
    assert (await owner_of(stack, http, issue_id))["owner"]["id"] in {p.id for p in FINANCE}


async def good_ownership(stack, http, producer) -> None:
    issue_id = str(uuid.uuid4())
    event = OwnerAssigned(
        issue_id=issue_id, department="finance", owner=GITA, assigned_at=datetime.now(UTC)
    )
    await producer.publish(
        stack.topic(ISSUES_OWNERSHIP), Envelope.wrap(source="/tests", data=event)
    )
    await mails_about(stack, issue_id, GITA.email)


@pytest.mark.parametrize(
    ("topic", "then_a_good_one"),
    [
        (ISSUES_REPORTED, good_reported),
        (ISSUES_ROUTED, good_routed),
        (ISSUES_OWNERSHIP, good_ownership),
    ],
)
async def test_a_malformed_message_is_dead_lettered_and_the_next_is_handled(
    stack, http, producer, topic, then_a_good_one
):
    key = f"poison-{uuid.uuid4()}"
    await producer.send_raw(stack.topic(topic), key=key, value=b'{"specversion": "1.0", "oops"')

    await then_a_good_one(stack, http, producer)

    async def dead_letter():
        records = await read_topic(stack.kafka, stack.topic(dlq(topic)))
        return [r for r in records if r.key == key.encode()] or None

    # Each service consuming the topic dead-letters its own copy, and says so
    # (issues.reported is read by routing and by notifications).
    records = await eventually(dead_letter, what=f"the poison message on {dlq(topic)}")
    services = [dict(record.headers)["baton.dlq.service"] for record in records]
    assert len(services) == len(set(services))
    for record in records:
        headers = {k: v.decode() for k, v in record.headers}
        assert headers["baton.dlq.topic"] == stack.topic(topic)
        assert "not a CloudEvents envelope" in headers["baton.dlq.reason"]
        assert headers["baton.dlq.attempts"] == "0"  # unparseable: not retried
        assert record.value == b'{"specversion": "1.0", "oops"'
