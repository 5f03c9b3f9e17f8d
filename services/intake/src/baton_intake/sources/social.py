"""Social media: a post a monitor found ``{platform, handle, post_url, text,
posted_at}`` (``POST /v1/channels/social``). The handle is kept as a contact."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_intake.contacts.service import reporter_id_for
from baton_intake.issues import service
from baton_intake.issues.schemas import Draft, ReporterIn
from baton_intake.outbound.routes import ReplyRoute
from baton_intake.settings import Settings
from baton_intake.sources.common import opaque_ref, subject_from

SOURCE = "social"


class SocialPost(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "platform": "mastodon",
                    "handle": "@ada@example.social",
                    "post_url": "https://example.social/@ada/1122334455",
                    "text": "@shop my order 1234 arrived broken, nobody answers!",
                    "posted_at": "2026-11-23T08:15:00Z",
                }
            ]
        },
    )

    platform: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    handle: str = Field(min_length=1, max_length=200)
    post_url: str = Field(min_length=8, max_length=2_000, pattern=r"^https?://\S+$")
    text: str = Field(min_length=1, max_length=10_000)
    posted_at: datetime


async def take_in(session: AsyncSession, settings: Settings, post: SocialPost) -> service.Taken:
    """A social media post; the same post_url twice is one issue."""
    contact = await reporter_id_for(
        session=session, kind=f"social:{post.platform}", value=post.handle
    )
    draft = Draft(
        channel="social",
        source_system=SOURCE,
        reporter=ReporterIn(kind="customer", id=contact),
        subject=subject_from(post.text),
        description=post.text,
        # The URL may name the handle: events carry a digest of it.
        external_ref=opaque_ref(post.post_url, "post"),
        # Answered on the post, through the social connector (the URL stays here).
        reply=ReplyRoute(contact_id=contact, thread=post.post_url),
    )
    return await service.report(session=session, settings=settings, draft=draft)
