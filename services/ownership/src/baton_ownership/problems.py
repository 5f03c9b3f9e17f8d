"""The routers' side of the lifecycle's refusals: each domain error becomes the
problem details a person reads (404, 403, 409 with the issue's state and
version, 422). Kafka handlers and the checker see only the domain errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from baton_runtime.problems import Problem

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
    raise error  # a refusal without an answer over HTTP yet: a bug, seen as a 500


@contextmanager
def as_problems() -> Iterator[None]:
    """Answer the lifecycle's refusals raised inside as problem details."""
    try:
        yield
    except OwnershipError as error:
        raise problem_of(error) from error
