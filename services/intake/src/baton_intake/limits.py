"""What every door checks of a request: its content type (415) and its body's
fields (422). The body's size is the kernel's (``baton_runtime.limits``: 413)."""

from __future__ import annotations

from typing import Any, TypeVar

from baton_runtime.problems import Problem
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def require_media_type(request: Request, *allowed: str) -> str:
    found = media_type(request)
    if found not in allowed:
        raise Problem(
            415,
            f"Send the body as {' or '.join(allowed)}, not {found or 'no content type'!r}.",
            title="Unsupported Media Type",
        )
    return found


M = TypeVar("M", bound=BaseModel)


def validated(model: type[M], data: Any) -> M:
    """``model`` from ``data``, or a 422 problem naming each field (as FastAPI would)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_input=False)]
        ) from exc
