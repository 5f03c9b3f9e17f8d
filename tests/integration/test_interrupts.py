"""Notifications' notice load (``GET /v1/interrupts``) on PostgreSQL: the unit tests
run it on SQLite, which takes a max of a boolean that PostgreSQL refuses (it was a
500 there, and the workspace's scorecards page showed its interrupt-load panel
without notice counts)."""

from __future__ import annotations

import pytest

from tests.integration.test_issue_journey import mails_about, owner_of, report

pytestmark = pytest.mark.integration


async def test_a_department_s_notice_load_counts_the_owner_s_notice(stack, http):
    issue_id = await report(stack, http, "Charged twice, I want a refund")
    owner = await owner_of(stack, http, issue_id)
    await mails_about(stack, issue_id, owner["owner"]["email"])  # the notice was sent

    r = await http.get(
        f"{stack.url('notifications')}/v1/interrupts",
        params={"department": owner["department"]},
        headers=stack.as_("reader"),
    )
    assert r.status_code == 200, r.text
    load = r.json()
    people = {p["person_id"]: p for p in load["people"]}
    told = people[owner["owner"]["id"]]
    assert told["within_working_hours"] + told["outside_working_hours"] >= 1
