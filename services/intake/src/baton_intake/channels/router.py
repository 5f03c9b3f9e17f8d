"""``POST /v1/channels/{email,chat,phone,social}``: thin entrypoints, each
parsing its door's format and handing it to its adapter."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from baton_intake.accept import Work, accept, fingerprint
from baton_intake.auth.deps import Writer
from baton_intake.auth.models import ApiKey
from baton_intake.channels import chat, email, phone, social
from baton_intake.deps import RuntimeDep
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
    # Runs before the body is validated, so another content type is a 415, not a 422.
    require_media_type(request, "application/json")


router = APIRouter(prefix="/v1/channels", tags=["channels"])
DOOR: dict[str, Any] = {"status_code": 202, "response_model": IssueAccepted, "responses": ANSWERS}
JSON_DOOR = DOOR | {"dependencies": [Depends(_json_body)]}


async def _take(
    runtime: RuntimeDep, api_key: ApiKey, idempotency_key: str | None, print_: str, work: Work
) -> JSONResponse:
    return await accept(
        runtime=runtime,
        principal=api_key.id,
        idempotency_key=idempotency_key,
        request_fingerprint=print_,
        work=work,
    )


@router.post(
    "/email",
    **DOOR,
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
    return await _take(
        runtime, api_key, idempotency_key, hashlib.sha256(raw).hexdigest(),
        lambda session: email.take_in(session=session, settings=runtime.settings, raw=raw),
    )  # fmt: skip


@router.post("/chat", **JSON_DOOR)
async def take_chat(
    transcript: chat.ChatTranscript,
    runtime: RuntimeDep,
    api_key: Writer,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """A chat transcript; the same conversation later is an update."""
    return await _take(
        runtime, api_key, idempotency_key, fingerprint(transcript.model_dump()),
        lambda s: chat.take_in(session=s, settings=runtime.settings, transcript=transcript),
    )  # fmt: skip


@router.post("/phone", **JSON_DOOR)
async def take_call(
    call: phone.CallRecord,
    runtime: RuntimeDep,
    api_key: Writer,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """A call record from the phone system; the same call_id twice is one issue."""
    return await _take(
        runtime, api_key, idempotency_key, fingerprint(call.model_dump()),
        lambda s: phone.take_in(session=s, settings=runtime.settings, call=call),
    )  # fmt: skip


@router.post("/social", **JSON_DOOR)
async def take_post(
    post: social.SocialPost,
    runtime: RuntimeDep,
    api_key: Writer,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """A social media post; the same post_url twice is one issue."""
    return await _take(
        runtime, api_key, idempotency_key, fingerprint(post.model_dump()),
        lambda s: social.take_in(session=s, settings=runtime.settings, post=post),
    )  # fmt: skip
