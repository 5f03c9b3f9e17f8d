"""Routing consumes issues.reported, a family that grows: types it does not
route (updates, duplicate links) are ignored, not retried into the DLQ."""

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from baton_contracts import Envelope, IssueDuplicateLinked, IssueUpdated
from baton_routing.catalog.service import load_catalog
from baton_routing.decisions.handler import Decisions
from baton_routing.settings import DEFAULT_CATALOG


class ExplodingDb:
    def transaction(self):
        raise AssertionError("an ignored event must not touch the database")


@pytest.mark.parametrize(
    "payload",
    [
        IssueUpdated(issue_id="i-1", channel="email", text="more", updated_at=datetime.now(UTC)),
        IssueDuplicateLinked(
            issue_id="i-1",
            duplicate_issue_id="i-2",
            channel="agent",
            reason="same subject",
            linked_at=datetime.now(UTC),
        ),
    ],
)
async def test_other_issues_reported_types_are_ignored_without_error(payload):
    runtime = SimpleNamespace(db=ExplodingDb(), relay=None, settings=None)
    envelope = Envelope.wrap(source="/tests", data=payload)
    decisions = Decisions(runtime=runtime, catalog=load_catalog(DEFAULT_CATALOG), classifier=None)
    await decisions.on_issue_reported(envelope)
