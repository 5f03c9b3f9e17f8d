"""The doors: ``POST /v1/issues`` (agents' JSON, and web forms) and
``POST /v1/channels/{email,chat,phone,social}``. Thin entrypoints, each parsing
its door's format and handing it to its source; ``accept`` makes every answer
idempotent and durable."""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from baton_runtime.identity import Caller, CallerDep
from baton_runtime.problems import Problem
from baton_runtime.service import runtime_of
from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_intake.backlog import not_behind
from baton_intake.deps import WRITE, WRITE_ROLES, WRITE_SCOPE, check, principal
from baton_intake.issues import service
from baton_intake.issues.schemas import Draft, IssueAccepted, IssueCreate
from baton_intake.limits import require_media_type, validated
from baton_intake.responses import WRITE_ERRORS, problem
from baton_intake.settings import Settings
from baton_intake.sources import chat, email, phone, social, webform
from baton_intake.sources.accept import Work, accept, fingerprint

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Retries with the same key and body get the same answer and create nothing.",
        max_length=255,
    ),
]
ANSWERS = WRITE_ERRORS | {
    200: {"model": IssueAccepted, "description": "Already taken in: the existing issue."},
    202: {"model": IssueAccepted, "description": "Taken in; its event is durable in the outbox."},
}

# A door that would create an issue while intake's outbox is behind (baton_intake.backlog).
BUSY = {
    429: problem("Intake is behind: nothing was stored; send the same request again later.")
    | {
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before sending the request again.",
                "schema": {"type": "integer", "minimum": 1},
            }
        }
    }
}

# A JSON door's body is read by FastAPI: bytes that are not UTF-8 JSON text are a 400.
JSON_ERRORS = {400: problem("The body cannot be read as JSON (not UTF-8 text, say).")}

_REF = "#/components/schemas/{model}"
Body = TypeVar("Body", bound=BaseModel)


def _form_schema() -> dict[str, object]:
    """A form cannot send null: an optional field is simply left out."""
    schema = webform.WebForm.model_json_schema(ref_template=_REF)
    for name, prop in schema["properties"].items():
        options = [o for o in prop.pop("anyOf", []) if o.get("type") != "null"]
        if options:
            prop.update(options[0])
        if prop.get("default", "") is None:
            del prop["default"]
        schema["properties"][name] = prop
    return schema


_ISSUE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": IssueCreate.model_json_schema(ref_template=_REF),
                "example": IssueCreate.model_config["json_schema_extra"]["examples"][0],  # type: ignore[index]
            },
            "application/x-www-form-urlencoded": {
                "schema": _form_schema(),
                "example": webform.FORM_EXAMPLE,
            },
        },
    }
}
for _content in _ISSUE_BODY["requestBody"]["content"].values():
    _content["schema"].pop("$defs", None)

_MAIL_EXAMPLE = """\
From: Ada Lovelace <ada@example.com>
To: support@shop.example
Subject: My parcel never arrived
Message-ID: <c0ffee@example.com>
Content-Type: text/plain; charset=utf-8

Order 1234 was due on Monday.
"""


issue_doors = APIRouter(prefix="/v1/issues", tags=["issues"])
channel_doors = APIRouter(prefix="/v1/channels", tags=["channels"])


def admission(*, json_body: bool = False, refuse_when_behind: bool = True) -> Any:
    """A door's caller, admitted: who may report (checked first, 403), for JSON doors
    the content type (415, before the body is validated), and while the outbox is
    behind a 429. One dependency the endpoint takes its caller from: each further
    ``CallerDep`` in a route makes FastAPI validate the caller's headers again,
    and each dependency costs its own solving, on every request."""

    async def admitted(request: Request, who: CallerDep) -> Caller:
        check(who, WRITE_SCOPE, *WRITE_ROLES)
        if json_body:
            require_media_type(request, "application/json")
        if refuse_when_behind:
            await not_behind(request)
        return who

    return Depends(admitted)


def door(
    *,
    json_body: bool = False,
    refuse_when_behind: bool = True,
    openapi: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A door's route arguments: the answers (the checks are its ``admission``,
    which the endpoint takes its caller from)."""
    return {
        "status_code": 202,
        "response_model": IssueAccepted,
        "responses": ANSWERS
        | (BUSY if refuse_when_behind else {})
        | (JSON_ERRORS if json_body else {}),
        "openapi_extra": WRITE["openapi_extra"] | (openapi or {}),
    }


async def _take(
    request: Request, caller: Caller, idempotency_key: str | None, print_: str, work: Work
) -> JSONResponse:
    return await accept(
        runtime=runtime_of(request),
        principal=principal(caller),
        idempotency_key=idempotency_key,
        request_fingerprint=print_,
        work=work,
    )


Reporter = Annotated[Caller, admission()]
Mailer = Annotated[Caller, admission(refuse_when_behind=False)]
JsonReporter = Annotated[Caller, admission(json_body=True)]


@issue_doors.post("", **door(openapi=_ISSUE_BODY))
async def report_issue(
    request: Request, caller: Reporter, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Take an issue in, from an agent (JSON) or a web form (urlencoded).

    Answers 202 once its ``IssueReported`` event is durable (in the outbox); 200
    with the existing issue when ``(source_system, external_ref)`` was seen."""
    settings = runtime_of(request).settings
    kind = require_media_type(request, "application/json", "application/x-www-form-urlencoded")
    body = await request.body()
    if kind == "application/json":
        issue_in = validated(IssueCreate, _json(body))
        payload = issue_in.model_dump()

        # Already validated (and its text made safe) as IssueCreate, whose fields a
        # Draft shares: not validated twice.
        draft = Draft.model_construct(**dict(issue_in))

        async def work(session: AsyncSession) -> service.Taken:
            return await service.report(session=session, settings=settings, draft=draft)

    else:
        form = validated(webform.WebForm, webform.parse_form(body))
        payload = form.model_dump()

        async def work(session: AsyncSession) -> service.Taken:
            reporter = await webform.reporter_id(session=session, form=form)
            reply = await webform.reply_route(session=session, form=form, reporter_id=reporter)
            draft = webform.to_draft(form, reporter_id=reporter, reply=reply)
            return await service.report(session=session, settings=settings, draft=draft)

    return await _take(request, caller, idempotency_key, fingerprint(payload), work)


def _json(body: bytes) -> object:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise Problem(422, "The body is not valid JSON.", title="Invalid request") from exc


@channel_doors.post(
    "/email",
    **door(
        # Not refused: mail waits in the sender's queue, and a mail pipe that is
        # refused would bounce it to the customer.
        refuse_when_behind=False,
        openapi={
            "requestBody": {
                "required": True,
                "content": {
                    "message/rfc822": {"schema": {"type": "string"}, "example": _MAIL_EXAMPLE}
                },
            }
        },
    ),
)
async def take_email(
    request: Request, caller: Mailer, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """A raw RFC 5322 message: a new issue, an update (a reply), or recorded and
    ignored (auto-replies, bounces, bulk mail: outcome ``ignored``)."""
    require_media_type(request, "message/rfc822")
    settings = runtime_of(request).settings
    raw = await request.body()
    mail = await email.read(raw, settings)  # off the event loop
    return await _take(
        request, caller, idempotency_key, hashlib.sha256(raw).hexdigest(),
        lambda session: email.take_in(session=session, settings=settings, mail=mail),
    )  # fmt: skip


def _json_door(
    path: str,
    name: str,
    model: type[Body],
    take_in: Callable[[AsyncSession, Settings, Body], Awaitable[service.Taken]],
) -> None:
    """A channel's JSON door ``POST /v1/channels{path}``: FastAPI validates the body
    as ``model``, and the source's ``take_in`` (whose docstring documents the door)
    makes it an issue or an update. ``name`` names the operation."""

    async def take(
        body: Any, request: Request, caller: JsonReporter, idempotency_key: IdempotencyKey = None
    ) -> JSONResponse:
        settings = runtime_of(request).settings

        async def work(session: AsyncSession) -> service.Taken:
            return await take_in(session, settings, body)

        return await _take(request, caller, idempotency_key, fingerprint(body.model_dump()), work)

    take.__annotations__["body"] = model  # what FastAPI reads the body as
    doc = inspect.cleandoc(take_in.__doc__ or "")
    channel_doors.post(path, name=name, description=doc, **door(json_body=True))(take)


_json_door("/chat", "take_chat", chat.ChatTranscript, chat.take_in)
_json_door("/phone", "take_call", phone.CallRecord, phone.take_in)
_json_door("/social", "take_post", social.SocialPost, social.take_in)


# Every door, for the app (included once all routes above are defined).
router = APIRouter()
router.include_router(issue_doors)
router.include_router(channel_doors)
