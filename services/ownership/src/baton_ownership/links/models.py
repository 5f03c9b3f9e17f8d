"""Signed links that were used: each works once."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from baton_ownership.core.state import utcnow


class UsedLink(SQLModel, table=True):
    __tablename__ = "used_links"

    token_id: str = Field(primary_key=True, max_length=64)  # the token's jti
    issue_id: str = Field(max_length=36)
    used_at: datetime = Field(default_factory=utcnow)
