"""Ownership's copy of who the liaisons and heads of each department are, with
what only ownership knows: whether each is on duty and how many issues they take."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


class Member(SQLModel, table=True):
    __tablename__ = "department_members"

    department: str = Field(primary_key=True, max_length=64)
    person_id: str = Field(primary_key=True, max_length=128)
    role: str = Field(max_length=16)  # liaison | head
    name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    # False once the catalog no longer lists them; their open issues stay theirs.
    active: bool = True
    on_duty: bool = True
    capacity: int = 25


class DepartmentPolicy(SQLModel, table=True):
    """What the catalog says of a department as a whole."""

    __tablename__ = "department_policies"

    department: str = Field(primary_key=True, max_length=64)
    resolve_hours: float | None = None  # its own time to resolve, else the defaults
    # When the roster last written was true (the catalog's updated_at, or the
    # routing decision's time): an older roster, arriving late, is not applied.
    roster_at: datetime | None = None
    # The catalog's calendar (None: around the clock), on-call schedule and targets
    # for other departments' requests, as the contract models dump them.
    calendar: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    on_call: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    internal_targets: list[Any] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
