"""Topic family ``issues.reroute``: a department declined an issue without naming
where it belongs; routing must pick another department.

A topic of its own rather than a type on ``issues.routed``: it is a request *to*
routing (ownership produces, routing consumes), while ``issues.routed`` carries
routing's answers; one topic per direction keeps each service consuming only what it
is asked. Keyed by issue id like every issue event.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from baton_contracts.envelope import register

REROUTE_REQUESTED_V1 = "baton.issue.reroute-requested.v1"


class RerouteRequested(BaseModel):
    issue_id: str
    declined_by: str  # the department that declined it
    reason: str | None = None  # the department's words, if any (not logged)
    requested_at: datetime


register(REROUTE_REQUESTED_V1, RerouteRequested)
