"""The bench's report and options around intake's back-pressure: refusals (429)
get their own column and sentence, apart from errors and lost issues; results
recorded before refusals were counted still render; ``--set`` passes a Baton
setting to every service, and nothing else."""

from __future__ import annotations

import pytest

from bench.e2e.config import parse_args
from bench.e2e.report import _backend, _phase_table


def step(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "name": "open-50", "offered_rate": 50.0, "sent_rate": 50.0, "sent": 2000,
        "accepted_rate": 20.0, "post_p50_ms": 5.0, "post_p99_ms": 40.0,
        "e2e_p50_ms": 300.0, "e2e_p99_ms": 900.0, "delivered_rate": 19.5, "failed": 2,
        "missing": 0, "duplicated": 0, "why_saturated": [], "saturated": False,
        "drain": "complete", "cpu_percent": {"intake": 50.0, "machine": 90.0},
        "send_lag_p99_ms": 1.0,
    }  # fmt: skip
    return base | changes


def test_the_phase_table_shows_refusals_and_errors_apart() -> None:
    rows = _phase_table([step(refused=1200, refused_rate=30.0)], step(name="closed"), "closed")
    assert "refused /s (429)" in rows[0] and "errors" in rows[0]
    cells = [c.strip() for c in rows[2].split("|")]
    assert cells[4] == "30.0"  # refused /s
    assert cells[10] == "2"  # errors
    assert cells[11] == "0"  # lost


def test_results_from_before_refusals_were_counted_render_with_none() -> None:
    rows = _phase_table([step()], step(name="closed"), "closed")
    assert [c.strip() for c in rows[2].split("|")][4] == "0.0"


def test_a_backend_with_refusals_says_how_many_and_the_retry_after() -> None:
    refusing = step(refused=1200, refused_rate=30.0, retry_after_p50_s=12.0)
    backend = {
        "startup_s": 5.0, "notices": {"assigned": 800}, "final_drain": "complete",
        "steps": [refusing], "closed_loop": step(name="closed-16", clients=16, offered_rate=None),
        "memory_mb": {},
    }  # fmt: skip
    text = "\n".join(_backend("sqlite", backend))
    assert "open-50: 1200 of 2000 (Retry-After median 12.0 s)" in text


def test_set_passes_baton_settings_to_the_services() -> None:
    cfg = parse_args(["--quick", "--set", "BATON_INTAKE_MAX_OUTBOX_BACKLOG=0"])
    assert cfg.settings == {"BATON_INTAKE_MAX_OUTBOX_BACKLOG": "0"}
    assert parse_args(["--quick"]).settings == {}


@pytest.mark.parametrize("item", ["KAFKA_BOOTSTRAP_SERVERS=x", "BATON_NO_VALUE"])
def test_set_takes_only_baton_name_value(item: str) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--set", item])
