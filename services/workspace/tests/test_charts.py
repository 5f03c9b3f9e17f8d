"""The journey's geometry: every stay reads as a bar, on the axis, holding its marks."""

from datetime import UTC, datetime, timedelta

from baton_workspace.charts import LABEL_ROOM, MIN_BAR, timeline

START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def stay(department: str, began: timedelta, ended: timedelta | None, marks=()) -> dict[str, object]:
    return {
        "department": department,
        "holders": "someone",
        "duration": "<1m",
        "outcome": "resolved" if ended is None else "handed off",
        "started_at": START + began,
        "ended_at": None if ended is None else START + ended,
        "marks": [(START + at, kind, kind) for at, kind in marks],
    }


def test_a_short_last_stay_is_a_bar_inside_the_axis_with_its_marks_on_it() -> None:
    end = START + timedelta(hours=2)
    chart = timeline(
        [
            stay("finance", timedelta(0), timedelta(hours=2) - timedelta(seconds=5),
                 marks=[(timedelta(hours=2) - timedelta(seconds=5), "handoff_accepted")]),
            stay("operations", timedelta(hours=2) - timedelta(seconds=5), None,
                 marks=[(timedelta(hours=2), "escalated")]),
        ],
        start=START,
        end=end,
    )  # fmt: skip
    first, last = chart.lanes
    assert last.width >= MIN_BAR
    assert chart.left <= last.x and last.x + last.width <= chart.right
    for lane in chart.lanes:
        for mark in lane.marks:
            assert lane.x < mark.x < lane.x + lane.width, (lane.department, mark)
    assert first.width > 400  # the long stay keeps its length on the scale


def test_stays_keep_their_place_on_the_scale() -> None:
    chart = timeline(
        [stay("finance", timedelta(0), timedelta(hours=1)), stay("it", timedelta(hours=1), None)],
        start=START,
        end=START + timedelta(hours=2),
    )
    first, last = chart.lanes
    assert abs(first.width - last.width) < 1
    assert abs(first.x + first.width - last.x) < 1


def test_the_stay_that_holds_it_now_reaches_now_however_young_the_journey() -> None:
    # A page opened within a second of the report: the axis ends at now, and so does
    # the stay that holds the issue (the scale once had a floor of one second).
    chart = timeline(
        [stay("finance", timedelta(milliseconds=30), None)],
        start=START,
        end=START + timedelta(milliseconds=630),
    )
    (held,) = chart.lanes
    assert held.x + held.width == chart.right
    assert held.width > (chart.right - chart.left) / 2  # nearly all of it, not a 28 px stub


def test_each_label_sits_under_its_own_bar() -> None:
    # A journey under a minute: the last stay is a short bar at the axis' end. Its
    # label ends where the bar ends (it once began 150 px before the axis' end,
    # off to the bar's left); a bar with room after it starts its label.
    chart = timeline(
        [
            stay("finance", timedelta(0), timedelta(seconds=40)),
            stay("operations", timedelta(seconds=40), timedelta(seconds=41)),
        ],
        start=START,
        end=START + timedelta(seconds=41),
    )
    first, last = chart.lanes
    assert (first.label_anchor, first.label_x) == ("start", first.x + 4)
    assert first.label_x + LABEL_ROOM <= chart.right
    assert (last.label_anchor, last.label_x) == ("end", last.x + last.width)
