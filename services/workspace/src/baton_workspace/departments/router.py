"""``/departments/{name}``: a department's open issues and who holds them; its
members, whose on-duty and capacity its head (or each member, for themself)
changes through ownership's API."""

from __future__ import annotations

from typing import Annotated

from baton_runtime.identity import allow
from baton_runtime.problems import Problem
from baton_runtime.service import SessionDep
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from baton_workspace import access, web
from baton_workspace.departments import service
from baton_workspace.deps import ActingDep, ClockDep, OwnershipDep, WhoDep

router = APIRouter(prefix="/departments", tags=["departments"])


@router.get("", **allow("liaison", "head"), **web.PAGE)
async def my_departments(who: WhoDep, session: SessionDep) -> Response:
    """Straight to one's (first) department."""
    mine = sorted(who.caller.departments)
    if not mine and access.sees_all(who.caller):
        mine = await service.all_departments(session)
    if not mine:
        raise Problem(404, "You belong to no department.", title="No department")
    return RedirectResponse(f"/departments/{mine[0]}", status_code=303)


@router.get("/{name}", **allow("liaison", "head"), **web.PAGE)
async def department_page(
    request: Request,
    name: str,
    who: WhoDep,
    session: SessionDep,
    clock: ClockDep,
    ownership: OwnershipDep,
) -> Response:
    view = await service.department(session, name)
    if view is None or not access.member_of(who.caller, name):
        raise access.not_found(f"Department {name!r}")
    members = await service.members(session, view)
    answer = await ownership.members(name, auth=who.auth)
    if answer.ok and isinstance(answer.body, list):
        known = {m["person_id"]: m for m in answer.body}
        for member in members:
            if member.person_id in known:
                member.on_duty = known[member.person_id]["on_duty"]
                member.capacity = known[member.person_id]["capacity"]
    departments = sorted(who.caller.departments) or await service.all_departments(session)
    return web.render(
        request,
        "department.html",
        {
            "department": view,
            "members": members,
            "availability_known": answer.ok,
            "issues": await service.open_issues(session, name),
            "open_count": await service.open_count(session, name),
            "names": await service.names(session),
            "manages": access.heads(who.caller, view.head_id),
            "departments": departments,
            "now": clock(),
            "who": who,
        },
    )


@router.post(
    "/{name}/members/{person_id}/availability", **allow("head", "liaison"), **web.SEE_OTHER
)
async def set_availability(
    request: Request,
    name: str,
    person_id: str,
    who: ActingDep,
    session: SessionDep,
    ownership: OwnershipDep,
    on_duty: Annotated[str | None, Form(pattern="^(true|false)$")] = None,
    capacity: Annotated[int | None, Form(ge=0, le=10_000)] = None,
) -> Response:
    """On duty or away, and capacity: the head for any member, a member for themself."""
    view = await service.department(session, name)
    if view is None or not access.member_of(who.caller, name):
        raise access.not_found(f"Department {name!r}")
    if person_id != who.person_id and not access.heads(who.caller, view.head_id):
        raise Problem(403, f"Only the head of {name} changes its members' availability.",
                      title="Not yours to change")  # fmt: skip
    body: dict[str, object] = {}
    if on_duty is not None:
        body["on_duty"] = on_duty == "true"
    if capacity is not None:
        body["capacity"] = capacity
    answer = await ownership.call(
        "PUT", f"/v1/departments/{name}/members/{person_id}/availability", auth=who.auth,
        json=body,
    )  # fmt: skip
    names = await service.names(session)
    person = names.get(person_id, person_id)
    if answer.ok:
        assert isinstance(answer.body, dict)
        duty = "on duty" if answer.body.get("on_duty") else "away"
        flash = {"kind": "ok", "title": f"{person} is {duty}",
                 "detail": f"Capacity {answer.body.get('capacity')} open issues."}  # fmt: skip
    else:
        title, detail = answer.problem()
        flash = {"kind": "error", "title": title, "detail": detail}
    return web.redirect(request, f"/departments/{name}", flash)
