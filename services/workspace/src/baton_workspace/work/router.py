"""``/my-work``: a liaison's queue, kept current without a reload (server-sent
events: ``/my-work/live`` sends the list again whenever it changes)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

from baton_runtime.identity import ANYONE, allow
from baton_runtime.service import SessionDep
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from baton_workspace import web
from baton_workspace.deps import ClockDep, RuntimeDep, WhoDep
from baton_workspace.live import Changes
from baton_workspace.work import service

router = APIRouter(tags=["my work"])
PAGE = "work.html"


@router.get("/", **allow(ANYONE), **web.SEE_OTHER)
async def home(who: WhoDep) -> Response:
    """Liaisons and heads start at their work; everyone else at the stall board."""
    works = who.caller.may("liaison", "head") and not who.caller.administrator
    return RedirectResponse("/my-work" if works else "/stalls", status_code=303)


@router.get("/my-work", **allow("liaison", "head"), **web.PAGE)
async def my_work(request: Request, who: WhoDep, session: SessionDep, clock: ClockDep) -> Response:
    work = await service.my_work(session, who=who.caller)
    return web.render(request, PAGE, {"work": work, "now": clock(), "who": who})


@router.get("/my-work/live", **allow("liaison", "head"), **web.EVENTS)
async def live(
    request: Request, who: WhoDep, runtime: RuntimeDep, clock: ClockDep, seen: str = ""
) -> StreamingResponse:
    """An event stream: ``work`` events carry the list's HTML whenever it changes."""
    changes: Changes = request.app.state.changes
    settings = runtime.settings

    async def stream() -> AsyncIterator[str]:
        last = seen
        ends = time.monotonic() + settings.workspace_live_max_seconds
        yield "retry: 2000\n\n"
        while time.monotonic() < ends and not await request.is_disconnected():
            async with runtime.db.session() as session:
                work = await service.my_work(session, who=who.caller)
            if work.fingerprint != last:
                last = work.fingerprint
                html = web.fragment(request, PAGE, "live", {"work": work, "now": clock()})
                yield "event: work\n" + "".join(f"data: {line}\n" for line in html.splitlines())
                yield "\n"
            else:
                yield ": still here\n\n"
            await changes.wait(settings.workspace_live_poll_seconds)
            await asyncio.sleep(0)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
