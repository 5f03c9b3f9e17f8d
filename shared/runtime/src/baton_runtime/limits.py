"""The largest request body a service reads (``BATON_MAX_BODY_BYTES``): a bigger
one is answered 413 before any route, parser or authentication sees it, whether
its size was declared or it streams in chunks. The refusal is a ``Problem``
answered by the app's own handler for it (problem details, or the workspace's
page for a browser), though no route ran.

A NUL character in a path, query or JSON/form body is refused (422) here too:
PostgreSQL cannot store one in text, and no id or text a person writes has one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import Response
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from baton_runtime.problems import Problem, problem_response

# How an app answers a Problem (its exception handler for one).
Answer = Callable[[Request, Problem], Awaitable[Response]]


async def _as_problem_details(request: Request, exc: Problem) -> Response:
    return problem_response(request, exc.status, exc.title, exc.detail, **exc.extra)


MIB = 1024 * 1024
_TEXT_BODIES = (b"application/json", b"application/x-www-form-urlencoded")
_NUL_DETAIL = "Text may not contain a NUL character (\\u0000 or %00)."


def _has_nul(raw: bytes) -> bool:
    return b"\x00" in raw or b"%00" in raw


class LimitSettings(BaseSettings):
    """Part of every service's settings."""

    model_config = SettingsConfigDict(env_prefix="BATON_", extra="ignore")

    # Every service's JSON bodies are small; intake raises it for mail with attachments.
    max_body_bytes: int = Field(default=MIB, ge=1)


class BodyLimit:
    """Answer 413 for a body over ``max_bytes``, declared or streamed, before any
    route reads it (a chunked upload is counted as it arrives)."""

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, answer: Answer = _as_problem_details
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _has_nul(scope.get("raw_path") or scope["path"].encode()) or _has_nul(
            scope.get("query_string", b"")
        ):
            await self._refuse(scope, receive, send, 422, "Invalid request", _NUL_DETAIL)
            return
        if scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        kind = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip().lower()
        if kind in _TEXT_BODIES and (b"\x00" in body or b"\\u0000" in body.lower()):
            await self._refuse(scope, receive, send, 422, "Invalid request", _NUL_DETAIL)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"The request body may be at most {self.max_bytes} bytes."
        await self._refuse(scope, receive, send, 413, "Content Too Large", detail)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, status: int, title: str, detail: str
    ) -> None:
        instance = scope["path"].replace("\x00", "")
        problem = Problem(status, detail, title=title, instance=instance)
        response = await self.answer(Request(scope), problem)
        # The rest of a refused body is never read: the connection cannot be reused.
        response.headers["connection"] = "close"
        await response(scope, receive, send)


def install(app: FastAPI, settings: LimitSettings) -> None:
    async def answer(request: Request, exc: Problem) -> Response:
        # Looked up when refusing: a service may install its own handler later.
        return await app.exception_handlers[Problem](request, exc)  # type: ignore[no-any-return]

    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, answer=answer)
