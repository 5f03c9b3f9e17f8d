"""``/scorecards``: how each department, and each liaison, answered over the
last 30 days. Open to every employee; counts and times only, no customer data."""

from __future__ import annotations

from typing import Annotated

from baton_runtime.identity import allow
from baton_runtime.service import SessionDep
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from baton_workspace import web
from baton_workspace.departments.service import all_departments, names
from baton_workspace.deps import ClockDep, WhoDep
from baton_workspace.scorecards import service

router = APIRouter(tags=["scorecards"])


@router.get("/scorecards", **allow("reader"))
async def scorecards(
    request: Request,
    who: WhoDep,
    session: SessionDep,
    clock: ClockDep,
    department: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    scores = await request.app.state.scores.get(session, now=clock())
    people = [
        card for card in scores.people.values() if not department or card.department == department
    ]
    known = await all_departments(session)
    rows = [scores.departments.get(d) or service.Card(d) for d in known]
    return web.render(
        request,
        "scorecards.html",
        {
            "scores": scores,
            "departments": rows if not department else [r for r in rows if r.name == department],
            "people": sorted(people, key=lambda c: (c.department, c.name)),
            "names": await names(session),
            "all_departments": known,
            "chosen": department,
            "who": who,
        },
    )
