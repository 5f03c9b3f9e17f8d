"""Where an issue's end-to-end time goes, hop by hop: for a sample of a step's
delivered issues, the time each service recorded it in its own API (intake's
``reported_at``, routing's ``decided_at``, ownership's ``assigned_at``,
notifications' delivery ``created_at``) between the intended POST and the mail
reaching the sink. Each is stamped inside the handler, so a gap is: the
previous service's commit and outbox relay, Kafka, and the next consumer's
fetch (and, for the last, the delivery dispatcher's wait and the SMTP send).
"""

from __future__ import annotations

import json
import statistics
import urllib.request
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from bench.e2e.stats import Send

STAGES = [
    "POST: intended send to intake's reported_at",
    "intake's outbox and Kafka to routing's decided_at",
    "routing's outbox and Kafka to ownership's assigned_at",
    "ownership's outbox and Kafka to notifications' delivery created_at",
    "delivery dispatcher (its poll) and SMTP to the mail at the sink",
]

Fetch = Callable[[str], list[float] | None]


def _epoch(text: str) -> float:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    # SQLite hands datetimes back without a zone; they were written in UTC.
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def fetcher(urls: dict[str, str], api_key: str, token: str) -> Fetch:
    """Reads one issue's stamps from the four services' APIs (None if any is
    missing): intake with its API key, the others with an administrator's token."""

    def get(url: str, headers: dict[str, str] | None = None) -> object:
        request = urllib.request.Request(url, headers=headers or {})
        with urllib.request.urlopen(request, timeout=5) as r:
            return json.loads(r.read())

    def fetch(issue_id: str) -> list[float] | None:
        try:
            issue = get(f"{urls['intake']}/v1/issues/{issue_id}",
                        {"Authorization": f"Bearer {api_key}"})  # fmt: skip
            bearer = {"Authorization": f"Bearer {token}"}
            decisions = get(f"{urls['routing']}/v1/decisions/{issue_id}", bearer)
            owner = get(f"{urls['ownership']}/v1/issues/{issue_id}/owner", bearer)
            deliveries = get(f"{urls['notifications']}/v1/deliveries?issue_id={issue_id}", bearer)
        except OSError:
            return None
        if not (decisions and deliveries):
            return None
        return [
            _epoch(issue["reported_at"]),  # type: ignore[index]
            _epoch(decisions[0]["decided_at"]),  # type: ignore[index]
            _epoch(owner["assigned_at"]),  # type: ignore[index]
            min(_epoch(d["created_at"]) for d in deliveries),  # type: ignore[union-attr]
        ]

    return fetch


def sample(sends: Sequence[Send], first_notice: dict[str, float], n: int) -> list[Send]:
    """Up to ``n`` delivered issues, spread evenly over the step."""
    delivered = [s for s in sends if s.accepted and s.issue_id in first_notice]
    step = max(len(delivered) // n, 1)
    return delivered[::step][:n]


def gaps(timelines: Sequence[Sequence[float]]) -> list[float | None]:
    """Median time between consecutive stamps, in ms, over the issues' timelines
    (each: intended POST, the four services' stamps, mail received)."""
    out: list[float | None] = []
    for i in range(len(STAGES)):
        values = [t[i + 1] - t[i] for t in timelines]
        out.append(round(1000 * statistics.median(values), 1) if values else None)
    return out


def measure(
    sends: Sequence[Send], first_notice: dict[str, float], fetch: Fetch, n: int = 20
) -> dict[str, object]:
    timelines = []
    for s in sample(sends, first_notice, n):
        stamps = fetch(s.issue_id or "")
        if stamps is not None:
            timelines.append([s.intended, *stamps, first_notice[s.issue_id or ""]])
    return {"issues": len(timelines), "median_ms": dict(zip(STAGES, gaps(timelines), strict=True))}


def slowest(
    sends: Sequence[Send],
    first_notice: dict[str, float],
    fetch: Fetch,
    *,
    share: float = 0.02,
    least: int = 5,
) -> list[dict[str, object]]:
    """The slowest delivered issues (the top ``share``, at least ``least``), hop by
    hop: which hop made each one slow, and when it was sent (seconds into the run),
    to tell a periodic stall from a random one."""
    delivered = [s for s in sends if s.accepted and s.issue_id in first_notice]
    if not delivered:
        return []
    start = min(s.intended for s in delivered)
    delivered.sort(key=lambda s: first_notice[s.issue_id or ""] - s.intended, reverse=True)
    rows: list[dict[str, object]] = []
    for s in delivered[: max(least, int(len(delivered) * share))]:
        stamps = fetch(s.issue_id or "")
        if stamps is None:
            continue
        t = [s.intended, *stamps, first_notice[s.issue_id or ""]]
        rows.append(
            {
                "sent_s": round(s.intended - start, 1),
                "e2e_ms": round(1000 * (t[-1] - t[0]), 1),
                "hops_ms": [round(1000 * (t[i + 1] - t[i]), 1) for i in range(len(STAGES))],
            }
        )
    return rows
