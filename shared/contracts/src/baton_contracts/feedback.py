"""Topic family ``issues.feedback``: what reporters say of how their issue was
handled. Intake takes it in (a signed rating link in the resolution message) and
publishes it; ownership counts it on the scorecards of the department and the
person that resolved the issue.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from baton_contracts.envelope import register

ISSUE_RATED_V1 = "baton.issue.rated.v1"


class IssueRated(BaseModel):
    """The reporter rated how their issue was handled (one answer per issue)."""

    issue_id: str
    rating: int = Field(ge=1, le=5)  # 1 very dissatisfied .. 5 very satisfied
    comment: str | None = None  # the reporter's words, if any (not logged)
    rated_at: datetime


register(ISSUE_RATED_V1, IssueRated)
