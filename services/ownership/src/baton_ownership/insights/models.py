"""Each stay of an issue in a department: what the scorecards and stall lists
are computed from (the same stays the ``department <name>`` spans show)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel


class Stay(SQLModel, table=True):
    __tablename__ = "department_stays"

    id: int | None = Field(default=None, primary_key=True)
    issue_id: str = Field(index=True, max_length=36)
    department: str = Field(index=True, max_length=64)
    hop: int
    via: str = Field(max_length=16)  # routing | handoff | reopen
    started_at: datetime = Field(index=True)
    acknowledged_at: datetime | None = None
    ended_at: datetime | None = None
    outcome: str | None = Field(default=None, max_length=16)  # handed_off | resolved
