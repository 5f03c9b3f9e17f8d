from __future__ import annotations

import asyncio
import logging
from functools import partial
from pathlib import Path

from baton_contracts.topics import (
    ISSUES_FEEDBACK,
    ISSUES_INBOUND,
    ISSUES_OWNERSHIP,
    ISSUES_REPORTED,
)
from baton_runtime import retention
from baton_runtime.service import Runtime
from baton_runtime.smtp import Mailer
from fastapi import FastAPI

from baton_intake.auth.service import KeyCache
from baton_intake.backlog import Backlog
from baton_intake.deps import identify
from baton_intake.inbound.handler import on_inbound
from baton_intake.issues.handler import TAKES, on_ownership_event
from baton_intake.issues.router import router as issues_router
from baton_intake.outbound import dispatcher
from baton_intake.outbound.models import ReporterMessage
from baton_intake.outbound.router import router as links_router
from baton_intake.settings import Settings
from baton_intake.sources.models import IdempotencyRecord, IgnoredMail
from baton_intake.sources.router import router as doors_router

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    if (
        settings.internal_email_domains
        and settings.internal_email_require_authentication
        and not settings.trusted_authserv_ids
    ):
        log.warning(
            "BATON_INTERNAL_EMAIL_DOMAINS is set but BATON_TRUSTED_AUTHSERV_IDS is empty: "
            "no sender is vouched for, so all mail is taken as customers' (name the mail "
            "gateway's authserv-id)"
        )
    runtime = Runtime(
        name="intake", settings=settings, migrations_dir=Path(__file__).parent / "migrations"
    )
    runtime.produces(ISSUES_REPORTED)
    runtime.produces(ISSUES_FEEDBACK)
    runtime.consume_raw(ISSUES_INBOUND, partial(on_inbound, runtime=runtime))
    # Set when an event staged messages to reporters: the sender sends them at once.
    send_now = asyncio.Event()
    runtime.consume(
        ISSUES_OWNERSHIP,
        partial(on_ownership_event, runtime=runtime, send_now=send_now.set),
        only=TAKES,
    )

    # Reporters' mail goes through one mailer, its SMTP connections kept open.
    mailer = Mailer(settings)
    runtime.on_stop(mailer.close)

    async def send() -> bool:
        tried = await dispatcher.send_due(db=runtime.db, settings=settings, mailer=mailer)
        return tried >= settings.reply_batch  # a full batch: more may be due

    runtime.every(settings.reply_poll_interval_s, "reporter messages", send, wake=send_now)
    runtime.keep(retention.processed_events(settings.processed_events_retention_days))
    runtime.keep(
        retention.Purge(
            "idempotency_keys",
            IdempotencyRecord,
            IdempotencyRecord.created_at,
            settings.idempotency_key_days,
        )
    )
    runtime.keep(
        retention.Purge(
            "ignored_mail", IgnoredMail, IgnoredMail.received_at, settings.retention_days
        )
    )
    # Messages to reporters once finished (sent, failed, held back): they hold what
    # was said, and to whom only through the conversation.
    runtime.keep(
        retention.Purge(
            "reporter_messages",
            ReporterMessage,
            ReporterMessage.finished_at,
            settings.retention_days,
        )
    )
    app = runtime.app(title="Baton intake", routers=[doors_router, issues_router])
    # Systems call with intake API keys; people (agents) with their tokens.
    app.state.identify = identify
    app.state.api_keys = KeyCache(runtime.db)
    # The doors' back-pressure reads the outbox's backlog through this cache.
    app.state.backlog = Backlog(runtime.db)
    # Outside /v1 and its verified callers: a signed link's token is its credential.
    app.include_router(links_router)
    return app
