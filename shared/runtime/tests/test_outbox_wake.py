"""The outbox relay wakes after a commit that staged events, whoever committed
it, and not after one that staged none or was rolled back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from baton_contracts import Envelope, IssueReported, Reporter
from baton_runtime import idempotency
from baton_runtime.outbox import add_event


def event() -> Envelope:
    return Envelope.wrap(
        source="/tests",
        data=IssueReported(
            issue_id="i-1",
            channel="agent",
            reporter=Reporter(kind="customer", id="c-1"),
            subject="s",
            description="d",
            reported_at=datetime.now(UTC),
        ),
    )


async def test_a_commit_that_staged_events_wakes_the_relay_once(db):
    woken: list[int] = []
    db.on_outbox_commit(lambda: woken.append(1))
    async with db.transaction() as session:
        add_event(session, topic="t", envelope=event())
        add_event(session, topic="t", envelope=event())
        assert woken == []  # not before the commit
    assert woken == [1]
    async with db.transaction() as session:
        await idempotency.claim(session, "e-1")  # a commit with nothing staged
    assert woken == [1]


async def test_a_rolled_back_transaction_wakes_nothing_and_leaves_no_mark(db):
    woken: list[int] = []
    db.on_outbox_commit(lambda: woken.append(1))
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            add_event(session, topic="t", envelope=event())
            raise RuntimeError("the handler failed")
    async with db.transaction() as session:
        await idempotency.claim(session, "e-1")
    assert woken == []


async def test_a_batch_wakes_the_relay_at_its_commit(db):
    woken: list[int] = []
    db.on_outbox_commit(lambda: woken.append(1))

    async def stage(session) -> None:
        add_event(session, topic="t", envelope=event())

    async with idempotency.unit_of_work(db):
        assert await idempotency.handle_once(db, "e-1", stage)
        assert await idempotency.handle_once(db, "e-2", stage)
        assert woken == []
    assert woken == [1]
