from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_notifications.recipients.models import (
    DEFAULT_CHANNELS,
    SEALED_FIELDS,
    RecipientPreferences,
)
from baton_notifications.recipients.schemas import PreferencesUpdate
from baton_notifications.sealer import Sealer

ALWAYS_DELIVERED = {"escalated"}


async def preferences(*, session: AsyncSession, person_id: str) -> RecipientPreferences | None:
    return await session.get(RecipientPreferences, person_id)


async def set_preferences(
    *, session: AsyncSession, person_id: str, update: PreferencesUpdate, sealer: Sealer
) -> RecipientPreferences:
    """Replace a person's preferences; their webhook secret and URLs are sealed."""
    row = await session.get(RecipientPreferences, person_id) or RecipientPreferences(
        person_id=person_id
    )
    row.name, row.email = update.name, update.email
    row.time_zone, row.language = update.time_zone, update.language
    row.channels = {kind: list(dict.fromkeys(chs)) for kind, chs in update.channels.items()}
    slack = str(update.slack_webhook_url) if update.slack_webhook_url else None
    row.slack_webhook_url = sealer.seal(slack)
    row.webhook_url = sealer.seal(str(update.webhook_url) if update.webhook_url else None)
    row.quiet_hours = update.quiet_hours
    row.working_hours = (
        update.working_hours.model_dump(mode="json") if update.working_hours else None
    )
    if update.webhook_secret is not None:
        row.webhook_secret = sealer.seal(update.webhook_secret.get_secret_value() or None)
    row.updated_at = datetime.now(UTC)
    session.add(row)
    await session.flush()
    return row


async def reseal(*, session: AsyncSession, sealer: Sealer) -> int:
    """Reseal every stored webhook secret and URL with the first key; returns how
    many people's preferences held one."""
    changed = 0
    for prefs in (await session.exec(select(RecipientPreferences))).all():
        if not any(getattr(prefs, name) for name in SEALED_FIELDS):
            continue
        for name in SEALED_FIELDS:
            setattr(prefs, name, sealer.reseal(getattr(prefs, name)))
        session.add(prefs)
        changed += 1
    return changed


def channels_for(row: RecipientPreferences | None, kind: str) -> list[str]:
    """The channels a person chose for ``kind``. Escalations always go out: by email
    at least, whatever the preferences say."""
    chosen = list(row.channels.get(kind, DEFAULT_CHANNELS)) if row else list(DEFAULT_CHANNELS)
    if kind in ALWAYS_DELIVERED and "email" not in chosen:
        chosen.insert(0, "email")
    return chosen
