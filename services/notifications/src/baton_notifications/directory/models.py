"""Notifications' copy of each department's liaisons and head, from the
``departments`` topic: how a department or a person id becomes an address."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class DirectoryEntry(SQLModel, table=True):
    __tablename__ = "directory"

    department: str = Field(primary_key=True, max_length=64)
    person_id: str = Field(primary_key=True, max_length=128, index=True)
    role: str = Field(max_length=16)  # liaison | head
    name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    active: bool = True
