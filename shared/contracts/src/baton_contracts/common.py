"""Types that several topic families share."""

from typing import Literal

from pydantic import BaseModel

Priority = Literal["low", "normal", "high", "urgent"]


class Person(BaseModel):
    """A member of staff Baton can hold accountable (a liaison, a contact)."""

    id: str
    name: str
    email: str
