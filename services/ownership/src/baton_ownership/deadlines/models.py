"""Open deadlines: one row per clock that is running on an issue."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlmodel import Field, SQLModel

Kind = Literal["acknowledge", "resolve", "help"]


class Deadline(SQLModel, table=True):
    __tablename__ = "deadlines"

    id: int | None = Field(default=None, primary_key=True)
    issue_id: str = Field(index=True, max_length=36)
    kind: str = Field(max_length=16)
    help_id: int | None = None
    department: str = Field(max_length=64)
    due_at: datetime = Field(index=True)
    # open: running; met: done in time or late; exhausted: the chain has no step left.
    status: str = Field(default="open", max_length=16, index=True)
    level: int = 0  # escalation steps taken so far
    # When to say the deadline is near (DeadlineNear), and whether it was said.
    warn_at: datetime | None = Field(default=None, index=True)
    warned: bool = False
    # What the clock was set to, so it can be shown and explained: from when, how
    # long, and whether it counts the department's working time or the clock's.
    started_at: datetime | None = None
    length_minutes: float | None = None
    counting: str = Field(default="wall", max_length=8)  # working | wall
    # An urgent issue outside working hours: the on-call layer now called (1 = first).
    on_call_layer: int | None = None
