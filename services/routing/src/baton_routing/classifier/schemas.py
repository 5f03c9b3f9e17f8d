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
    # What drove it, for the decision's reason: the nearest catalog examples and the
    # words that weighed most (empty for the text model alone).
    drivers: tuple[str, ...] = ()


class ClassifierPublic(BaseModel):
    version: str | None
    departments: list[str]
