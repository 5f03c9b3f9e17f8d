"""Who may read an issue here, decided from ownership's own tables.

- An administrator reads every issue.
- A liaison or head reads an issue when one of their departments (their token's
  ``departments``) holds or held it, was asked to take it (a hand-off, whatever
  its answer) or was asked for help; or when they are its owner.
- An agent (answering a customer) reads any issue's state, with hand-off reasons
  withheld, and its owner; never its history, where internal notes are.
- Anyone else is answered exactly as if the issue did not exist: a 404 must not
  tell them that it does.
"""

from __future__ import annotations

from typing import Literal

from baton_runtime.identity import Caller
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.core.models import Handoff, HelpRequest, HistoryEntry, IssueOwner
from baton_ownership.insights.models import Stay

# How much of an issue a caller reads: all of it, or what an agent needs on the phone.
View = Literal["full", "agent"]


async def departments_of(session: AsyncSession, issue: IssueOwner) -> set[str]:
    """Every department that held the issue, was asked to take it or to help."""
    found = {issue.department}
    for column, table in (
        (Stay.department, Stay),
        (HistoryEntry.department, HistoryEntry),
        (Handoff.to_department, Handoff),
        (HelpRequest.helping_department, HelpRequest),
    ):
        rows = await session.exec(
            select(column).where(table.issue_id == issue.issue_id).distinct()  # type: ignore[attr-defined]
        )
        found.update(rows.all())
    return found


async def view_of(session: AsyncSession, caller: Caller, issue: IssueOwner) -> View | None:
    """How much of ``issue`` the caller reads; None: nothing (answer 404)."""
    if caller.administrator:
        return "full"
    if caller.roles & {"liaison", "head"} and (
        caller.person_id == issue.owner_id
        or caller.departments & await departments_of(session, issue)
    ):
        return "full"
    if "agent" in caller.roles:
        return "agent"
    return None
