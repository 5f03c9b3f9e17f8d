"""Every department an issue concerned, for who may read it here
(``router.may_read``), as ownership decides it (``baton_ownership.access``): a
liaison or head reads an issue their department holds, held, was asked to take,
or was asked to help with.

The department holding it is its conversation's (``outbound.on_owner_assigned``
keeps it, in the one UPDATE of the hot path). The others are kept here as the
events naming them arrive: a hand-off asked (the department asking and the one
asked), help asked (both), an owner assigned after the first department (``hop``
above 1, or not by routing: the new department, and the one holding it until
then). A first assignment, nearly every issue, writes nothing here."""

from __future__ import annotations

from functools import cache
from typing import Any

from baton_contracts import HandoffRequested, HelpRequested, OwnerAssigned
from baton_runtime import rows
from baton_runtime.db import dialect, upsert_for
from sqlalchemy import bindparam, select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_intake.issues.models import IssueDepartment
from baton_intake.outbound.models import Conversation

# The events that name a department besides the one holding the issue.
NAMING = (HandoffRequested, HelpRequested)

_T = IssueDepartment.__table__  # type: ignore[attr-defined]
_C = Conversation.__table__  # type: ignore[attr-defined]
_HOLDING = select(_C.c.department).where(_C.c.issue_id == bindparam("issue"))
_CONCERNED = select(_T.c.department).where(
    _T.c.issue_id == bindparam("issue"),
    _T.c.department.in_(bindparam("departments", expanding=True)),
)


@cache
def _keep_statement(name: str) -> Any:
    return upsert_for(name, _T).on_conflict_do_nothing(index_elements=["issue_id", "department"])


def moves(event: OwnerAssigned) -> bool:
    """Whether an assignment may take the issue to another department."""
    return event.hop > 1 or event.via != "routing"


async def remember(
    session: AsyncSession, event: OwnerAssigned | HandoffRequested | HelpRequested
) -> None:
    """Keep the departments ``event`` names; for an assignment that ``moves``, also
    the one holding the issue until now (call it before the conversation learns
    the new one)."""
    named = {event.department}
    if isinstance(event, HandoffRequested):
        named.add(event.to_department)
    elif isinstance(event, HelpRequested):
        named.add(event.helping_department)
    else:
        holding = await rows.first(session, _HOLDING, {"issue": event.issue_id})
        if holding is not None and holding.department:
            named.add(holding.department)
    params = [{"issue_id": event.issue_id, "department": d} for d in sorted(named)]
    await rows.execute(session, _keep_statement(dialect(session)), params)


async def concerned(session: AsyncSession, issue_id: str, departments: set[str]) -> bool:
    """Whether any of ``departments`` held, was asked to take, or to help with the
    issue (besides holding it now, which the conversation says)."""
    if not departments:
        return False
    params = {"issue": issue_id, "departments": sorted(departments)}
    return bool(await rows.execute(session, _CONCERNED, params))
