"""Back-pressure: past BATON_INTAKE_MAX_OUTBOX_BACKLOG unpublished events, the
doors that create issues answer 429 with Retry-After and store nothing. No relay
runs here, so every event a door stages stays pending: the outbox fills up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from baton_intake.backlog import RATE_WINDOW_S, Backlog, Reading, retry_after
from baton_intake.issues.models import Issue
from baton_intake.settings import Settings
from baton_intake.sources.models import IdempotencyRecord
from baton_runtime.outbox import OutboxMessage
from sqlmodel import select, update

BOUND = 3
ISSUE = {
    "channel": "agent",
    "reporter": {"kind": "customer", "id": "cust-1"},
    "subject": "Charged twice",
    "description": "Order 1234 was charged twice.",
}
CHAT = {
    "conversation_id": "conv-1",
    "customer": {"email": "ada@example.com"},
    "messages": [{"from": "customer", "text": "Parcel lost", "at": "2026-11-23T10:00:00Z"}],
}
CALL = {
    "call_id": "call-1",
    "caller": {"phone": "+44 20 7946 0958"},
    "started_at": "2026-11-23T09:30:00Z",
    "notes": "Wrong VAT on the invoice.",
}
POST = {
    "platform": "mastodon",
    "handle": "@ada@example.social",
    "post_url": "https://example.social/@ada/1",
    "text": "my order arrived broken",
    "posted_at": "2026-11-23T08:15:00Z",
}
MAIL = (
    b"From: Ada <ada@example.com>\r\nTo: support@shop.example\r\nSubject: Lost parcel\r\n"
    b"Message-ID: <bp1@example.com>\r\nContent-Type: text/plain\r\n\r\nOrder 1234.\r\n"
)


@pytest.fixture
def bound() -> int:
    return BOUND


@pytest.fixture
def settings(tmp_path: Path, bound: int) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/intake.db",
        topic_prefix="t.",
        intake_max_outbox_backlog=bound,
    )


@pytest.fixture
def fresh(client):
    """Measure the backlog on every request, so a test needs no clock."""
    client.app.state.backlog = Backlog(client.runtime.db, refresh_s=0)
    return client


def numbered(n: int) -> dict:
    return ISSUE | {"reporter": {"kind": "customer", "id": f"cust-{n}"}, "subject": f"Order {n}"}


async def fill(client, count: int, *, first: int = 0) -> None:
    for n in range(first, first + count):
        r = await client.post("/v1/issues", json=numbered(n))
        assert r.status_code == 202, r.text


async def stored(client) -> tuple[int, int, int]:
    """(issues, outbox rows, idempotency records)"""
    async with client.runtime.db.session() as session:
        counts = [
            len((await session.exec(select(model))).all())
            for model in (Issue, OutboxMessage, IdempotencyRecord)
        ]
    return counts[0], counts[1], counts[2]


async def publish_all(client) -> None:
    """What the relay would do: mark every pending event published."""
    async with client.runtime.db.transaction() as session:
        await session.exec(update(OutboxMessage).values(published_at=datetime.now(UTC)))


async def test_up_to_the_bound_issues_are_taken_in_as_before(fresh):
    await fill(fresh, BOUND)  # the last one found BOUND - 1 waiting
    r = await fresh.post("/v1/issues", json=numbered(99))  # BOUND waiting: not more than it
    assert r.status_code == 202
    assert await stored(fresh) == (BOUND + 1, BOUND + 1, 0)


async def test_past_the_bound_a_door_answers_429_with_retry_after_and_stores_nothing(fresh):
    await fill(fresh, BOUND + 1)
    before = await stored(fresh)
    r = await fresh.post("/v1/issues", json=numbered(99), headers={"Idempotency-Key": "k-1"})
    assert r.status_code == 429
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert (body["status"], body["title"]) == (429, "Too many issues waiting")
    assert "nothing was stored" in body["detail"]
    # Nothing published recently (no relay runs): the longest wait.
    assert r.headers["retry-after"] == "30"
    assert await stored(fresh) == before


async def test_a_refused_idempotent_request_is_a_fresh_attempt_once_the_relay_caught_up(fresh):
    await fill(fresh, BOUND + 1)
    headers = {"Idempotency-Key": "k-2"}
    assert (await fresh.post("/v1/issues", json=numbered(99), headers=headers)).status_code == 429
    await publish_all(fresh)
    retried = await fresh.post("/v1/issues", json=numbered(99), headers=headers)
    assert retried.status_code == 202
    again = await fresh.post("/v1/issues", json=numbered(99), headers=headers)
    assert again.json() == retried.json()
    assert (await stored(fresh))[0] == BOUND + 2


async def test_retry_after_follows_the_relays_recent_pace(fresh):
    await fill(fresh, BOUND + 1)
    await publish_all(fresh)  # BOUND + 1 published just now
    await fill(fresh, BOUND + 1, first=10)  # past the bound again
    r = await fresh.post("/v1/issues", json=numbered(99))
    assert r.status_code == 429
    pace = (BOUND + 1) / RATE_WINDOW_S
    assert r.headers["retry-after"] == str(retry_after(Reading(BOUND + 1, pace)))
    assert 1 <= int(r.headers["retry-after"]) < 30


@pytest.mark.parametrize(
    ("path", "body"),
    [("/v1/channels/chat", CHAT), ("/v1/channels/phone", CALL), ("/v1/channels/social", POST)],
)
async def test_the_channel_doors_are_refused_too(fresh, path, body):
    await fill(fresh, BOUND + 1)
    before = await stored(fresh)
    r = await fresh.post(path, json=body)
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    assert await stored(fresh) == before


async def test_mail_is_still_taken_in(fresh):
    await fill(fresh, BOUND + 1)
    r = await fresh.post(
        "/v1/channels/email", content=MAIL, headers={"content-type": "message/rfc822"}
    )
    assert r.status_code == 202, r.text


async def test_the_429_is_in_the_openapi_document_with_retry_after(client):
    paths = (await client.get("/openapi.json")).json()["paths"]
    refused = paths["/v1/issues"]["post"]["responses"]["429"]
    assert "Retry-After" in refused["headers"]
    assert "429" in paths["/v1/channels/chat"]["post"]["responses"]
    assert "429" not in paths["/v1/channels/email"]["post"]["responses"]


@pytest.mark.parametrize("bound", [0])
async def test_a_bound_of_0_never_refuses(fresh):
    await fill(fresh, 3 * BOUND)
    assert (await stored(fresh))[1] == 3 * BOUND  # all still waiting
    assert (await fresh.post("/v1/issues", json=numbered(99))).status_code == 202


async def test_the_backlog_is_measured_at_most_once_per_refresh_interval(client):
    now = [100.0]
    backlog = Backlog(client.runtime.db, refresh_s=0.5, clock=lambda: now[0])
    assert (await backlog.reading()).pending == 0
    await fill(client, 2)
    assert (await backlog.reading()).pending == 0  # the cached reading
    now[0] += 0.5
    assert (await backlog.reading()).pending == 2


async def test_only_recent_publishing_counts_toward_the_pace(client):
    await fill(client, 3)
    async with client.runtime.db.transaction() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        rows[0].published_at = datetime.now(UTC) - timedelta(seconds=RATE_WINDOW_S * 3)
        rows[1].published_at = datetime.now(UTC) - timedelta(seconds=1)
        session.add_all(rows[:2])
    reading = await Backlog(client.runtime.db).measure()
    assert reading == Reading(pending=1, published_per_s=1 / RATE_WINDOW_S)


@pytest.mark.parametrize(
    ("reading", "seconds"),
    [
        (Reading(100, 20.0), 5),  # 100 waiting at 20 a second
        (Reading(101, 20.0), 6),  # rounded up
        (Reading(5, 100.0), 1),  # at least a second
        (Reading(10_000, 1.0), 30),  # at most half a minute
        (Reading(10, 0.0), 30),  # nothing published lately
    ],
)
def test_retry_after_is_the_time_to_publish_what_waits_clamped(reading, seconds):
    assert retry_after(reading) == seconds
