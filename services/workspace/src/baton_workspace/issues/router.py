"""``/issues/{id}``: one issue, and every action on it. Each action is a form
POST (with the person's CSRF token) that the workspace sends to ownership's API
as that person; the page then shows ownership's answer at once, or, when the
issue changed meanwhile (409), says so with its fresh state."""

from __future__ import annotations

from typing import Annotated, Any

from baton_runtime.identity import allow
from baton_runtime.service import SessionDep
from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_workspace import access, web
from baton_workspace.commands import Answer, Ownership
from baton_workspace.departments.service import all_departments, names
from baton_workspace.deps import ActingDep, ClockDep, OwnershipDep, Who, WhoDep
from baton_workspace.issues import conversation, service
from baton_workspace.projection import service as projection
from baton_workspace.projection.fold import Folded

router = APIRouter(prefix="/issues", tags=["issues"])
WORKERS = allow("liaison", "head")
ACTION = WORKERS | web.SEE_OTHER
Version = Annotated[int, Form(ge=1)]
Text = Annotated[str, Form(min_length=1, max_length=2000)]
Words = Annotated[str, Form(min_length=1, max_length=10_000)]  # as ownership takes a remark


async def visible(session: AsyncSession, issue_id: str, who: Who) -> Folded:
    """The issue, if the person may see it (else the same 404 as for none)."""
    issue = await projection.load(session, issue_id)
    if issue is None or not access.may_see(who.caller, issue.departments):
        raise access.not_found(f"Issue {issue_id!r}")
    return issue


@router.get("/{issue_id}", **WORKERS, **web.PAGE)
async def issue_page(
    request: Request, issue_id: str, who: WhoDep, session: SessionDep, clock: ClockDep,
    ownership: OwnershipDep,
) -> Response:  # fmt: skip
    issue = await visible(session, issue_id, who)
    people = await names(session)
    jar_flash = request.app.state.jar.flash(request) or {}
    now = service.current(issue, jar_flash.get("state"))
    moment = clock()
    recorded = await conversation.read(ownership, issue, who.auth)
    thread = conversation.thread(issue, people, recorded)
    sent, goes = conversation.reply_goes(issue.reported)
    return web.render(
        request,
        "issue.html",
        {
            "issue": issue,
            "now": now,
            "moment": moment,
            "who": who,
            "names": people,
            "owner_name": people.get(now.owner_id or "", issue.owner_name or now.owner_id),
            "next": service.what_next(issue, now, who.caller, people),
            "contact": service.sees_contact(who.caller, now),
            "history": service.history(issue, people, conversation.history_lines(thread)),
            "thread": thread,
            "notes_unread": recorded.unread,
            "may_write": conversation.may_write(now, who.caller),
            "reply_sent": sent,
            "reply_goes": goes,
            "notices": service.notices(issue, people),
            "journey": service.journey(issue, people, moment),
            "departments": [d for d in await all_departments(session) if d != now.department],
            "resolutions": service.RESOLUTIONS,
            "open_helps": [h for h in issue.helps.values() if h.status == "open"],
        },
    )


def _state_text(state: dict[str, Any], people: dict[str, str]) -> str:
    owner = people.get(state.get("owner_id", ""), state.get("owner_id", "someone"))
    return (
        f"It is now {state.get('state')}, held by {owner} in "
        f"{web.label(state.get('department'))} (version {state.get('version')})."
    )


async def act(
    request: Request,
    session: AsyncSession,
    who: Who,
    ownership: OwnershipDep,
    issue_id: str,
    path: str,
    body: dict[str, Any],
    *,
    done: str,
) -> Response:
    await visible(session, issue_id, who)
    answer = await ownership.call("POST", f"/v1/issues/{issue_id}{path}", auth=who.auth, json=body)
    people = await names(session)
    if answer.ok:
        assert isinstance(answer.body, dict)
        flash = {"kind": "ok", "title": done, "detail": _state_text(answer.body, people),
                 "state": answer.body}  # fmt: skip
    else:
        flash = await _refusal(answer, ownership, issue_id, who, people)
    return web.redirect(request, f"/issues/{issue_id}", flash)


async def _refusal(
    answer: Answer, ownership: Ownership, issue_id: str, who: Who, people: dict[str, str]
) -> dict[str, Any]:
    """Ownership's refusal in its words; for a conflict, with the issue's fresh state."""
    title, detail = answer.problem()
    if not answer.conflict:
        return {"kind": "error", "title": f"Not done: {title.lower()}", "detail": detail}
    fresh = await ownership.issue(issue_id, auth=who.auth)
    state = fresh.body if fresh.ok and isinstance(fresh.body, dict) else None
    now = _state_text(state, people) if state else ""
    return {"kind": "error", "title": f"Not done: {title.lower()}",
            "detail": f"{detail} {now} Check the page and try again if it still needs doing.",
            "state": state}  # fmt: skip


async def remark(
    request: Request, session: AsyncSession, who: Who, ownership: Ownership, issue_id: str,
    text: str, *, public: bool,
) -> Response:  # fmt: skip
    """A reply to the reporter (``public``) or an internal note: neither changes the
    issue's state, so the message says where the words went, not what the issue is."""
    issue = await visible(session, issue_id, who)
    path = "/replies" if public else "/notes"
    answer = await ownership.call(
        "POST", f"/v1/issues/{issue_id}{path}", auth=who.auth, json={"text": text}
    )
    if not answer.ok:
        flash = await _refusal(answer, ownership, issue_id, who, await names(session))
    elif not public:
        told = "Colleagues who work the issue see it; the reporter is never sent it."
        flash = {"kind": "ok", "title": "Internal note added", "detail": told}
    else:
        sent, goes = conversation.reply_goes(issue.reported)
        title = "Reply on its way to the reporter" if sent else "Reply kept in the history"
        flash = {"kind": "ok", "title": title, "detail": goes}
    if answer.ok and isinstance(answer.body, dict):
        # Ownership's word on the issue is fresher than the read model's: the forms
        # after it must carry the version it gave (an acknowledgement may be in flight).
        flash["state"] = answer.body
    return web.redirect(request, f"/issues/{issue_id}#conversation-h", flash)


@router.post("/{issue_id}/acknowledge", **ACTION)
async def acknowledge(
    request: Request, issue_id: str, version: Version, who: ActingDep, session: SessionDep,
    ownership: OwnershipDep,
) -> Response:  # fmt: skip
    return await act(request, session, who, ownership, issue_id, "/acknowledge",
                     {"version": version}, done="Acknowledged")  # fmt: skip


@router.post("/{issue_id}/handoff", **ACTION)
async def hand_off(
    request: Request, issue_id: str, version: Version, to_department: Annotated[str, Form()],
    note: Text, who: ActingDep, session: SessionDep, ownership: OwnershipDep,
) -> Response:  # fmt: skip
    body = {"version": version, "to_department": to_department, "reason": note}
    return await act(request, session, who, ownership, issue_id, "/handoffs", body,
                     done=f"Hand-off asked of {web.label(to_department)}")  # fmt: skip


@router.post("/{issue_id}/handoffs/{handoff_id}/accept", **ACTION)
async def accept(
    request: Request, issue_id: str, handoff_id: int, version: Version, who: ActingDep,
    session: SessionDep, ownership: OwnershipDep,
) -> Response:  # fmt: skip
    return await act(request, session, who, ownership, issue_id,
                     f"/handoffs/{handoff_id}/accept", {"version": version},
                     done="Accepted: you own this issue now")  # fmt: skip


@router.post("/{issue_id}/handoffs/{handoff_id}/decline", **ACTION)
async def decline(
    request: Request, issue_id: str, handoff_id: int, version: Version, reason: Text,
    who: ActingDep, session: SessionDep, ownership: OwnershipDep,
    suggested_department: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    body: dict[str, Any] = {"version": version, "reason": reason}
    if suggested_department:
        body["suggested_department"] = suggested_department
    return await act(request, session, who, ownership, issue_id,
                     f"/handoffs/{handoff_id}/decline", body, done="Declined")  # fmt: skip


@router.post("/{issue_id}/help", **ACTION)
async def ask_help(
    request: Request, issue_id: str, version: Version, department: Annotated[str, Form()],
    question: Text, who: ActingDep, session: SessionDep, ownership: OwnershipDep,
    due_in_hours: Annotated[float, Form(gt=0, le=720)] = 24,
) -> Response:  # fmt: skip
    body = {"version": version, "department": department, "question": question,
            "due_in_hours": due_in_hours}  # fmt: skip
    return await act(request, session, who, ownership, issue_id, "/help", body,
                     done=f"Help asked of {web.label(department)}")  # fmt: skip


@router.post("/{issue_id}/help/{help_id}/answer", **ACTION)
async def answer_help(
    request: Request, issue_id: str, help_id: int, version: Version, answer: Text,
    who: ActingDep, session: SessionDep, ownership: OwnershipDep,
) -> Response:  # fmt: skip
    return await act(request, session, who, ownership, issue_id, f"/help/{help_id}/answer",
                     {"version": version, "answer": answer}, done="Answered")  # fmt: skip


@router.post("/{issue_id}/resolve", **ACTION)
async def resolve(
    request: Request, issue_id: str, version: Version, category: Annotated[str, Form()],
    note: Text, who: ActingDep, session: SessionDep, ownership: OwnershipDep,
) -> Response:  # fmt: skip
    kinds = dict(service.RESOLUTIONS)
    resolution = f"{kinds.get(category, 'Other')}: {note}"
    return await act(request, session, who, ownership, issue_id, "/resolve",
                     {"version": version, "resolution": resolution}, done="Resolved")  # fmt: skip


@router.post("/{issue_id}/reopen", **ACTION)
async def reopen(
    request: Request, issue_id: str, version: Version, reason: Text, who: ActingDep,
    session: SessionDep, ownership: OwnershipDep,
) -> Response:  # fmt: skip
    return await act(request, session, who, ownership, issue_id, "/reopen",
                     {"version": version, "reason": reason}, done="Reopened")  # fmt: skip


def _remarks(said: str, *, public: bool) -> None:
    """``POST /issues/{id}/<said>``: a reply to the reporter (``public``) or a note;
    the two differ only in who reads the words."""

    async def route(
        request: Request,
        issue_id: str,
        text: Words,
        who: ActingDep,
        session: SessionDep,
        ownership: OwnershipDep,
    ) -> Response:
        return await remark(request, session, who, ownership, issue_id, text, public=public)

    router.post(f"/{{issue_id}}/{said}", name=said, **ACTION)(route)


_remarks("reply", public=True)
_remarks("note", public=False)
