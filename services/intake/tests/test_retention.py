"""Intake's bookkeeping is bounded: an Idempotency-Key is honoured for
BATON_IDEMPOTENCY_KEY_DAYS and then forgotten; ignored mail is kept
BATON_RETENTION_DAYS. Issues themselves are never purged."""

from datetime import UTC, datetime, timedelta

from baton_intake.issues.models import Issue
from baton_intake.sources.models import IdempotencyRecord, IgnoredMail
from prometheus_client import REGISTRY
from sqlalchemy import func, update
from sqlmodel import col, select

ISSUE = {
    "channel": "agent",
    "reporter": {"kind": "customer", "id": "cust-9"},
    "subject": "Parcel lost",
    "description": "Order 77 never came.",
}


def purged_metric(purge: str) -> float:
    """baton_retention_deleted_total on /metrics (create_app installed the exporter)."""
    return sum(
        sample.value
        for family in REGISTRY.collect()
        for sample in family.samples
        if sample.name == "baton_retention_deleted_total"
        and sample.labels.get("baton_retention_purge") == purge
    )


async def backdate_key(client, key: str, days: float) -> None:
    async with client.runtime.db.transaction() as session:
        await session.exec(
            update(IdempotencyRecord)
            .where(col(IdempotencyRecord.key) == key)
            .values(created_at=datetime.now(UTC) - timedelta(days=days))
        )


async def test_an_idempotency_key_is_honoured_for_its_days_then_forgotten(client):
    old = await client.post("/v1/issues", json=ISSUE, headers={"Idempotency-Key": "old"})
    young = await client.post(
        "/v1/issues", json=ISSUE | {"subject": "Other"}, headers={"Idempotency-Key": "young"}
    )
    await backdate_key(client, "old", 7.1)
    await backdate_key(client, "young", 6.9)

    counts = await client.runtime.purge()

    assert counts["idempotency_keys"] == 1
    replay = await client.post(
        "/v1/issues", json=ISSUE | {"subject": "Other"}, headers={"Idempotency-Key": "young"}
    )
    assert replay.json() == young.json()
    fresh = await client.post("/v1/issues", json=ISSUE, headers={"Idempotency-Key": "old"})
    assert fresh.json()["issue_id"] != old.json()["issue_id"]
    async with client.runtime.db.session() as session:
        issues = (await session.exec(select(func.count()).select_from(Issue))).one()
    assert issues == 3  # the purge took bookkeeping, never an issue


async def test_ignored_mail_is_kept_for_the_retention_days(client):
    now = datetime.now(UTC)
    async with client.runtime.db.transaction() as session:
        session.add(IgnoredMail(message_id="<a@x>", reason="auto", received_at=now - timedelta(31)))
        session.add(IgnoredMail(message_id="<b@x>", reason="auto", received_at=now - timedelta(29)))

    deleted_before = purged_metric("ignored_mail")

    counts = await client.runtime.purge()

    assert counts["ignored_mail"] == 1 and counts["idempotency_keys"] == 0
    assert purged_metric("ignored_mail") == deleted_before + 1
    async with client.runtime.db.session() as session:
        kept = (await session.exec(select(IgnoredMail.message_id))).all()
    assert kept == ["<b@x>"]
