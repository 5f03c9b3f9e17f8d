"""``/links/rate/{token}``: the satisfaction rating a reporter reaches from the
resolution message. Not under ``/v1``: the reporter has no session, and the
signed token is the only credential (it names the issue, nothing more). GET
shows the form and changes nothing (mail scanners follow links; ``?rating=4``
only preselects); the form's POST records the one answer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qsl

from baton_runtime.links import LinkError
from baton_runtime.service import SessionDep
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader
from sqlalchemy.exc import IntegrityError

from baton_intake.deps import RuntimeDep
from baton_intake.outbound import rating
from baton_intake.outbound.language import FALLBACK
from baton_intake.text import safe_text

router = APIRouter(prefix="/links", tags=["links"])
_pages = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True)
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the token is in the URL
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'",
}


def _page(language: str, status: int = 200, **values: object) -> HTMLResponse:
    values.setdefault("ref", None)
    html = _pages.get_template(f"{language}/rate.html.j2").render(language=language, **values)
    return HTMLResponse(html, status_code=status, headers=HEADERS)


@router.get("/rate/{token}", response_class=HTMLResponse)
async def show(
    token: str,
    runtime: RuntimeDep,
    session: SessionDep,
    chosen: Annotated[int | None, Query(alias="rating", ge=1, le=5)] = None,
) -> HTMLResponse:
    try:
        found = await rating.asked(session, runtime.settings, token)
    except LinkError as exc:
        return _page(FALLBACK, 400, state="invalid", problem=str(exc).capitalize())
    c = found.conversation
    if found.rated is not None:
        return _page(c.language, state="already", ref=c.reference)
    return _page(c.language, state="form", ref=c.reference, subject=c.subject,
                 action=f"/links/rate/{token}", chosen=chosen)  # fmt: skip


@router.post("/rate/{token}", response_class=HTMLResponse)
async def record(
    token: str, request: Request, runtime: RuntimeDep, session: SessionDep
) -> HTMLResponse:
    """The form's answer: ``rating`` (1 to 5) and ``comment`` (optional)."""
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    score = form.get("rating", "")
    if score not in {"1", "2", "3", "4", "5"}:
        return _page(FALLBACK, 422, state="invalid", problem="Choose a rating from 1 to 5")
    comment = safe_text(form.get("comment", ""))[:2_000]
    try:
        async with session.begin():
            found = await rating.asked(session, runtime.settings, token)
            c = found.conversation
            if found.rated is not None:
                return _page(c.language, 409, state="already", ref=c.reference)
            rating.rate(session, runtime.settings, issue_id=c.issue_id, rating=int(score),
                        comment=comment)  # fmt: skip
    except LinkError as exc:
        return _page(FALLBACK, 400, state="invalid", problem=str(exc).capitalize())
    except IntegrityError:  # the same answer sent twice at once: the first counts
        return _page(c.language, 409, state="already", ref=c.reference)
    return _page(c.language, state="thanks", ref=c.reference, chosen=int(score))
