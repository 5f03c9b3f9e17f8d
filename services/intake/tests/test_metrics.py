"""Issues taken in are counted per channel, priority and outcome, once their
transaction commits: a replayed request or a rolled-back one counts nothing."""

from __future__ import annotations

from collections import Counter

import pytest
from baton_intake import metrics
from baton_intake.issues import service
from baton_intake.issues.schemas import Draft
from baton_runtime.metrics import CHANNEL, OUTCOME

from .test_issues_api import VALID


class Recorded:
    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str, str]] = Counter()

    def add(self, value: int, labels: dict[str, str]) -> None:
        self.counts[(labels[CHANNEL], labels[metrics.PRIORITY], labels[OUTCOME])] += value


@pytest.fixture
def counted(monkeypatch) -> Recorded:
    recorded = Recorded()
    monkeypatch.setattr(metrics, "issues_taken_in", recorded)
    return recorded


async def test_each_issue_taken_in_is_counted_once_by_channel_priority_and_outcome(client, counted):
    headers = {"Idempotency-Key": "k-1"}
    assert (await client.post("/v1/issues", json=VALID, headers=headers)).status_code == 202
    assert (await client.post("/v1/issues", json=VALID, headers=headers)).status_code == 202
    again = VALID | {"external_ref": "crm-10"}  # same reporter and subject: a near-duplicate
    assert (await client.post("/v1/issues", json=again)).json()["outcome"] == "duplicate_linked"
    phone = VALID | {"channel": "phone", "priority": "low", "subject": "Other", "external_ref": "9"}
    assert (await client.post("/v1/issues", json=phone)).status_code == 202

    assert counted.counts == {
        ("agent", "high", "created"): 1,  # the replay with the same key is not counted
        ("agent", "high", "duplicate_linked"): 1,
        ("phone", "low", "created"): 1,
    }


async def test_an_issue_whose_transaction_rolls_back_is_not_counted(client, counted):
    draft = Draft.model_validate(VALID | {"source_system": "crm"})
    with pytest.raises(RuntimeError):
        async with client.runtime.db.transaction() as session:
            await service.report(session=session, settings=client.runtime.settings, draft=draft)
            raise RuntimeError("the caller's work fails after the issue was written")
    assert counted.counts == {}
    async with client.runtime.db.transaction() as session:
        await service.report(session=session, settings=client.runtime.settings, draft=draft)
    assert counted.counts == {("agent", "high", "created"): 1}
