"""``/stalls``: the stall board, open to every employee."""

from __future__ import annotations

from typing import Annotated

from baton_runtime.identity import allow
from baton_runtime.service import SessionDep
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from baton_workspace import charts, web
from baton_workspace.departments.service import all_departments, names
from baton_workspace.deps import ClockDep, WhoDep
from baton_workspace.scorecards import service as scorecards
from baton_workspace.stalls import service

router = APIRouter(tags=["stall board"])
PRIORITIES = ("urgent", "high", "normal", "low")


@router.get("/stalls", **allow("reader"), **web.PAGE)
async def stall_board(
    request: Request,
    who: WhoDep,
    session: SessionDep,
    clock: ClockDep,
    department: Annotated[str, Query(max_length=64)] = "",
    priority: Annotated[str, Query(pattern="^(|urgent|high|normal|low)$")] = "",
    kind: Annotated[str, Query(pattern="^(|internal|customer)$")] = "",
) -> Response:
    now = clock()
    filters = service.Filters(department, priority, kind)
    known = await all_departments(session)
    scores = await request.app.state.scores.get(session, now=now, people=False)
    shown = [d for d in known if not department or d == department]

    def rows(pick: str) -> list[tuple[str, float | None, float | None, int]]:
        cards = [scores.departments.get(d) or scorecards.Card(d) for d in shown]
        return [
            (
                web.label(c.name),
                getattr(c, pick).median,
                getattr(c, pick).p90,
                getattr(c, pick).count,
            )
            for c in cards
        ]

    return web.render(
        request,
        "stalls.html",
        {
            "rows": await service.board(session, now=now, filters=filters, departments=known),
            "longest": await service.longest_waiting(session, filters=filters),
            "filters": filters,
            "departments": known,
            "priorities": PRIORITIES,
            "names": await names(session),
            "acknowledge_chart": charts.bars(
                "Time to acknowledge", rows("acknowledge"), text=web.minutes_text
            ),
            "resolve_chart": charts.bars("Time to resolve", rows("resolve"), text=web.minutes_text),
            "now": now,
            "who": who,
        },
    )
