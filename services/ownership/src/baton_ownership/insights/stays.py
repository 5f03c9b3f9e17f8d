"""Opening and closing an issue's stay in a department. In the issue's trace, a
stay that begins is a short span ``department <name> entered`` at once, and a
closed stay is a span ``department <name>`` from when the department took the
issue until it handed it on or resolved it. Both hang under the same parent (the
issue's stored trace context), so an ``entered`` span without a sibling
``department <name>`` is an issue in that department now (docs/runbook.md)."""

from __future__ import annotations

from datetime import datetime

from baton_runtime import rows
from baton_runtime.kafka.tracing import context_from_carrier
from baton_runtime.telemetry import tracer
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.core.state import Issue, aware
from baton_ownership.core.store import Ctx
from baton_ownership.insights.models import Stay

_STAYS = Stay.__table__  # type: ignore[attr-defined]


def _ns(at: datetime) -> int:
    return int(aware(at).timestamp() * 1e9)


def begin(ctx: Ctx, issue: Issue, *, via: str, at: datetime, acknowledged: bool = False) -> None:
    """Open the issue's stay in its (new) department; after commit, say so in its trace."""
    ctx.mark(
        issue.issue_id, f"department {issue.department} entered", at,
        {"baton.department": issue.department, "baton.priority": issue.priority,
         "baton.hop": issue.hop, "baton.via": via},
    )  # fmt: skip
    rows.stage(ctx.session, _STAYS, {
        "issue_id": issue.issue_id, "department": issue.department, "hop": issue.hop,
        "via": via, "started_at": at, "acknowledged_at": at if acknowledged else None,
        "ended_at": None, "outcome": None,
    })  # fmt: skip


async def current(session: AsyncSession, issue_id: str) -> Stay | None:
    return (
        await session.exec(
            select(Stay)
            .where(Stay.issue_id == issue_id, Stay.ended_at == None)  # noqa: E711
            .order_by(Stay.id.desc())  # type: ignore[union-attr]
        )
    ).first()


async def acknowledged(session: AsyncSession, issue_id: str, at: datetime) -> None:
    stay = await current(session, issue_id)
    if stay is not None and stay.acknowledged_at is None:
        stay.acknowledged_at = at
        session.add(stay)


async def end(ctx: Ctx, issue: Issue, outcome: str) -> None:
    """Close the issue's stay in its department and, after commit, record it as a
    span of the issue's trace, from when the department took it until now."""
    stay = await current(ctx.session, issue.issue_id)
    if stay is not None:
        stay.ended_at, stay.outcome = ctx.clock(), outcome
        ctx.session.add(stay)
    department, hop, issue_id = issue.department, issue.hop, issue.issue_id
    priority = issue.priority
    began, ended = aware(issue.department_since), ctx.clock()
    carrier = dict(ctx.traces.get(issue_id, {}))

    def record() -> None:
        span = tracer().start_span(
            f"department {department}",
            context=context_from_carrier(carrier),
            start_time=_ns(began),
            attributes={
                "baton.issue_id": issue_id,
                "baton.department": department,
                "baton.priority": priority,
                "baton.outcome": outcome,
                "baton.hop": hop,
            },
        )
        span.end(end_time=_ns(ended))

    ctx.on_commit(record)
