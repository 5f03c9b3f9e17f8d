"""Deadlines and escalation.

Each running clock is a ``deadlines`` row. The checker, which runs in every
replica, takes due rows with ``FOR UPDATE SKIP LOCKED`` and moves each one step
along the department's chain (liaison -> backup -> department head -> head of
customer service) in the same transaction as the escalation itself, so two
checkers never escalate the same deadline twice. Time comes from ``ctx.clock``.
An issue bounced through too many departments escalates too (``silo_alarm``).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from baton_contracts import DeadlineNear
from baton_runtime.db import Database
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_ownership.core import store, transitions
from baton_ownership.core.errors import OwnershipError
from baton_ownership.core.state import Issue, event_fields, utcnow
from baton_ownership.core.store import Ctx
from baton_ownership.deadlines import clocks, oncall
from baton_ownership.deadlines.models import Deadline
from baton_ownership.directory import service as directory
from baton_ownership.directory.hours import hours_of
from baton_ownership.directory.models import Member
from baton_ownership.settings import EscalationStep, Settings
from baton_ownership.workload import service as workload

log = logging.getLogger(__name__)
CHECKER = "baton-deadlines"


async def _next_person(
    session: AsyncSession,
    step: EscalationStep,
    deadline: Deadline,
    issue: Issue,
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


async def escalate(ctx: Ctx, deadline: Deadline, *, reason: str | None = None) -> bool:
    """Take the next step of the chain for a passed deadline (or, with ``reason``,
    for one that cannot wait: an owner who cannot be reached); False if none is left.
    An on-call clock calls the next on-call layer first; the chain then goes on
    without waking a backup liaison."""
    issue = await store.load(ctx, deadline.issue_id)
    if deadline.on_call_layer is not None and deadline.kind == "acknowledge":
        if await oncall.call_next_layer(ctx, deadline, issue, reason=reason):
            return True
    chain = ctx.settings.escalation_chain
    while deadline.level < len(chain):
        step = chain[deadline.level]
        deadline.level += 1
        if step.to == "backup" and deadline.on_call_layer is not None:
            continue
        person = await _next_person(ctx.session, step, deadline, issue, ctx.settings)
        if person is None or person.person_id == issue.owner_id:
            continue  # nobody there (no free backup): go straight to the next step
        # The next step counts as the clock did: a working-time clock waits for working hours.
        hours = await hours_of(ctx.session, deadline.department)
        step_length = timedelta(minutes=ctx.settings.escalation_step_minutes)
        next_due = clocks.after(hours, deadline.counting, ctx.clock(), step_length)
        moved = step.action == "move" and deadline.kind != "help"
        change = transitions.escalate(
            issue, to=directory.seat(person), reason=reason or f"{deadline.kind}_overdue",
            moved=moved, level=deadline.level, due_at=deadline.due_at, help_id=deadline.help_id,
            actor_id=ctx.actor_id, now=ctx.clock(),
            acknowledge_due_at=next_due if moved and deadline.kind == "acknowledge" else None,
        )  # fmt: skip
        escalated = await store.apply(ctx, change)
        await workload.follow(ctx, change)
        if reason is None:  # the clock ran out: say so in the issue's trace
            ctx.mark(
                issue.issue_id, "deadline passed", ctx.clock(),
                {"baton.deadline": deadline.kind, "baton.department": deadline.department,
                 "baton.priority": issue.priority, "baton.escalation.level": deadline.level,
                 "baton.due_at": deadline.due_at.isoformat()},
            )  # fmt: skip
        await clocks.next_step(
            ctx.session, deadline, escalated, due_at=next_due, settings=ctx.settings,
            now=ctx.clock(),
        )  # fmt: skip
        return True
    deadline.status = "exhausted"
    ctx.session.add(deadline)
    return False


async def silo_alarm(ctx: Ctx, issue: Issue) -> Issue:
    """Too many departments have held this issue: tell the head of customer service."""
    head = await directory.head_of(
        session=ctx.session, department=ctx.settings.customer_service_department
    )
    if head is None:
        return issue
    change = transitions.silo_alarm(
        issue, head=directory.seat(head).person, actor_id=ctx.actor_id, now=ctx.clock()
    )
    return await store.apply(ctx, change)


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
        ctx = Ctx(session=session, settings=settings, actor_id=CHECKER, clock=clock)
        for deadline in near:
            deadline.warned = True
            session.add(deadline)
            issue = await store.load(ctx, deadline.issue_id)
            ctx.emit(DeadlineNear(
                **event_fields(issue, actor_id=CHECKER, at=clock()),
                deadline=deadline.kind,  # type: ignore[arg-type]
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
        ctx = Ctx(session=session, settings=settings, actor_id=CHECKER, clock=clock)
        for deadline in due:
            try:
                async with session.begin_nested():
                    escalated += await escalate(ctx, deadline)
            except OwnershipError:
                # The issue changed under us (a liaison acted): try again on the next pass.
                log.info("deadline %s skipped: its issue changed meanwhile", deadline.id)
    ctx.committed()
    return escalated
