"""The company's own history: each resolved issue's final department becomes a
label the learned router trains on, next to the shipped sample."""

from __future__ import annotations

from datetime import UTC, datetime

from baton_contracts import Envelope, IssueReported, IssueResolved
from baton_runtime.idempotency import handle_once
from baton_runtime.service import Runtime
from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_routing.decisions.models import RoutedIssue
from baton_routing.learned.model import Example
from baton_routing.settings import Settings


class ResolvedLabel(SQLModel, table=True):
    __tablename__ = "resolved_labels"

    issue_id: str = Field(primary_key=True, max_length=36)
    department: str = Field(max_length=64)  # where the issue was finally resolved
    text: str = Field(sa_column=Column(Text, nullable=False))
    resolved_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


async def on_ownership_event(envelope: Envelope, *, runtime: Runtime[Settings]) -> None:
    """On ``IssueResolved``: label the issue, as reported, with its final department."""
    resolved = envelope.payload()
    if not isinstance(resolved, IssueResolved):
        return

    async def effect(session: AsyncSession) -> None:
        routed = await session.get(RoutedIssue, resolved.issue_id)
        if routed is None:
            return  # never routed here (another environment): nothing to learn from
        issue = IssueReported.model_validate_json(routed.reported)
        label = await session.get(ResolvedLabel, resolved.issue_id) or ResolvedLabel(
            issue_id=resolved.issue_id, department=resolved.department, text=""
        )
        # A reopened and resolved-again issue keeps its latest department.
        label.department, label.resolved_at = resolved.department, resolved.at
        label.text = f"{issue.subject}\n{issue.description}"
        session.add(label)

    await handle_once(runtime.db, envelope.id, effect)


async def examples(session: AsyncSession) -> list[Example]:
    rows = (await session.exec(select(ResolvedLabel))).all()
    return [Example(text=r.text, department=r.department) for r in rows]
