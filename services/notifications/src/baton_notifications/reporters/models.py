"""Internal customers intake cannot answer itself (an employee known by id alone):
who reported each such issue, so that they can be told when it is resolved
(ownership's events do not name the reporter)."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class InternalReporter(SQLModel, table=True):
    __tablename__ = "internal_reporters"

    issue_id: str = Field(primary_key=True, max_length=36)
    reporter_id: str = Field(max_length=200)
    department: str | None = Field(default=None, max_length=64)
