"""Deadlines and escalation.

Each running clock is a ``deadlines`` row. The checker, which runs in every
replica, takes due rows with ``FOR UPDATE SKIP LOCKED`` and moves each one step
along the department's chain (liaison -> backup -> department head -> head of
customer service) in the same transaction as the escalation itself, so two
checkers never escalate the same deadline twice. Time comes from ``ctx.clock``.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from baton_contracts import DeadlineNear, Escalated, Person
from baton_runtime.db import Database
from baton_runtime.problems import Problem
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.assignment.models import IssueOwner, utcnow
from baton_ownership.deadlines.models import Deadline
from baton_ownership.directory import service as directory
from baton_ownership.directory.models import Member
from baton_ownership.lifecycle import service as lifecycle
from baton_ownership.settings import EscalationStep, Settings

log = logging.getLogger(__name__)
CHECKER = "baton-deadlines"


async def _next_person(
    session: AsyncSession,
    step: EscalationStep,
    deadline: Deadline,
    issue: IssueOwner,
    settings: Settings,
) -> Member | None:
    if step.to == "backup":
        free = await directory.available_liaisons(session=session, department=deadline.department)
        others = [(m, n) for m, n in free if m.person_id != issue.owner_id]
        return min(others, key=lambda mn: mn[1])[0] if others else None
    department = (
        deadline.department
        if step.to == "department_head"
        else settings.customer_service_department
    )
    return await directory.head_of(session=session, department=department)


async def escalate(
    ctx: lifecycle.Ctx, deadline: Deadline, *, settings: Settings, reason: str | None = None
) -> bool:
    """Take the next step of the chain for a passed deadline (or, with ``reason``,
    for one that cannot wait: an owner who cannot be reached); False if none is left."""
    issue = await lifecycle.load(ctx, deadline.issue_id)
    chain = settings.escalation_chain
    while deadline.level < len(chain):
        step = chain[deadline.level]
        deadline.level += 1
        person = await _next_person(ctx.session, step, deadline, issue, settings)
        if person is None or person.person_id == issue.owner_id:
            continue  # nobody there (no free backup): go straight to the next step
        moved = step.action == "move" and deadline.kind != "help"
        reason = reason or f"{deadline.kind}_overdue"
        if moved:
            previous = issue.owner_id
            issue = await lifecycle.change(
                ctx,
                issue,
                issue.version,
                "escalated",
                {"reason": reason, "level": deadline.level, "to": person.person_id},
                owner_id=person.person_id,
                owner_name=person.name,
                owner_email=person.email,
                assigned_at=ctx.clock(),
                held_by_head=person.role == "head",
                state="assigned",
                acknowledged_at=None,
            )
            ctx.emit(lifecycle.owner_assigned(issue, via="escalation", previous_owner_id=previous))
        else:
            issue = await lifecycle.change(
                ctx,
                issue,
                issue.version,
                "escalated",
                {"reason": reason, "level": deadline.level, "to": person.person_id},
            )
        ctx.emit(
            Escalated(
                **lifecycle.change_fields(ctx, issue),
                reason=reason,  # type: ignore[arg-type]
                level=deadline.level,
                moved=moved,
                due_at=deadline.due_at,
                help_id=deadline.help_id,
                to=Person(id=person.person_id, name=person.name, email=person.email),
            )
        )
        deadline.due_at = ctx.clock() + timedelta(minutes=settings.escalation_step_minutes)
        ctx.session.add(deadline)
        return True
    deadline.status = "exhausted"
    ctx.session.add(deadline)
    return False


async def warn(*, db: Database, settings: Settings, clock=utcnow, limit: int = 100) -> int:  # type: ignore[no-untyped-def]
    """Say ``DeadlineNear`` once for each clock past its warning time but not yet due."""
    warned = 0
    async with db.transaction() as session:
        near = (await session.exec(
            select(Deadline)
            .where(Deadline.status == "open", Deadline.warned == False,  # noqa: E712
                   Deadline.warn_at <= clock(), Deadline.due_at > clock())  # type: ignore[operator]
            .order_by(Deadline.due_at)  # type: ignore[arg-type]
            .limit(limit)
            .with_for_update(skip_locked=True)
        )).all()  # fmt: skip
        ctx = lifecycle.Ctx(session=session, settings=settings, actor_id=CHECKER, clock=clock)
        for deadline in near:
            deadline.warned = True
            session.add(deadline)
            issue = await lifecycle.load(ctx, deadline.issue_id)
            ctx.emit(DeadlineNear(
                **lifecycle.change_fields(ctx, issue), deadline=deadline.kind,  # type: ignore[arg-type]
                due_at=deadline.due_at, help_id=deadline.help_id,
                helping_department=deadline.department if deadline.kind == "help" else None,
            ))  # fmt: skip
            warned += 1
    return warned


async def check(*, db: Database, settings: Settings, clock=utcnow, limit: int = 100) -> int:  # type: ignore[no-untyped-def]
    """Escalate every passed deadline once, and say which are near. Safe to run in
    several replicas at once."""
    await warn(db=db, settings=settings, clock=clock, limit=limit)
    escalated = 0
    async with db.transaction() as session:
        due = (
            await session.exec(
                select(Deadline)
                .where(Deadline.status == "open", Deadline.due_at <= clock())
                .order_by(Deadline.due_at)  # type: ignore[arg-type]
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        ctx = lifecycle.Ctx(session=session, settings=settings, actor_id=CHECKER, clock=clock)
        for deadline in due:
            try:
                async with session.begin_nested():
                    escalated += await escalate(ctx, deadline, settings=settings)
            except Problem:
                # The issue changed under us (a liaison acted): try again on the next pass.
                log.info("deadline %s skipped: its issue changed meanwhile", deadline.id)
    ctx.committed()
    return escalated
