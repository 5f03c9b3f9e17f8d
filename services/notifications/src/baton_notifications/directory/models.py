"""Notifications' copy of each department's liaisons and head, from the
``departments`` topic: how a department or a person id becomes an address."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


class DirectoryEntry(SQLModel, table=True):
    __tablename__ = "directory"

    department: str = Field(primary_key=True, max_length=64)
    person_id: str = Field(primary_key=True, max_length=128, index=True)
    role: str = Field(max_length=16)  # liaison | head
    name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    active: bool = True


class DepartmentHours(SQLModel, table=True):
    """A department's calendar (routing's catalog): its people's working hours,
    unless they set their own."""

    __tablename__ = "department_hours"

    department: str = Field(primary_key=True, max_length=64)
    calendar: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
