"""How every HTTP door answers: in one transaction, replay a known
``Idempotency-Key`` or do the work, remember the answer, commit; then wake the
outbox relay. A lost race on a unique key is retried once and then finds the
winner's row, so concurrent retries still give one issue; a known key is found
that way too."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from baton_runtime.problems import Problem
from baton_runtime.service import Runtime
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_intake.issues.schemas import IssueAccepted
from baton_intake.issues.service import Taken
from baton_intake.settings import Settings
from baton_intake.sources.models import IdempotencyRecord

Work = Callable[[AsyncSession], Awaitable[Taken | IssueAccepted]]
STATUS = {"created": 202, "duplicate_linked": 202, "updated": 202, "ignored": 202, "existing": 200}


def fingerprint(payload: Any) -> str:
    """Same request, same fingerprint: the validated input, canonically encoded."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def answer(taken: Taken | IssueAccepted) -> dict[str, Any]:
    """The answer's body, as ``IssueAccepted`` dumps it in JSON mode (built as a
    dict: every value is already a str or None, so a model would only copy it)."""
    if isinstance(taken, IssueAccepted):
        return taken.model_dump(mode="json")
    issue_id = taken.issue.id
    return {
        "issue_id": issue_id,
        "status_url": f"/v1/issues/{issue_id}",
        "outcome": taken.outcome,
        "duplicate_of": taken.duplicate_of,
        "reference": taken.issue.reference,
        "reason": None,
    }


async def accept(
    *,
    runtime: Runtime[Settings],
    principal: str,
    idempotency_key: str | None,
    request_fingerprint: str,
    work: Work,
) -> JSONResponse:
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 255:
        raise Problem(422, "Idempotency-Key must be 1 to 255 characters.")
    for attempt in (1, 2):
        try:
            async with runtime.db.transaction() as session:
                # A new key (the usual case) is not looked up first: the record's INSERT
                # below fails on its primary key when the key was used, everything is
                # rolled back, and the retry finds the answer to replay (or refuses
                # another body). One round trip less for every request with a key.
                if idempotency_key is not None and attempt == 2:
                    known = await session.get(IdempotencyRecord, (principal, idempotency_key))
                    if known is not None:
                        if known.fingerprint != request_fingerprint:
                            raise Problem(
                                422,
                                "This Idempotency-Key was already used with a different request.",
                                title="Idempotency-Key reused",
                            )
                        return _response(known.status_code, json.loads(known.response))
                try:
                    taken = await work(session)
                except ValidationError as exc:
                    # Input the door accepted but that normalizes to nothing valid
                    # (an id made only of control characters): still the caller's 422.
                    raise RequestValidationError(
                        [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_input=False)]
                    ) from exc
                body = answer(taken)
                status = STATUS[body["outcome"]]
                if idempotency_key is not None:
                    session.add(
                        IdempotencyRecord(
                            principal=principal,
                            key=idempotency_key,
                            fingerprint=request_fingerprint,
                            status_code=status,
                            response=json.dumps(body),
                        )
                    )
            break
        except IntegrityError:
            if attempt == 2:
                raise
    return _response(status, body)


def _response(status: int, body: dict[str, Any]) -> JSONResponse:
    headers = {"Location": body["status_url"]} if body.get("status_url") else {}
    return JSONResponse(body, status_code=status, headers=headers)
