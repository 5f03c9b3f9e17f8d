from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel


@dataclass(frozen=True)
class Example:
    """A labeled message: what was written, and the department that owns it."""

    text: str
    department: str


@dataclass(frozen=True)
class Proposal:
    department: str
    confidence: float
    scores: dict[str, float]  # every department the classifier knows, by probability


class ClassifierPublic(BaseModel):
    version: str | None
    departments: list[str]
