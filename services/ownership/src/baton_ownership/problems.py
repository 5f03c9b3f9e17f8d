"""Ownership's refusals over HTTP: each domain error from the core becomes the
problem details a person reads (404, 403, 409 with the issue's state and
version, 422). ``create_app`` installs ``answer``; Kafka handlers and the
deadline checker see only the domain errors."""

from __future__ import annotations

from baton_runtime.problems import Problem, problem_response
from fastapi import Request
from fastapi.responses import JSONResponse

from baton_ownership.core.errors import (
    Invalid,
    NotFound,
    NotYours,
    OwnershipError,
    Stale,
    WrongState,
)


def problem_of(error: OwnershipError) -> Problem:
    match error:
        case NotFound():
            return Problem(404, error.detail, title=error.title)
        case NotYours():
            return Problem(403, error.detail, title=error.title)
        case WrongState():
            return Problem(
                409, error.detail, title=error.title, state=error.state, version=error.version
            )
        case Stale():
            return Problem(409, error.detail, title=error.title, version=error.version)
        case Invalid():
            return Problem(422, error.detail, title=error.title)
    raise TypeError(f"no problem details for {type(error).__name__}")


async def answer(request: Request, error: Exception) -> JSONResponse:
    """Answers an OwnershipError raised by any route as problem details."""
    assert isinstance(error, OwnershipError)
    problem = problem_of(error)
    return problem_response(request, problem.status, problem.title, problem.detail, **problem.extra)
