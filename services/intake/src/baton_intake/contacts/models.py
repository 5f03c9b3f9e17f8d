"""Customer contact details: they stay here. Events carry the contact's id."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class Contact(SQLModel, table=True):
    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("kind", "value", name="uq_contacts_kind_value"),)

    id: str = Field(primary_key=True, max_length=40)
    # "email", "phone", or "social:<platform>" for a handle.
    kind: str = Field(max_length=40)
    value: str = Field(max_length=320)
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    # A delivery status notification said mail to it cannot be delivered: nothing
    # more is sent there.
    undeliverable_at: datetime | None = None
