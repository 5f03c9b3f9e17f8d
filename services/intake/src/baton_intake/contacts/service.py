"""Contact details become a stable reporter id: the same address, the same id."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_intake.contacts.models import Contact

_KEPT = "baton_intake.contacts"


def normalize(kind: str, value: str) -> str:
    value = value.strip()
    if kind == "phone":
        return "".join(c for c in value if c.isdigit() or c == "+")
    return value.casefold()


async def reporter_id_for(*, session: AsyncSession, kind: str, value: str) -> str:
    """The contact's id, creating the contact on first sight."""
    value = normalize(kind, value)[:320]
    found = (
        await session.exec(select(Contact).where(Contact.kind == kind, Contact.value == value))
    ).first()
    if found is not None:
        return _kept(session, found).id
    contact = Contact(id=f"contact-{uuid.uuid4().hex[:16]}", kind=kind, value=value)
    session.add(contact)
    # A concurrent first sight fails on the unique key; the caller's retry finds the row.
    await session.flush()
    return _kept(session, contact).id


def _kept(session: AsyncSession, contact: Contact) -> Contact:
    """Held for the session's life: the session keeps only weak references, and a
    door asks ``get`` for the contact it just found (how to answer the reporter),
    which then needs no second SELECT."""
    session.info.setdefault(_KEPT, {})[contact.id] = contact
    return contact


async def get(*, session: AsyncSession, contact_id: str | None) -> Contact | None:
    return await session.get(Contact, contact_id) if contact_id else None


async def mark_undeliverable(*, session: AsyncSession, contact_id: str, at: datetime) -> None:
    contact = await session.get(Contact, contact_id)
    if contact is not None and contact.undeliverable_at is None:
        contact.undeliverable_at = at
        session.add(contact)
