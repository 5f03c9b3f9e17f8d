"""The directory's API bodies."""

from __future__ import annotations

from pydantic import BaseModel
from pydantic import Field as PydanticField

from baton_ownership.core.state import Role
from baton_ownership.directory.models import Member


class AvailabilityUpdate(BaseModel):
    on_duty: bool | None = None
    capacity: int | None = PydanticField(default=None, ge=0, le=10_000)


class MemberPublic(BaseModel):
    department: str
    person_id: str
    role: Role
    active: bool
    on_duty: bool
    capacity: int
    open_issues: int

    @classmethod
    def of(cls, member: Member, open_issues: int) -> MemberPublic:
        # The member's columns the schema shows (it ignores their name and email).
        return cls(**member.model_dump(), open_issues=open_issues)
