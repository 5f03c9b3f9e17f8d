"""Who is on call: weekly turns handed over at a local time (daylight saving
included), layers in escalation order, and one-off overrides on top."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from baton_contracts.calendars import OnCall, Override, RotationLayer
from baton_runtime.workingtime import on_call

BERLIN = ZoneInfo("Europe/Berlin")
SCHEDULE = OnCall(
    layers=[
        RotationLayer(name="primary", people=["ana", "ben", "cem"],
                      first_handover=datetime(2026, 3, 2, 9, 0)),
        RotationLayer(name="secondary", people=["head"], first_handover=datetime(2026, 1, 5, 9)),
    ],
)  # fmt: skip


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def primary(schedule: OnCall, moment: datetime) -> str:
    return on_call(schedule, BERLIN, moment)[0][1]


def test_each_person_takes_a_week_in_turn_and_hands_over_at_nine():
    assert primary(SCHEDULE, at(2026, 3, 2, 8, 59)) == "cem"  # before the first hand-over
    assert primary(SCHEDULE, at(2026, 3, 2, 9, 0)) == "ana"
    assert primary(SCHEDULE, at(2026, 3, 8, 23, 0)) == "ana"
    assert primary(SCHEDULE, at(2026, 3, 9, 9, 0)) == "ben"
    assert primary(SCHEDULE, at(2026, 3, 16, 9, 0)) == "cem"
    assert primary(SCHEDULE, at(2026, 3, 23, 9, 0)) == "ana"


def test_the_hand_over_stays_at_local_nine_across_the_spring_change():
    # Berlin moves its clocks on 29 March: the hand-over on the 30th is still 09:00 local.
    assert primary(SCHEDULE, at(2026, 3, 30, 8, 59)) == "ana"
    assert primary(SCHEDULE, at(2026, 3, 30, 9, 0)) == "ben"
    assert primary(SCHEDULE, datetime(2026, 3, 30, 7, 0, tzinfo=UTC)) == "ben"  # 09:00 CEST


def test_layers_come_in_escalation_order():
    assert on_call(SCHEDULE, BERLIN, at(2026, 3, 10, 2, 0)) == [
        ("primary", "ben"),
        ("secondary", "head"),
    ]


def test_an_override_replaces_the_rotation_for_its_hours_only():
    schedule = SCHEDULE.model_copy(
        update={"overrides": [
            Override(layer="primary", person_id="dora", start=at(2026, 3, 10, 18),
                     end=at(2026, 3, 11, 9)),
            Override(layer="primary", person_id="emil", start=at(2026, 3, 10, 22),
                     end=at(2026, 3, 10, 23)),
        ]}
    )  # fmt: skip
    assert primary(schedule, at(2026, 3, 10, 17, 59)) == "ben"
    assert primary(schedule, at(2026, 3, 10, 18, 0)) == "dora"
    assert primary(schedule, at(2026, 3, 10, 22, 30)) == "emil"  # the later one wins
    assert primary(schedule, at(2026, 3, 11, 9, 0)) == "ben"
    assert on_call(schedule, BERLIN, at(2026, 3, 10, 22, 30))[1] == ("secondary", "head")


def test_schedules_refuse_what_cannot_mean_anything():
    with pytest.raises(ValueError, match="unknown layer"):
        OnCall(layers=SCHEDULE.layers, overrides=[
            Override(layer="tertiary", person_id="x", start=at(2026, 1, 1), end=at(2026, 1, 2))
        ])  # fmt: skip
    with pytest.raises(ValueError, match="without one"):
        RotationLayer(name="p", people=["a"], first_handover=at(2026, 1, 5, 9))
    with pytest.raises(ValueError, match="unique"):
        OnCall(layers=[SCHEDULE.layers[0], SCHEDULE.layers[0]])
