"""``POST /v1/issues`` (agents' JSON, and web forms) and ``GET /v1/issues/{id}``."""

from __future__ import annotations

import json
from typing import Annotated

from baton_runtime.problems import Problem
from baton_runtime.service import SessionDep
from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_intake.accept import accept, fingerprint
from baton_intake.auth.deps import Reader, Writer
from baton_intake.channels import webform
from baton_intake.deps import RuntimeDep
from baton_intake.issues import service
from baton_intake.issues.models import Draft, IssueAccepted, IssueCreate, IssuePublic
from baton_intake.limits import require_media_type, validated

router = APIRouter(prefix="/v1/issues", tags=["issues"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Retries with the same key and body get the same answer and create nothing.",
        max_length=255,
    ),
]

_REF = "#/components/schemas/{model}"


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


_OPENAPI = {
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
for _content in _OPENAPI["requestBody"]["content"].values():
    _content["schema"].pop("$defs", None)


class ProblemDetails(BaseModel):
    """RFC 9457 problem details (``application/problem+json``)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[dict[str, str]] | None = None


def _problem(description: str) -> dict[str, object]:
    schema = {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
    return {"description": description, "content": {"application/problem+json": schema}}


# 401 carries the model so that FastAPI puts ProblemDetails into the components.
ERRORS: dict[int | str, dict[str, object]] = {
    401: {**_problem("No valid API key."), "model": ProblemDetails},
    403: _problem("The API key lacks the scope."),
}
WRITE_ERRORS = ERRORS | {
    413: _problem("The body is too large."),
    415: _problem("Another content type is needed."),
    422: _problem("A field is invalid, or an Idempotency-Key was reused."),
}

ANSWERS = WRITE_ERRORS | {
    200: {"model": IssueAccepted, "description": "Already taken in: the existing issue."},
    202: {"model": IssueAccepted, "description": "Taken in; its event is durable in the outbox."},
}


@router.post(
    "",
    status_code=202,
    response_model=IssueAccepted,
    responses=ANSWERS,  # type: ignore[arg-type]
    openapi_extra=_OPENAPI,
)
async def report_issue(
    request: Request, runtime: RuntimeDep, api_key: Writer, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Take an issue in, from an agent (JSON) or a web form (urlencoded).

    Answers 202 once its ``IssueReported`` event is durable (in the outbox); 200
    with the existing issue when ``(source_system, external_ref)`` was seen."""
    kind = require_media_type(request, "application/json", "application/x-www-form-urlencoded")
    body = await request.body()
    if kind == "application/json":
        issue_in = validated(IssueCreate, _json(body))
        payload = issue_in.model_dump()

        async def work(session: AsyncSession) -> service.Taken:
            draft = Draft(**issue_in.model_dump())
            return await service.report(session=session, settings=runtime.settings, draft=draft)

    else:
        form = validated(webform.WebForm, webform.parse_form(body))
        payload = form.model_dump()

        async def work(session: AsyncSession) -> service.Taken:
            reporter = await webform.reporter_id(session=session, form=form)
            draft = webform.to_draft(form, reporter_id=reporter)
            return await service.report(session=session, settings=runtime.settings, draft=draft)

    return await accept(
        runtime=runtime,
        principal=api_key.id,
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint(payload),
        work=work,
    )


def _json(body: bytes) -> object:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise Problem(422, "The body is not valid JSON.", title="Invalid request") from exc


@router.get(
    "/{issue_id}",
    response_model=IssuePublic,
    responses=ERRORS | {404: _problem("No such issue.")},  # type: ignore[arg-type]
)
async def read_issue(issue_id: str, session: SessionDep, _key: Reader) -> IssuePublic:
    issue = await service.get(session=session, issue_id=issue_id)
    if issue is None:
        raise Problem(404, f"No issue {issue_id!r} was reported here.", title="Issue not found")
    return IssuePublic.of(issue)
