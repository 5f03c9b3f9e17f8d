"""Where each department's round-robin among its liaisons stands."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class DepartmentCursor(SQLModel, table=True):
    """Round-robin position among a department's equally loaded liaisons."""

    __tablename__ = "department_cursors"

    department: str = Field(primary_key=True, max_length=64)
    next_index: int = 0
