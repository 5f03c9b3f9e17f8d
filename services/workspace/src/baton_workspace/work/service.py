"""My work: the issues I own by next deadline, the hand-offs waiting for my
answer, and the help my departments were asked for."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from baton_runtime.identity import Caller
from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_workspace.projection.models import HelpView, IssueView

OPEN = ("assigned", "acknowledged")
LIMIT = 100


@dataclass(frozen=True)
class Work:
    owned: list[IssueView]
    handoffs: list[IssueView]
    helps: list[tuple[HelpView, IssueView]]

    @property
    def fingerprint(self) -> str:
        """Changes whenever anything on the page would."""
        parts = [f"o{i.issue_id}:{i.version}:{i.updated_at}" for i in self.owned]
        parts += [f"h{i.issue_id}:{i.version}" for i in self.handoffs]
        parts += [f"a{h.issue_id}:{h.help_id}:{h.status}" for h, _ in self.helps]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


async def my_work(session: AsyncSession, *, who: Caller) -> Work:
    owned = await session.exec(
        select(IssueView)
        .where(IssueView.owner_id == who.person_id, col(IssueView.state).in_(OPEN))
        .order_by(col(IssueView.next_due_at).asc().nulls_last(), col(IssueView.issue_id))
        .limit(LIMIT)
    )
    departments = sorted(who.departments)
    handoffs = await session.exec(
        select(IssueView)
        .where(
            col(IssueView.pending_to_department).in_(departments),
            or_(
                col(IssueView.pending_to_person_id).is_(None),
                IssueView.pending_to_person_id == who.person_id,
            ),
            IssueView.owner_id != who.person_id,
            col(IssueView.state).in_(OPEN),
        )
        .order_by(col(IssueView.updated_at), col(IssueView.issue_id))
        .limit(LIMIT)
    )
    helps = await session.exec(
        select(HelpView, IssueView)
        .join(IssueView, col(IssueView.issue_id) == col(HelpView.issue_id))
        .where(
            col(HelpView.helping_department).in_(departments),
            HelpView.status == "open",
            col(IssueView.state).in_(OPEN),
        )
        .order_by(col(HelpView.due_at).asc().nulls_last(), col(HelpView.issue_id))
        .limit(LIMIT)
    )
    return Work(list(owned.all()), list(handoffs.all()), list(helps.all()))  # type: ignore[arg-type]
