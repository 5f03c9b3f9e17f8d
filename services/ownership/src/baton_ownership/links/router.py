"""``/links/acknowledge/{token}``: the acknowledge link of an owner's notice. Not
under ``/v1``: who follows it has no session, and the signed token is the only
credential (it names the issue and the person). GET shows what the link would do
and changes nothing (mail scanners follow links); only the page's POST acts."""

from __future__ import annotations

from baton_runtime.links import LinkError
from baton_runtime.service import SessionDep
from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from baton_ownership.core.errors import Stale
from baton_ownership.core.store import Ctx
from baton_ownership.deps import ClockDep, RuntimeDep
from baton_ownership.links import service
from baton_ownership.links.pages import page

router = APIRouter(prefix="/links", tags=["links"])
TITLE = "Acknowledge an issue"


def _claims(runtime: RuntimeDep, token: str) -> dict | HTMLResponse:  # type: ignore[type-arg]
    try:
        return service.claims_of(token, key=runtime.settings.link_signing_key.get_secret_value())
    except LinkError as exc:
        return page(TITLE, f"Sorry: {exc}. Open the issue from Baton instead.", status=400)


@router.get("/acknowledge/{token}", response_class=HTMLResponse)
async def show(token: str, runtime: RuntimeDep, session: SessionDep) -> HTMLResponse:
    """What the link would do, and a button to do it."""
    claims = _claims(runtime, token)
    if isinstance(claims, HTMLResponse):
        return claims
    if await service.used(session, claims):
        return page(TITLE, "This link was already used.")
    row = await service.current(session, claims)
    if row is None:
        return page(TITLE, "The issue is not known here.", status=404)
    reference = "BTN-" + row.issue_id.replace("-", "")[:8].upper()
    if row.state != "assigned" or row.owner_id != claims["person_id"]:
        return page(TITLE, f"{reference} is {row.state} and held by {row.owner_name}: "
                    "nothing is left to acknowledge with this link.")  # fmt: skip
    return page(
        TITLE,
        f"{reference} in {row.department} is assigned to you, {row.owner_name}.",
        "Acknowledge it to say you have it: its acknowledge clock stops and it will not "
        "escalate for want of an answer.",
        form_action=f"/links/acknowledge/{token}",
        button=f"Acknowledge {reference}",
    )


@router.post("/acknowledge/{token}", response_class=HTMLResponse)
async def act(
    token: str, runtime: RuntimeDep, session: SessionDep, clock: ClockDep
) -> HTMLResponse:
    claims = _claims(runtime, token)
    if isinstance(claims, HTMLResponse):
        return claims
    for attempt in (1, 2):  # a change that raced this one: once more, at the new version
        ctx = Ctx(
            session=session, settings=runtime.settings, actor_id=claims["person_id"], clock=clock
        )
        try:
            async with session.begin():
                outcome = await service.acknowledge(ctx, claims)
            break
        except Stale:
            if attempt == 2:
                raise
    ctx.committed()
    return page(TITLE, outcome.message, status=200 if outcome.done else 409)
