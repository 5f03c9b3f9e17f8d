from __future__ import annotations

from functools import cache

from baton_contracts import IssueReported
from baton_runtime import rows
from baton_runtime.db import dialect, upsert_for
from sqlalchemy.sql import Executable
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_routing.catalog.store import LATEST
from baton_routing.issues.models import RoutedIssue


@cache
def _keep_statement(dialect: str) -> Executable:
    """Built once per database: the upsert, returning the catalog's current version."""
    table = RoutedIssue.__table__
    insert = upsert_for(dialect, table)
    return insert.on_conflict_do_update(
        index_elements=["issue_id"], set_={"reported": insert.excluded.reported}
    ).returning(LATEST.scalar_subquery())


async def keep(*, session: AsyncSession, issue: IssueReported) -> int | None:
    """Keep the issue as reported (again: the latest report wins), and say the
    catalog's current version (None: none yet) in the same round trip: the
    decision that follows is made with it, read in this transaction as a SELECT of
    its own would (a version another replica committed counts from then on)."""
    row = {"issue_id": issue.issue_id, "reported": issue.model_dump_json()}
    statement = _keep_statement(dialect(session))
    found = await rows.first(session, statement, row)
    assert found is not None  # an upsert always writes its row
    return found[0]


async def reported(*, session: AsyncSession, issue_id: str) -> IssueReported | None:
    """The issue as it was reported, or None when routing never routed it."""
    stored = await session.get(RoutedIssue, issue_id)
    return None if stored is None else IssueReported.model_validate_json(stored.reported)
