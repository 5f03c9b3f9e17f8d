"""Pure arithmetic over recorded samples: percentiles, rates, what was lost or
duplicated, and whether a step was saturated. No I/O, no clocks: the unit tests
(tests/test_bench_e2e_stats.py) prove it.

Times are wall-clock seconds (``time.time()``), taken in different processes of
the same machine, so they compare directly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Send:
    """One POST as the load generator saw it. ``intended`` is when the schedule
    said to send it (open loop) or when the client was free (closed loop): latency
    is measured from there, so a late send cannot hide a slow server."""

    seq: int
    intended: float
    sent: float
    done: float
    status: int  # 0: no HTTP answer (connection error, timeout)
    issue_id: str | None = None
    retry_after: float | None = None  # a 429's Retry-After, in seconds

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300 and self.issue_id is not None

    @property
    def refused(self) -> bool:
        """Intake pushed back (429: asked to retry later): nothing was taken in,
        and nothing was lost. The load generator does not retry it."""
        return self.status == 429


@dataclass(frozen=True)
class Mail:
    """One message the SMTP sink received, and which issue it is about."""

    received: float
    issue_id: str | None
    kind: str  # "assigned" for the owner's notice; see sink.kind_of


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100), linear between the closest ranks (as
    numpy's default); None for no values."""
    if not values:
        return None
    if not 0 <= q <= 100:
        raise ValueError("q must be within 0..100")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = math.floor(pos)
    high = math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else 0.0


def span_rate(times: Sequence[float]) -> float:
    """Arrivals per second from the first of ``times`` to the last: what a
    pipeline that had a backlog all along got through."""
    if len(times) < 2 or max(times) <= min(times):
        return 0.0
    return (len(times) - 1) / (max(times) - min(times))


def count_between(times: Iterable[float], start: float, end: float) -> int:
    """How many of ``times`` fall in [start, end)."""
    return sum(1 for t in times if start <= t < end)


def notices_by_issue(mails: Iterable[Mail], kind: str = "assigned") -> dict[str, list[float]]:
    """Receive times of each issue's notices of ``kind``, earliest first."""
    found: dict[str, list[float]] = {}
    for mail in mails:
        if mail.kind == kind and mail.issue_id is not None:
            found.setdefault(mail.issue_id, []).append(mail.received)
    for times in found.values():
        times.sort()
    return found


def missing(sends: Iterable[Send], notices: dict[str, list[float]]) -> list[str]:
    """Accepted issues with no notice (yet): lost, once the pipeline has drained."""
    return [s.issue_id for s in sends if s.accepted and s.issue_id not in notices]  # type: ignore[misc]


def duplicated(sends: Iterable[Send], notices: dict[str, list[float]]) -> int:
    """Accepted issues whose owner was told more than once."""
    return sum(1 for s in sends if s.accepted and len(notices.get(s.issue_id or "", [])) > 1)


def e2e_latencies(sends: Iterable[Send], notices: dict[str, list[float]]) -> list[float]:
    """Intended POST time to the first owner notice, per delivered issue."""
    return [
        notices[s.issue_id][0] - s.intended for s in sends if s.accepted and s.issue_id in notices
    ]


def ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


@dataclass
class Window:
    """A step's sending window: [start, start + seconds)."""

    start: float
    seconds: float

    @property
    def end(self) -> float:
        return self.start + self.seconds

    def steady(self, skip_fraction: float = 1 / 3) -> tuple[float, float]:
        """The part after warm-up, where rates are measured: notices of the first
        issues are still on their way at the start of any window."""
        return self.start + self.seconds * skip_fraction, self.end


@dataclass
class StepResult:
    offered_rate: float | None  # None for the closed loop
    seconds: float
    sent: int
    sent_rate: float  # the load generator's own achieved rate
    send_lag_p99_ms: float | None  # how late it sent, against its schedule
    accepted: int
    failed: int  # errors: no answer, or another non-2xx than 429
    accepted_rate: float  # 2xx answers that came back within the window, per second
    post_p50_ms: float | None
    post_p99_ms: float | None
    delivered: int
    # Open loop: owner notices (of any issue) received in the steady window, per
    # second. Closed loop: this phase's notices from its first to its last.
    delivered_rate: float
    e2e_p50_ms: float | None
    e2e_p99_ms: float | None
    e2e_max_ms: float | None
    # Median e2e of the issues due in the window's first third, and in its last:
    # a queue that grows during the step shows as a rise.
    e2e_p50_first_third_ms: float | None
    e2e_p50_last_third_ms: float | None
    missing: int  # accepted, no owner notice (yet)
    duplicated: int
    # Refused: 429 answers (intake asked to retry later), neither errors nor lost.
    refused: int = 0
    refused_rate: float = 0.0  # 429s that came back within the window, per second
    retry_after_p50_s: float | None = None
    saturated: bool = False
    why_saturated: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarize(
    sends: Sequence[Send],
    mails: Sequence[Mail],
    window: Window,
    *,
    offered_rate: float | None,
) -> StepResult:
    """One phase's numbers from its sends and every mail received so far;
    ``offered_rate`` None for a closed loop."""
    notices = notices_by_issue(mails)
    post = [s.done - s.intended for s in sends if s.accepted]
    lag = [max(s.sent - s.intended, 0.0) for s in sends]
    e2e = e2e_latencies(sends, notices)
    steady_start, steady_end = window.steady()
    first_notices = [times[0] for times in notices.values()]
    accepted = [s for s in sends if s.accepted]
    refused = [s for s in sends if s.refused]
    waits = [s.retry_after for s in refused if s.retry_after is not None]
    if offered_rate is None:
        mine = [notices[s.issue_id][0] for s in accepted if s.issue_id in notices]
        delivered_rate = span_rate(mine)
    else:
        in_window = count_between(first_notices, steady_start, steady_end)
        delivered_rate = rate(in_window, steady_end - steady_start)
    return StepResult(
        offered_rate=offered_rate,
        seconds=window.seconds,
        sent=len(sends),
        sent_rate=round(
            rate(count_between((s.sent for s in sends), *_whole(window)), window.seconds), 2
        ),
        send_lag_p99_ms=ms(percentile(lag, 99)),
        accepted=len(accepted),
        failed=len(sends) - len(accepted) - len(refused),
        accepted_rate=round(
            rate(count_between((s.done for s in accepted), *_whole(window)), window.seconds), 2
        ),
        post_p50_ms=ms(percentile(post, 50)),
        post_p99_ms=ms(percentile(post, 99)),
        delivered=len(e2e),
        delivered_rate=round(delivered_rate, 2),
        e2e_p50_ms=ms(percentile(e2e, 50)),
        e2e_p99_ms=ms(percentile(e2e, 99)),
        e2e_max_ms=ms(max(e2e)) if e2e else None,
        e2e_p50_first_third_ms=ms(percentile(_e2e_due(sends, notices, window, 0), 50)),
        e2e_p50_last_third_ms=ms(percentile(_e2e_due(sends, notices, window, 2), 50)),
        missing=len(missing(sends, notices)),
        duplicated=duplicated(sends, notices),
        refused=len(refused),
        refused_rate=round(
            rate(count_between((s.done for s in refused), *_whole(window)), window.seconds), 2
        ),
        retry_after_p50_s=percentile(waits, 50),
    )


def _e2e_due(
    sends: Sequence[Send], notices: dict[str, list[float]], window: Window, third: int
) -> list[float]:
    """e2e latencies of the issues intended for one third (0, 1, 2) of the window."""
    start = window.start + third * window.seconds / 3
    due = [s for s in sends if start <= s.intended < start + window.seconds / 3]
    return e2e_latencies(due, notices)


def _whole(window: Window) -> tuple[float, float]:
    return window.start, window.end


def saturation(
    step: StepResult,
    *,
    min_delivered_share: float = 0.97,
    max_failed_share: float = 0.01,
    max_e2e_p99_s: float = 10.0,
    rise_s: float = 0.5,
) -> list[str]:
    """Why an open-loop step counts as saturated (empty: it kept up). The
    pipeline fell behind the load, intake refused or dropped requests, latency
    kept rising through the step (its last third's median more than twice the
    first third's, plus ``rise_s``: a queue that grows), or the slowest issues
    took longer than anyone would wait. Refusals (429) are counted apart from
    failures: intake said it was behind, which is saturation too."""
    why = []
    target = step.offered_rate or 0.0
    if step.delivered_rate < min_delivered_share * target:
        why.append(f"delivered {step.delivered_rate:g}/s of {target:g}/s offered")
    if step.sent and step.failed > max_failed_share * step.sent:
        why.append(f"{step.failed} of {step.sent} POSTs failed")
    if step.sent and step.refused > max_failed_share * step.sent:
        why.append(f"{step.refused} of {step.sent} POSTs refused (429, asked to retry)")
    first, last = step.e2e_p50_first_third_ms, step.e2e_p50_last_third_ms
    if first is not None and last is not None and last > 2 * first + rise_s * 1000:
        why.append(f"e2e p50 rose from {first / 1000:.1f} s to {last / 1000:.1f} s in the step")
    if step.e2e_p99_ms is not None and step.e2e_p99_ms > max_e2e_p99_s * 1000:
        why.append(f"e2e p99 {step.e2e_p99_ms / 1000:.1f} s > {max_e2e_p99_s:g} s")
    return why
