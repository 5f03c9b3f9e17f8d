from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

from baton_contracts.topics import (
    DEPARTMENTS,
    ISSUES_OWNERSHIP,
    ISSUES_REPORTED,
    NOTIFICATIONS_DELIVERIES,
)
from baton_runtime import retention
from baton_runtime.service import Runtime
from fastapi import FastAPI

from baton_notifications.deliveries import service as deliveries
from baton_notifications.deliveries.handler import TAKES, on_issue_reported, on_ownership_event
from baton_notifications.deliveries.handover import Dispatcher
from baton_notifications.deliveries.router import router as deliveries_router
from baton_notifications.directory.handler import on_department_updated
from baton_notifications.interrupts.router import router as interrupts_router
from baton_notifications.recipients.router import router as recipients_router
from baton_notifications.senders.email import Mailer
from baton_notifications.settings import Settings

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    if not settings.encryption_keys.get_secret_value():
        log.warning(
            "BATON_ENCRYPTION_KEYS is not set: recipients' webhook secrets and URLs are "
            "stored unsealed (python -m baton_notifications.sealing new-key makes a key)"
        )
    runtime = Runtime(
        name="notifications", settings=settings, migrations_dir=Path(__file__).parent / "migrations"
    )
    runtime.produces(NOTIFICATIONS_DELIVERIES)
    runtime.consume(DEPARTMENTS, partial(on_department_updated, runtime=runtime))
    mailer = Mailer(settings)
    sender = Dispatcher(db=runtime.db, settings=settings, mailer=mailer)
    # The deliveries a consumer's transaction recorded are handed to the dispatcher
    # when it commits, and sent at once (``deliveries.handover``).
    runtime.consume(
        ISSUES_REPORTED, partial(on_issue_reported, runtime=runtime, hand_over=sender.hand_over)
    )
    runtime.consume(
        ISSUES_OWNERSHIP,
        partial(on_ownership_event, runtime=runtime, hand_over=sender.hand_over),
        only=TAKES,
    )
    runtime.keep(retention.processed_events(settings.processed_events_retention_days))
    for purge in deliveries.finished(settings.delivery_retention_days):
        runtime.keep(purge)
    # Woken when deliveries are handed over; its poll, at least this often, finds
    # retries that come due, held digests, and leases that ran out.
    runtime.every(settings.delivery_poll_interval_s, "delivery dispatcher", sender.run,
                  wake=sender.wake)  # fmt: skip
    runtime.on_stop(sender.release)
    runtime.on_stop(mailer.close)
    return runtime.app(
        title="Baton notifications",
        routers=[deliveries_router, recipients_router, interrupts_router],
    )
