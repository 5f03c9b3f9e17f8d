"""Reporting an issue: store it and stage ``IssueReported`` in one transaction."""

from __future__ import annotations

import uuid

from baton_shared.events import Envelope, IssueReported, Reporter
from baton_shared.kafka.topics import ISSUES_REPORTED
from baton_shared.outbox import add_event
from baton_shared.settings import ServiceSettings
from opentelemetry import trace
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_intake.issues.models import Issue, IssueCreate

SOURCE = "/baton/intake"


async def report(
    *, session: AsyncSession, settings: ServiceSettings, issue_in: IssueCreate
) -> Issue:
    issue = Issue(
        id=str(uuid.uuid4()),
        channel=issue_in.channel,
        reporter_kind=issue_in.reporter.kind,
        reporter_id=issue_in.reporter.id,
        reporter_department=issue_in.reporter.department,
        subject=issue_in.subject,
        description=issue_in.description,
        priority=issue_in.priority,
        external_ref=issue_in.external_ref,
        internal=issue_in.reporter.kind == "employee",
    )
    session.add(issue)
    event = IssueReported(
        issue_id=issue.id,
        channel=issue.channel,
        reporter=Reporter(
            kind=issue_in.reporter.kind, id=issue.reporter_id, department=issue.reporter_department
        ),
        subject=issue.subject,
        description=issue.description,
        priority=issue_in.priority,
        external_ref=issue.external_ref,
        internal=issue.internal,
        reported_at=issue.reported_at,
    )
    add_event(
        session,
        topic=settings.topic(ISSUES_REPORTED),
        envelope=Envelope.wrap(source=SOURCE, data=event),
    )
    span = trace.get_current_span()
    span.set_attribute("baton.issue_id", issue.id)
    span.set_attribute("baton.channel", issue.channel)
    span.set_attribute("baton.internal", issue.internal)
    return issue


async def get(*, session: AsyncSession, issue_id: str) -> Issue | None:
    return await session.get(Issue, issue_id)
