"""What reporters said of how their issue was handled, for the scorecards."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel


class Rating(SQLModel, table=True):
    """One rating per issue, counted for the department and the person that held
    the issue when it was rated (the one who resolved it)."""

    __tablename__ = "ratings"

    issue_id: str = Field(primary_key=True, max_length=36)
    department: str = Field(index=True, max_length=64)
    owner_id: str = Field(index=True, max_length=128)
    rating: int
    rated_at: datetime = Field(index=True)
