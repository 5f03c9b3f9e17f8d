"""``/scorecards``: how each department, and each liaison, answered over the
last 30 days, and how reporters rated it (from the read model); the interrupt
load and internal customers' requests (read live, ``elsewhere``). Open to every
employee; counts and times only, no customer data."""

from __future__ import annotations

from typing import Annotated

from baton_runtime.identity import allow
from baton_runtime.service import SessionDep
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlmodel import select

from baton_workspace import web
from baton_workspace.departments.service import all_departments, names
from baton_workspace.deps import ClockDep, NotificationsDep, OwnershipDep, WhoDep
from baton_workspace.projection.models import DepartmentView
from baton_workspace.scorecards import elsewhere, service

router = APIRouter(tags=["scorecards"])


@router.get("/scorecards", **allow("reader"), **web.PAGE)
async def scorecards(
    request: Request,
    who: WhoDep,
    session: SessionDep,
    clock: ClockDep,
    ownership: OwnershipDep,
    notifications: NotificationsDep,
    department: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    scores = await request.app.state.scores.get(session, now=clock())
    people = [
        card for card in scores.people.values() if not department or card.department == department
    ]
    known = await all_departments(session)
    rows = [scores.departments.get(d) or service.Card(d) for d in known]
    shown = [d for d in known if not department or d == department]
    views = (await session.exec(select(DepartmentView))).all()
    live = await elsewhere.read(
        ownership=ownership, notifications=notifications, cache=request.app.state.elsewhere,
        auth=who.auth, departments=shown, since=scores.since, until=scores.until,
        targets={v.name: v.internal_targets or [] for v in views},
    )  # fmt: skip
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
            "live": live,
            "who": who,
        },
    )
