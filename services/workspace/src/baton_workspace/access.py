"""Who sees what, decided on the server for every page and action.

A person sees the issues of the departments they belong to (their token's
``departments``): every department that held an issue, was asked to take it or
to help with it. A department's head manages its members. An administrator
sees everything. The stall board and scorecards are open to every employee.
"""

from __future__ import annotations

from collections.abc import Iterable

from baton_runtime.identity import Caller
from baton_runtime.problems import Problem


def sees_all(caller: Caller) -> bool:
    return caller.administrator


def may_see(caller: Caller, departments: Iterable[str]) -> bool:
    return sees_all(caller) or bool(caller.departments & set(departments))


def member_of(caller: Caller, department: str) -> bool:
    return sees_all(caller) or department in caller.departments


def heads(caller: Caller, head_id: str | None) -> bool:
    return sees_all(caller) or (head_id is not None and caller.person_id == head_id)


def not_found(what: str) -> Problem:
    """The same answer for what does not exist and what is not theirs to see."""
    return Problem(
        404,
        f"{what} is not among the issues of your departments (or does not exist). "
        "If a notice sent you here, it may have been meant for another department.",
        title="Not found",
    )
