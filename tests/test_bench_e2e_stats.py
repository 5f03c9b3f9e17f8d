"""The end-to-end bench's arithmetic (bench/e2e/stats.py), on samples made up
here: percentiles, rates, what was lost or duplicated, latency from the intended
send time, and when a step counts as saturated. No timing is asserted."""

from __future__ import annotations

import pytest

from bench.e2e.config import parse_args
from bench.e2e.stats import (
    Mail,
    Send,
    Window,
    count_between,
    duplicated,
    e2e_latencies,
    missing,
    notices_by_issue,
    percentile,
    rate,
    saturation,
    span_rate,
    summarize,
)


def send(seq: int, intended: float, *, status: int = 202, sent: float | None = None) -> Send:
    issue = f"issue-{seq}" if 200 <= status < 300 else None
    start = intended if sent is None else sent
    return Send(seq, intended, start, start + 0.01, status, issue)


def assigned(issue: str | None, received: float) -> Mail:
    return Mail(received=received, issue_id=issue, kind="assigned")


def test_percentile_interpolates_between_closest_ranks_like_numpy() -> None:
    values = [4.0, 1.0, 3.0, 2.0]  # unsorted on purpose
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 4.0
    assert percentile(values, 50) == 2.5
    assert percentile(values, 99) == pytest.approx(3.97)
    assert percentile([7.0], 99) == 7.0


def test_percentile_of_nothing_is_none_and_q_must_be_a_percentage() -> None:
    assert percentile([], 50) is None
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_rate_is_zero_for_an_empty_interval_and_counts_half_open_windows() -> None:
    assert rate(30, 10.0) == 3.0
    assert rate(5, 0.0) == 0.0
    assert count_between([1.0, 2.0, 2.5, 3.0], 2.0, 3.0) == 2  # [2, 3): 3.0 is out


def test_an_accepted_issue_without_an_owner_notice_is_missing() -> None:
    sends = [send(1, 0.0), send(2, 0.1), send(3, 0.2, status=503)]
    notices = notices_by_issue([assigned("issue-1", 1.0)])
    assert missing(sends, notices) == ["issue-2"]  # a refused POST made no issue to lose


def test_a_second_notice_for_the_same_issue_is_a_duplicate() -> None:
    sends = [send(1, 0.0), send(2, 0.1)]
    mails = [assigned("issue-1", 1.0), assigned("issue-1", 1.5), assigned("issue-2", 1.2)]
    notices = notices_by_issue(mails)
    assert duplicated(sends, notices) == 1
    assert notices["issue-1"] == [1.0, 1.5]


def test_only_owner_notices_about_a_known_issue_count() -> None:
    mails = [
        assigned("issue-1", 1.0),
        Mail(received=2.0, issue_id="issue-1", kind="deadline_near"),
        assigned(None, 3.0),
    ]
    assert notices_by_issue(mails) == {"issue-1": [1.0]}


def test_e2e_latency_runs_from_the_intended_time_to_the_first_notice() -> None:
    # Sent 2 s late by a busy client: the wait counts (no coordinated omission).
    sends = [send(1, 10.0, sent=12.0)]
    mails = [assigned("issue-1", 15.0), assigned("issue-1", 16.0)]
    assert e2e_latencies(sends, notices_by_issue(mails)) == [5.0]


def test_summarize_a_step_that_kept_up() -> None:
    # 10 issues/s for 3 s; each owner told 0.5 s after its intended send.
    sends = [send(i, 100.0 + i / 10) for i in range(30)]
    mails = [assigned(f"issue-{i}", 100.5 + i / 10) for i in range(30)]
    step = summarize(sends, mails, Window(100.0, 3.0), offered_rate=10.0)
    assert (step.sent, step.accepted, step.failed) == (30, 30, 0)
    assert step.sent_rate == 10.0
    assert step.accepted_rate == 10.0
    # Steady window [101, 103): notices of issues 5..24 arrive in it.
    assert step.delivered_rate == 10.0
    assert step.e2e_p50_ms == 500.0
    assert step.post_p99_ms == 10.0
    assert (step.missing, step.duplicated) == (0, 0)
    assert saturation(step) == []


def test_summarize_a_step_that_fell_behind() -> None:
    sends = [send(i, 100.0 + i / 10) for i in range(30)] + [send(99, 100.0, status=0)]
    # Only every other issue is delivered, 20 s late.
    mails = [assigned(f"issue-{i}", 101.0 + i / 10) for i in range(0, 30, 2)]
    mails += [assigned("issue-0", 130.0)]
    step = summarize(sends, mails, Window(100.0, 3.0), offered_rate=10.0)
    assert (step.accepted, step.failed, step.missing, step.duplicated) == (30, 1, 15, 1)
    assert step.delivered_rate == 5.0
    why = saturation(step, max_e2e_p99_s=0.5)
    assert why == ["delivered 5/s of 10/s offered", "1 of 31 POSTs failed", "e2e p99 1.0 s > 0.5 s"]


def test_a_step_that_delivered_a_twentieth_less_than_offered_did_not_keep_up() -> None:
    # 10/s for 30 s at a steady 0.5 s, but every twentieth owner is never told: the
    # queue grows by half an issue a second, which "sustained" must not hide.
    sends = [send(i, 100.0 + i / 10) for i in range(300)]
    mails = [assigned(f"issue-{i}", 100.5 + i / 10) for i in range(300) if i % 20]
    step = summarize(sends, mails, Window(100.0, 30.0), offered_rate=10.0)
    assert step.e2e_p50_first_third_ms == step.e2e_p50_last_third_ms == 500.0
    assert step.delivered_rate == 9.5
    assert saturation(step) == ["delivered 9.5/s of 10/s offered"]


def test_a_step_is_a_minute_unless_told_otherwise() -> None:
    # Issue 12's target is a rate sustained for 60 s.
    assert parse_args([]).step_s == 60.0
    assert parse_args(["--step-seconds", "20"]).step_s == 20.0
    assert parse_args(["--quick"]).step_s == 6.0


def test_latency_that_keeps_rising_through_a_step_means_a_growing_queue() -> None:
    # 10/s for 30 s, nearly all delivered within the step, but the k-th issue
    # waits 0.5 s + 10 ms per issue before it: a queue that grows.
    sends = [send(i, 100.0 + i / 10) for i in range(300)]
    mails = [assigned(f"issue-{i}", 100.0 + i / 10 + 0.5 + i / 100) for i in range(300)]
    step = summarize(sends, mails, Window(100.0, 30.0), offered_rate=10.0)
    assert step.e2e_p50_first_third_ms == 995.0  # issues 0..99: 0.5 + 0.495
    assert step.e2e_p50_last_third_ms == 2995.0  # issues 200..299: 0.5 + 2.495
    assert step.delivered_rate >= 9.0
    # The growing queue also shows in the rate delivered; here the rise alone counts.
    why = saturation(step, min_delivered_share=0.9)
    assert why == ["e2e p50 rose from 1.0 s to 3.0 s in the step"]


def test_failed_posts_alone_saturate_a_step() -> None:
    sends = [send(i, 100.0 + i / 10) for i in range(10)]
    sends += [send(i, 100.0 + i / 10, status=500) for i in range(10, 30)]
    mails = [assigned(f"issue-{i}", 100.2 + i / 10) for i in range(10)]
    step = summarize(sends, mails, Window(100.0, 3.0), offered_rate=10.0)
    assert step.failed == 20
    assert any("POSTs failed" in w for w in saturation(step))


def test_a_closed_loop_is_rated_from_its_first_notice_to_its_last() -> None:
    # 21 issues sent at once; the pipeline tells one owner every 0.5 s, starting
    # long after the sending window closed: 2 per second, not 0.
    sends = [send(i, 100.0) for i in range(21)]
    mails = [assigned(f"issue-{i}", 120.0 + i / 2) for i in range(21)]
    step = summarize(sends, mails, Window(100.0, 3.0), offered_rate=None)
    assert step.delivered_rate == 2.0
    assert span_rate([5.0]) == 0.0


def refused(seq: int, intended: float, retry_after: float = 5.0) -> Send:
    return Send(seq, intended, intended, intended + 0.01, 429, None, retry_after)


def test_a_refused_post_is_neither_an_error_nor_lost() -> None:
    # 10/s for 3 s: every third issue refused (429), the others delivered.
    sends = [
        refused(i, 100.0 + i / 10, retry_after=4.0 + i % 2) if i % 3 == 0
        else send(i, 100.0 + i / 10)
        for i in range(30)
    ]  # fmt: skip
    mails = [assigned(s.issue_id, s.intended + 0.5) for s in sends if s.accepted]
    step = summarize(sends, mails, Window(100.0, 3.0), offered_rate=10.0)
    assert (step.sent, step.accepted, step.refused, step.failed) == (30, 20, 10, 0)
    assert step.refused_rate == round(10 / 3, 2)
    assert step.retry_after_p50_s == 4.5  # five at 4 s, five at 5 s
    assert (step.missing, step.duplicated) == (0, 0)
    assert missing(sends, notices_by_issue(mails)) == []


def test_refusals_alone_saturate_a_step_and_are_named_as_such() -> None:
    sends = [send(i, 100.0 + i / 10) for i in range(27)]
    sends += [refused(i, 100.0 + i / 10) for i in range(27, 30)]
    mails = [assigned(f"issue-{i}", 100.2 + i / 10) for i in range(27)]
    step = summarize(sends, mails, Window(100.0, 3.0), offered_rate=10.0)
    why = saturation(step)
    assert "3 of 30 POSTs refused (429, asked to retry)" in why
    assert not any("failed" in w for w in why)


def test_an_error_is_still_an_error_beside_refusals() -> None:
    sends = [
        send(0, 100.0),
        refused(1, 100.1),
        send(2, 100.2, status=503),
        send(3, 100.3, status=0),
    ]
    step = summarize(sends, [], Window(100.0, 1.0), offered_rate=4.0)
    assert (step.accepted, step.refused, step.failed) == (1, 1, 2)
    assert step.retry_after_p50_s == 5.0


def test_a_record_without_retry_after_still_reads() -> None:
    # Sends recorded before the load generator kept Retry-After.
    old = Send(**{"seq": 0, "intended": 1.0, "sent": 1.0, "done": 1.1, "status": 202,
                  "issue_id": "issue-0"})  # fmt: skip
    assert old.retry_after is None and old.accepted and not old.refused
