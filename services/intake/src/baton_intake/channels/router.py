"""``POST /v1/channels/{email,chat,phone,social}``: thin entrypoints, each
parsing its door's format and handing it to its adapter."""

from __future__ import annotations

import hashlib

from baton_shared.service import RuntimeDep
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_intake.accept import accept, fingerprint
from baton_intake.auth.deps import Writer
from baton_intake.channels import chat, email, phone, social
from baton_intake.issues.models import IssueAccepted
from baton_intake.issues.router import ANSWERS, IdempotencyKey
from baton_intake.limits import require_media_type

_MAIL_EXAMPLE = """\
From: Ada Lovelace <ada@example.com>
To: support@shop.example
Subject: My parcel never arrived
Message-ID: <c0ffee@example.com>
Content-Type: text/plain; charset=utf-8

Order 1234 was due on Monday.
"""


def _json_body(request: Request) -> None:
    require_media_type(request, "application/json")


router = APIRouter(prefix="/v1/channels", tags=["channels"])
JsonOnly = [Depends(_json_body)]


@router.post(
    "/email",
    status_code=202,
    response_model=IssueAccepted,
    responses=ANSWERS,  # type: ignore[arg-type]
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"message/rfc822": {"schema": {"type": "string"}, "example": _MAIL_EXAMPLE}},
        }
    },
)
async def take_email(
    request: Request, runtime: RuntimeDep, api_key: Writer, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """A raw RFC 5322 message: a new issue, an update (a reply), or recorded and
    ignored (auto-replies, bounces, bulk mail: outcome ``ignored``)."""
    require_media_type(request, "message/rfc822")
    raw = await request.body()

    async def work(session: AsyncSession):  # type: ignore[no-untyped-def]
        return await email.take_in(session=session, settings=runtime.settings, raw=raw)

    return await accept(
        runtime=runtime,
        principal=api_key.id,
        idempotency_key=idempotency_key,
        request_fingerprint=hashlib.sha256(raw).hexdigest(),
        work=work,
    )


@router.post(
    "/chat",
    status_code=202,
    response_model=IssueAccepted,
    responses=ANSWERS,  # type: ignore[arg-type]
    dependencies=JsonOnly,
)
async def take_chat(
    transcript: chat.ChatTranscript,
    runtime: RuntimeDep,
    api_key: Writer,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """A chat transcript; the same conversation later is an update."""

    async def work(session: AsyncSession):  # type: ignore[no-untyped-def]
        return await chat.take_in(session=session, settings=runtime.settings, transcript=transcript)

    return await accept(
        runtime=runtime,
        principal=api_key.id,
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint(transcript.model_dump()),
        work=work,
    )


@router.post(
    "/phone",
    status_code=202,
    response_model=IssueAccepted,
    responses=ANSWERS,  # type: ignore[arg-type]
    dependencies=JsonOnly,
)
async def take_call(
    call: phone.CallRecord,
    runtime: RuntimeDep,
    api_key: Writer,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """A call record from the phone system; the same call_id twice is one issue."""

    async def work(session: AsyncSession):  # type: ignore[no-untyped-def]
        return await phone.take_in(session=session, settings=runtime.settings, call=call)

    return await accept(
        runtime=runtime,
        principal=api_key.id,
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint(call.model_dump()),
        work=work,
    )


@router.post(
    "/social",
    status_code=202,
    response_model=IssueAccepted,
    responses=ANSWERS,  # type: ignore[arg-type]
    dependencies=JsonOnly,
)
async def take_post(
    post: social.SocialPost,
    runtime: RuntimeDep,
    api_key: Writer,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """A social media post; the same post_url twice is one issue."""

    async def work(session: AsyncSession):  # type: ignore[no-untyped-def]
        return await social.take_in(session=session, settings=runtime.settings, post=post)

    return await accept(
        runtime=runtime,
        principal=api_key.id,
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint(post.model_dump()),
        work=work,
    )
