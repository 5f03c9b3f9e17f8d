from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from baton_contracts import IssueReported, Reporter


@pytest.fixture
def make_issue() -> Callable[..., IssueReported]:
    """An issue as intake reports it; keyword arguments override any field."""

    def make(subject: str, description: str = "Please help.", **fields) -> IssueReported:
        base = {
            "issue_id": "i-1",
            "channel": "agent",
            "reporter": Reporter(kind="customer", id="c-1"),
            "subject": subject,
            "description": description,
            "reported_at": datetime.now(UTC),
        }
        return IssueReported(**(base | fields))

    return make
