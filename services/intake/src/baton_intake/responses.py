"""The problem answers intake's routes document (RFC 9457), for the OpenAPI
document: what each status means, with the problem details' schema."""

from __future__ import annotations

from pydantic import BaseModel


class ProblemDetails(BaseModel):
    """RFC 9457 problem details (``application/problem+json``)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[dict[str, str]] | None = None


def problem(description: str) -> dict[str, object]:
    schema = {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
    return {"description": description, "content": {"application/problem+json": schema}}


# 401 carries the model so that FastAPI puts ProblemDetails into the components.
ERRORS: dict[int | str, dict[str, object]] = {
    401: {**problem("No valid API key."), "model": ProblemDetails},
    403: problem("The API key lacks the scope."),
}
WRITE_ERRORS = ERRORS | {
    413: problem("The body is too large."),
    415: problem("Another content type is needed."),
    422: problem("A field is invalid, or an Idempotency-Key was reused."),
}
