"""The lifecycle's refusals. They say what is wrong in words a person can act on;
only the routers turn them into HTTP problem details."""

from __future__ import annotations


class OwnershipError(Exception):
    title = "Refused"

    def __init__(self, detail: str, *, title: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if title is not None:
            self.title = title


class NotFound(OwnershipError):
    """The issue, hand-off or help request does not exist (here)."""

    title = "Not found"


class NotAllowed(OwnershipError):
    """The change is refused: by who acts, or by the issue's state."""


class NotYours(NotAllowed):
    """Who acts may not make this change."""

    title = "Not yours to change"


class WrongState(NotAllowed):
    """The issue's state (or its hand-off's, or help request's) does not allow it."""

    title = "Not allowed in this state"

    def __init__(self, detail: str, *, state: str, version: int) -> None:
        super().__init__(detail)
        self.state, self.version = state, version


class Stale(OwnershipError):
    """The issue changed since the version the caller saw; ``version`` is its own."""

    title = "Stale version"

    def __init__(self, issue_id: str, seen: int, *, version: int) -> None:
        super().__init__(
            f"Issue {issue_id!r} changed since version {seen}; reload it and try again."
        )
        self.version = version


class Invalid(OwnershipError):
    """The change names a target that makes no sense (no such department, say)."""

    title = "Invalid change"
