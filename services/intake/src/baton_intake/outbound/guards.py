"""No loops, no spam: who is never answered automatically, and how often anyone is.

- Mail from a mailing list (``List-Id``, ``List-Post``, ``List-Unsubscribe``) or
  from a no-reply address is taken in, but never acknowledged: an answer would go
  to everyone on the list, or nowhere. (Auto-replies, bounces and bulk mail are
  not even taken in: ``sources.email``.)
- At most ``BATON_ACKNOWLEDGEMENTS_PER_HOUR`` acknowledgements to one reporter
  in any hour: a flood of new reports from one address, say a misconfigured
  system, gets a few answers, not one each.
- A contact a delivery status notification declared undeliverable gets nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_intake.outbound.models import ReporterMessage

_NO_REPLY = re.compile(
    r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|donotreply|noreply|bounces?|notifications?)"
    r"([-+_.].*)?$"
)
_LIST_HEADERS = ("List-Id", "List-Post", "List-Unsubscribe")


def quiet_reason(get_header: Callable[[str], object], sender: str) -> str | None:
    """Why mail from ``sender`` with these headers must not be acknowledged, or None."""
    for header in _LIST_HEADERS:
        if get_header(header) is not None:
            return f"mailing list ({header})"
    if _NO_REPLY.match(sender.split("@")[0].lower()):
        return "a no-reply address"
    return None


async def acknowledgements_within(
    session: AsyncSession, *, reporter_key: str, since: datetime
) -> int:
    """Acknowledgements to this reporter since then, held back ones not counted."""
    return (
        await session.exec(
            select(func.count())
            .select_from(ReporterMessage)
            .where(
                ReporterMessage.reporter_key == reporter_key,
                ReporterMessage.kind == "acknowledged",
                col(ReporterMessage.status) != "skipped",
                col(ReporterMessage.created_at) >= since,
            )
        )
    ).one()


async def flooded(session: AsyncSession, *, reporter_key: str, now: datetime, limit: int) -> bool:
    since = now - timedelta(hours=1)
    return await acknowledgements_within(session, reporter_key=reporter_key, since=since) >= limit
