"""The DLQ tool an SRE uses once a cause is fixed: list shows where each dead
letter came from and why; replay sends it back, and ownership then handles it;
a second replay sends nothing again; a malformed message is passed over."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import pytest
from baton_contracts import Envelope, IssueRouted
from baton_contracts.topics import ISSUES_ROUTED, dlq

from tests.integration.conftest import eventually, roster
from tests.integration.stack import REPO

pytestmark = pytest.mark.integration

# The real roster: ownership takes a routed issue's as the department's.
FINANCE, FINANCE_HEAD = roster("finance")


def routed(issue_id: str) -> Envelope:
    return Envelope.wrap(
        source="/tests",
        data=IssueRouted(
            issue_id=issue_id, department="finance", rule_id=None, reason="test",
            liaisons=FINANCE, head=FINANCE_HEAD, routed_at=datetime.now(UTC),
        ),
    )  # fmt: skip


async def dead_letter(stack, producer, envelope: Envelope, *, service: str) -> None:
    """A record as the consumer runner dead-letters one."""
    await producer.send_raw(
        stack.topic(dlq(ISSUES_ROUTED)),
        key=envelope.subject,
        value=envelope.to_json(),
        headers=[
            ("baton.dlq.reason", b"OperationalError: database is locked"),
            ("baton.dlq.error_type", b"OperationalError"),
            ("baton.dlq.topic", stack.topic(ISSUES_ROUTED).encode()),
            ("baton.dlq.partition", b"0"),
            ("baton.dlq.offset", b"7"),
            ("baton.dlq.attempts", b"3"),
            ("baton.dlq.service", service.encode()),
        ],
    )


async def tool(stack, *args: str) -> str:
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": stack.kafka, "BATON_TOPIC_PREFIX": stack.prefix}
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "baton_runtime.kafka.dlq", *args],
        env=env, capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_dead_letters_are_listed_and_replayed_once(stack, http, producer):
    ours, theirs = str(uuid.uuid4()), str(uuid.uuid4())
    await dead_letter(stack, producer, routed(ours), service="ownership")
    await dead_letter(stack, producer, routed(theirs), service="another-service")
    topic = dlq(ISSUES_ROUTED)

    listed = await tool(stack, "list", topic)
    rows = [line.split("\t") for line in listed.splitlines()[1:-1]]
    mine = next(r for r in rows if r[2] == ours)
    assert mine[3:7] == [stack.topic(ISSUES_ROUTED), "ownership", "OperationalError", "3"]
    assert "database is locked" in mine[7]
    assert all(p.email not in listed for p in FINANCE)  # where and why, never the content

    dry = await tool(stack, "replay", topic, "--service", "ownership", "--dry-run")
    assert ours in dry and theirs not in dry

    replayed = await tool(stack, "replay", topic, "--service", "ownership")
    assert ours in replayed and theirs not in replayed

    async def owner():
        r = await http.get(f"{stack.url('ownership')}/v1/issues/{ours}/owner")
        return r.json() if r.status_code == 200 else None

    replayed_owner = await eventually(owner, what="the replayed issue's owner")
    assert replayed_owner["owner"]["id"] in {p.id for p in FINANCE}
    assert (await http.get(f"{stack.url('ownership')}/v1/issues/{theirs}/owner")).status_code == 404
    again = await tool(stack, "replay", topic, "--service", "ownership")
    assert ours not in again  # replayed once
    # Another service's dead letters wait for their own replay.
    other = await tool(stack, "replay", topic, "--service", "another-service", "--dry-run")
    assert theirs in other and ours not in other
    assert ours in await tool(stack, "replay", topic, "--from-beginning", "--dry-run")


async def test_a_message_that_cannot_be_parsed_is_passed_over_unless_asked(stack, producer):
    topic = dlq(ISSUES_ROUTED)
    key = f"poison-{uuid.uuid4()}"
    await producer.send_raw(
        stack.topic(topic),
        key=key,
        value=b"{not json",
        headers=[
            ("baton.dlq.topic", stack.topic(ISSUES_ROUTED).encode()),
            ("baton.dlq.attempts", b"0"),
            ("baton.dlq.service", b"ownership"),
            ("baton.dlq.error_type", b"EventParseError"),
        ],
    )
    passed_over = await tool(stack, "replay", topic, "--dry-run")
    assert key not in passed_over and "passed over: they cannot be parsed" in passed_over
    assert key not in await tool(stack, "replay", topic)  # passed over, and remembered
    forced = await tool(
        stack, "replay", topic, "--from-beginning", "--include-unparseable", "--dry-run"
    )
    assert key in forced
