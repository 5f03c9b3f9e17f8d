"""Rendering pages: one Jinja2 template per page, with blocks for the parts
that update alone (jinja2-fragments); what every page needs (who is signed in,
their CSRF token, the one-time message after an action); times as people read
them; and errors as pages for a browser, problem details for a script."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from baton_runtime.problems import PROBLEM_JSON, Problem, install_problem_handlers
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from jinja2_fragments import render_block
from jinja2_fragments.fastapi import Jinja2Blocks
from starlette.exceptions import HTTPException as StarletteHTTPException

from baton_workspace.cookies import FLASH, Jar


class EventStream(StreamingResponse):
    media_type = "text/event-stream"


# How the OpenAPI document describes the workspace's answers, where FastAPI would
# say JSON: a page is HTML; an action (and the start page) answers 303 See Other,
# to the page that shows its result; the live list is a stream of events.
PAGE: dict[str, Any] = {"response_class": HTMLResponse}
SEE_OTHER: dict[str, Any] = {
    "status_code": 303,
    "response_class": RedirectResponse,
    "response_description": "See Other: the page that shows the result",
}
EVENTS: dict[str, Any] = {"response_class": EventStream}

TEMPLATES = Jinja2Blocks(directory=Path(__file__).parent / "templates")
ENV = TEMPLATES.env


def minutes_text(minutes: float | None) -> str:
    """3 -> '3m', 125 -> '2h 05m', 3000 -> '2d 02h'."""
    if minutes is None:
        return "—"
    if 0 < minutes < 1:
        return "<1m"
    minutes = max(0, round(minutes))
    days, rest = divmod(minutes, 60 * 24)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {mins:02d}m"
    return f"{mins}m"


def span(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return "—"
    return minutes_text((end - start).total_seconds() / 60)


def countdown(due: datetime | None, now: datetime) -> tuple[str, bool]:
    """('in 2h 05m', False) or ('overdue by 15m', True)."""
    if due is None:
        return "no deadline", False
    left = (due - now).total_seconds() / 60
    if left < 0:
        return f"overdue by {minutes_text(-left)}", True
    return f"in {minutes_text(left)}", False


def when(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(UTC).strftime("%d %b %H:%M UTC")


def iso(moment: datetime | None) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else ""


def label(name: str | None) -> str:
    """customer_service -> Customer service, it -> IT, hr -> HR."""
    name = name or ""
    return name.upper() if len(name) <= 2 else name.replace("_", " ").capitalize()


ENV.filters.update(when=when, iso=iso, label=label, minutes=minutes_text)
ENV.globals.update(span=span, countdown=countdown, quote=quote)


def _common(request: Request) -> dict[str, Any]:
    session = getattr(request.state, "session", None)
    jar: Jar = request.app.state.jar
    return {
        "session": session,
        "csrf": session.csrf if session is not None else "",
        "flash": jar.flash(request),
        "path": request.url.path,
    }


def render(request: Request, name: str, context: dict[str, Any], *, status: int = 200) -> Response:
    """A whole page, keeping a renewed session and using up the one-time message."""
    response = TEMPLATES.TemplateResponse(
        request, name, _common(request) | context, status_code=status
    )
    jar: Jar = request.app.state.jar
    renewed = getattr(request.state, "renewed", None)
    if renewed is not None:
        jar.keep_session(response, renewed)
    if FLASH in request.cookies:
        jar.forget(response, FLASH)
    response.headers["Cache-Control"] = "no-store"
    return response


def fragment(request: Request, name: str, block: str, context: dict[str, Any]) -> str:
    """One block of a page, as HTML (a live list's update)."""
    return render_block(ENV, name, block, _common(request) | context)


def redirect(request: Request, url: str, flash: dict[str, Any] | None = None) -> Response:
    """After a POST: back to a page (303), with a one-time message for it."""
    response = RedirectResponse(url, status_code=303)
    if flash is not None:
        jar: Jar = request.app.state.jar
        jar.keep_flash(response, flash)
    return response


def trouble(request: Request, title: str, detail: str, *, status: int = 400) -> Response:
    return render(request, "trouble.html", {"title": title, "detail": detail}, status=status)


def wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and PROBLEM_JSON not in accept


def install_error_pages(app: FastAPI) -> None:
    """Problems as pages for a browser (a 401 sends it to sign in), as problem
    details (RFC 9457) for everyone else."""
    install_problem_handlers(app)
    as_json = {
        cls: app.exception_handlers[cls]
        for cls in (Problem, RequestValidationError, StarletteHTTPException)
    }

    async def page(request: Request, exc: Exception) -> Response:
        if not wants_html(request):
            handler = next(as_json[c] for c in type(exc).__mro__ if c in as_json)
            return await handler(request, exc)  # type: ignore[no-any-return, operator]
        if isinstance(exc, Problem):
            status, title, detail = exc.status, exc.title, exc.detail
        elif isinstance(exc, RequestValidationError):
            fields = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'][1:])}: {err['msg']}" for err in exc.errors()
            )
            status, title, detail = 422, "Some fields need another look", fields
        else:
            assert isinstance(exc, StarletteHTTPException)
            status, title, detail = exc.status_code, "Not found", str(exc.detail)
        if status == 401:
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            target = f"/login?next={quote(here)}"
            if request.headers.get("hx-request"):
                return Response(status_code=401, headers={"HX-Redirect": target})
            return RedirectResponse(target, status_code=303)
        return trouble(request, title, detail, status=status)

    for cls in as_json:
        app.add_exception_handler(cls, page)


def utcnow() -> datetime:
    return datetime.now(UTC)


__all__ = ["countdown", "fragment", "redirect", "render", "span", "timedelta", "trouble", "when"]
