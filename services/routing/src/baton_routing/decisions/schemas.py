from __future__ import annotations

from datetime import datetime

from baton_contracts import Reporter
from baton_contracts.common import Priority
from pydantic import BaseModel


class DecisionPublic(BaseModel):
    issue_id: str
    department: str
    rule_id: str | None
    reason: str
    model_version: str | None = None
    model_score: float | None = None
    silo_alarm: bool = False
    decided_at: datetime


class PreviewIssue(BaseModel):
    """An issue as intake would report it; nothing is stored or published."""

    channel: str = "agent"
    reporter: Reporter = Reporter(kind="customer", id="preview")
    subject: str
    description: str = ""
    priority: Priority = "normal"
    internal: bool = False
    customer_tier: str | None = None
    product: str | None = None
    language: str | None = None


class PreviewDecision(BaseModel):
    department: str
    priority: Priority
    rule_id: str | None
    matched_rules: list[str]
    model_version: str | None
    model_score: float | None
    model_scores: dict[str, float]
    reason: str
    catalog_version: int
