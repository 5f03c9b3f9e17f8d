"""The live stall signals over the real services, and the dashboards' and alerts'
promise: every metric they name is one the running services export.

Two journeys make every signal appear: an issue worked across departments on the
shared stack (open and unacknowledged move, hand-offs, a decline, a silo alarm,
acknowledge and resolve times), and, on an ownership of its own whose clocks run
out at once, a missed deadline (escalation, overdue) and a handler that fails
(retries, a dead letter)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from baton_contracts import Envelope, IssueRouted, Person
from baton_contracts.topics import ISSUES_ROUTED, dlq
from baton_ownership.core.models import IssueOwner
from baton_runtime.db import Database
from sqlmodel import col, select

from conftest import free_port
from tests.integration.conftest import eventually, read_topic, service_env
from tests.integration.stack import STATE, Service, stop_services, wait_ready
from tests.integration.test_issue_journey import owner_of, report
from tests.integration.test_metrics import samples, total

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = sorted((ROOT / "deploy" / "k8s" / "baton" / "files" / "dashboards").glob("*.json"))
GAUGE_WAIT_S = 45  # the gauges are refreshed every 15 s
METRIC = re.compile(r"\b((?:baton|http_server)_[a-z_]+)\b")


def gauge(found: list, name: str, department: str) -> float:
    """A department's value summed over priorities (one replica here: no max needed)."""
    return total(found, name, baton_department=department)


@dataclass(frozen=True)
class Rows:
    """Finance's (open, unacknowledged) issues in ownership's own rows: the journey's
    issue and every other one (other tests' issues still move on the shared stack)."""

    ours: tuple[int, int]
    others: tuple[int, int]

    @property
    def all(self) -> tuple[int, int]:
        return (self.ours[0] + self.others[0], self.ours[1] + self.others[1])


async def finance_rows(db: Database, issue_id: str = "") -> Rows:
    async with db.session() as session:
        found = await session.exec(
            select(IssueOwner.issue_id, IssueOwner.state).where(
                IssueOwner.department == "finance", col(IssueOwner.state) != "resolved"
            )
        )
        rows = found.all()
    ours = [state for id_, state in rows if id_ == issue_id]
    others = [state for id_, state in rows if id_ != issue_id]
    return Rows(
        ours=(len(ours), ours.count("assigned")), others=(len(others), others.count("assigned"))
    )


def finance_gauges(found: list) -> tuple[int, int]:
    return (
        int(gauge(found, "baton_ownership_issues_open", "finance")),
        int(gauge(found, "baton_ownership_issues_unacknowledged", "finance")),
    )


async def refreshed(http, stack, db: Database, issue_id: str = "", *, what: str):
    """Ownership's metrics once its finance gauges show the rows as they are now,
    with those rows: a sample taken between a change and the next refresh (every
    15 s) is stale, and would count an earlier test's issue against this journey."""

    async def agree():
        rows = await finance_rows(db, issue_id)
        now = await samples(http, stack.url("ownership"))
        same = rows == await finance_rows(db, issue_id) and finance_gauges(now) == rows.all
        return (now, rows) if same else None

    return await eventually(agree, timeout_s=GAUGE_WAIT_S, what=what)


@dataclass
class Seen:
    before: list
    reported: list  # ownership once the new issue counted as open
    acknowledged: list  # ownership once it no longer counted as unacknowledged
    worked: list  # ownership after the hand-offs, the decline and the resolution
    intake_before: list
    intake_after: list
    deadlines: list  # the ownership whose clocks run out at once
    rows: dict[str, Rows]  # finance's rows when before, reported, acknowledged were taken


async def call(http, stack, path: str, actor: str, body: dict, expect: int = 200) -> dict:
    r = await http.post(f"{stack.url('ownership')}{path}", json=body, headers=stack.as_(actor))
    assert r.status_code == expect, r.text
    return r.json()


async def hand_over(http, stack, issue_id: str, state: dict, to: str, taker: str) -> dict:
    asked = await call(
        http, stack, f"/v1/issues/{issue_id}/handoffs", state["owner_id"],
        {"version": state["version"], "to_department": to, "reason": "belongs there"}, 201,
    )  # fmt: skip
    return await call(
        http, stack, f"/v1/issues/{issue_id}/handoffs/{asked['pending_handoff']['id']}/accept",
        taker, {"version": asked["version"]},
    )  # fmt: skip


async def work_an_issue(stack, http, db: Database) -> dict:
    found: dict = {"rows": {}}
    found["before"], found["rows"]["before"] = await refreshed(
        http, stack, db, what="finance's gauges to show its rows before the journey"
    )
    found["intake_before"] = await samples(http, stack.url("intake"))
    issue_id = await report(stack, http, "Charged twice, I want a refund")
    owner = await owner_of(stack, http, issue_id)
    assert owner["department"] == "finance"
    found["reported"], found["rows"]["reported"] = await refreshed(
        http, stack, db, issue_id, what="finance's gauges to count the new issue"
    )
    owner_id = owner["owner"]["id"]
    state = await call(
        http, stack, f"/v1/issues/{issue_id}/acknowledge", owner_id, {"version": owner["version"]}
    )
    found["acknowledged"], found["rows"]["acknowledged"] = await refreshed(
        http, stack, db, issue_id, what="finance's gauges to see the issue acknowledged"
    )

    # Declined by IT, then on through IT, operations and sales: a fourth department
    # is one more than silo_alarm_hops (3) allows.
    asked = await call(
        http, stack, f"/v1/issues/{issue_id}/handoffs", owner_id,
        {"version": state["version"], "to_department": "it", "reason": "a login problem?"}, 201,
    )  # fmt: skip
    state = await call(
        http, stack, f"/v1/issues/{issue_id}/handoffs/{asked['pending_handoff']['id']}/decline",
        "it-kofi",
        {"version": asked["version"], "reason": "not ours", "suggested_department": "hr"},
    )  # fmt: skip
    state = await hand_over(http, stack, issue_id, state, "it", "it-kofi")
    state = await hand_over(http, stack, issue_id, state, "operations", "ops-ana")
    state = await hand_over(http, stack, issue_id, state, "sales", "sales-carla")
    assert state["hop"] == 4
    await call(
        http, stack, f"/v1/issues/{issue_id}/resolve", "sales-carla",
        {"version": state["version"], "resolution": "refunded"},
    )  # fmt: skip
    found["worked"] = await samples(http, stack.url("ownership"))
    found["intake_after"] = await samples(http, stack.url("intake"))
    return found


# ---- an ownership whose clocks run out at once ---------------------------------------


def launch(env: dict[str, str], log: Path) -> Service:
    """Ownership as a process of its own (its own log: the stack's stays whole)."""
    port = free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "baton_ownership"],
            env={**os.environ, **env, "BATON_PORT": str(port)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Service("ownership", port, process, log)


@pytest.fixture(scope="module")
async def hurried(infra) -> AsyncIterator[tuple[Service, str]]:
    """Ownership alone, on its own topics and schema: acknowledge clocks of zero
    minutes, a checker every half second, two attempts per message."""
    prefix = f"hd{uuid.uuid4().hex[:8]}."
    env = service_env(
        prefix, infra, "ownership",
        BATON_ACKNOWLEDGE_MINUTES='{"urgent": 0, "high": 0, "normal": 0, "low": 0}',
        BATON_DEADLINE_CHECK_INTERVAL_S="0.5", BATON_HANDLER_MAX_ATTEMPTS="2",
    )  # fmt: skip
    service = launch(env, STATE / "logs" / "ownership-hurried.log")
    try:
        await wait_ready([service])
        yield service, prefix
    finally:
        stop_services([service])


def routed(issue_id: str) -> bytes:
    people = [Person(id=f"it-{n}", name=n.title(), email=f"{n}@example.com") for n in ("a", "b")]
    event = IssueRouted(
        issue_id=issue_id, department="it", rule_id=None, reason="test", priority="urgent",
        liaisons=people, head=Person(id="it-head", name="Head", email="head@example.com"),
        routed_at=datetime.now(UTC),
    )  # fmt: skip
    return Envelope.wrap(source="/tests", data=event).to_json()


async def miss_a_deadline_and_fail_a_handler(hurried, producer, http, infra) -> list:
    service, prefix = hurried
    topic = prefix + ISSUES_ROUTED
    await producer.send_raw(topic, key="late-1", value=routed(f"late-{uuid.uuid4().hex[:8]}"))
    # An id longer than issue_owners.issue_id (36) fails on insert, every attempt.
    too_long = "x" * 40
    await producer.send_raw(topic, key=too_long, value=routed(too_long))

    async def all_seen():
        now = await samples(http, service.url)
        ready = (
            total(now, "baton_ownership_escalations_total", baton_department="it") >= 1
            and total(now, "baton_ownership_deadlines_overdue", baton_deadline="acknowledge") >= 1
            and total(now, "baton_messages_handled_total", baton_outcome="dead_lettered") >= 1
        )
        return now if ready else None

    found = await eventually(all_seen, timeout_s=GAUGE_WAIT_S, what="escalation and dead letter")
    assert [r for r in await read_topic(infra.kafka, dlq(topic)) if r.key == too_long.encode()]
    return found


@pytest.fixture(scope="module")
async def seen(stack, http, hurried, producer, infra) -> Seen:
    schema = service_env(stack.prefix, infra, "ownership")["BATON_DATABASE_SCHEMA"]
    db = Database(stack.database_url, schema=schema)
    try:
        worked = await work_an_issue(stack, http, db)
    finally:
        await db.dispose()
    late = await miss_a_deadline_and_fail_a_handler(hurried, producer, http, infra)
    return Seen(**worked, deadlines=late)


# ---- the tests --------------------------------------------------------------------------


async def test_open_and_unacknowledged_per_department_move_with_a_journey(seen: Seen):
    def moved(a: str, b: str) -> tuple[int, ...]:
        """How far the journey moved finance's (open, unacknowledged) gauges from
        sample a to sample b: their move less what other issues' rows moved meanwhile."""
        ga, gb = finance_gauges(getattr(seen, a)), finance_gauges(getattr(seen, b))
        oa, ob = seen.rows[a].others, seen.rows[b].others
        return tuple(gb[i] - ga[i] - (ob[i] - oa[i]) for i in range(2))

    assert moved("before", "reported") == (1, 1)
    assert moved("reported", "acknowledged") == (0, -1)
    assert [s for s in seen.reported if s.name == "baton_ownership_issues_oldest_age_seconds"]
    # Labels name departments and priorities, never issues or people.
    for s in seen.worked:
        if s.name.startswith("baton_ownership_"):
            assert not {k for k in s.labels if "issue" in k or "owner" in k or "person" in k}


async def test_hand_offs_declines_silo_alarms_and_answer_times_are_counted(seen: Seen):
    def grew(name: str, **labels: str) -> float:
        return total(seen.worked, name, **labels) - total(seen.before, name, **labels)

    assert grew("baton_ownership_assignments_total", baton_department="finance",
                baton_via="routing") >= 1  # fmt: skip
    assert grew("baton_ownership_handoff_declines_total", baton_department="it",
                baton_from_department="finance") == 1  # fmt: skip
    for a, b in (("finance", "it"), ("it", "operations"), ("operations", "sales")):
        pair = {"baton_from_department": a, "baton_to_department": b}
        assert grew("baton_ownership_handoffs_total", **pair) == 1, pair
    assert grew("baton_ownership_silo_alarms_total", baton_department="sales") == 1
    assert grew("baton_ownership_acknowledge_duration_seconds_count", baton_department="finance")
    assert grew("baton_ownership_resolve_duration_seconds_count", baton_department="sales") == 1
    created = {"baton_channel": "agent", "baton_outcome": "created"}
    assert total(seen.intake_after, "baton_intake_issues_total", **created) > total(
        seen.intake_before, "baton_intake_issues_total", **created
    )
    loops = [s for s in seen.worked if s.name == "baton_consumer_loops"]
    assert loops and all(s.value == 1 for s in loops)


async def test_a_missed_deadline_and_a_failing_handler_show(seen: Seen):
    late = seen.deadlines
    assert total(late, "baton_ownership_escalations_total", baton_reason="acknowledge_overdue")
    assert total(late, "baton_ownership_deadlines_overdue", baton_priority="urgent") >= 1
    assert total(late, "baton_message_retries_total") >= 1


def metric_names(expr: str) -> set[str]:
    """The metrics an expression reads: its names, not its label names."""
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    return set(METRIC.findall(expr))


def names_in_dashboards() -> set[str]:
    found = set()
    for path in DASHBOARDS:
        board = json.loads(path.read_text())
        for row in board["panels"]:
            for panel in [row, *row.get("panels", [])]:
                for target in panel.get("targets", []):
                    found |= metric_names(target["expr"])
        for variable in board["templating"]["list"]:
            query = variable.get("query")
            query = query["query"] if isinstance(query, dict) else query
            if query.startswith("label_values("):  # label_values(selector, label)
                found |= metric_names(query.removeprefix("label_values(").rsplit(",", 1)[0])
    return found


def names_in_alerts() -> set[str]:
    sys.path.insert(0, str(ROOT / "deploy" / "k8s"))
    import render  # the pinned helm renders the chart as tests/deploy does

    objs = render.objects(render.helm_template(render.CHART / "values-production.yaml"))
    (rule,) = [o for o in objs if o["kind"] == "PrometheusRule"]
    rules = [r for group in rule["spec"]["groups"] for r in group["rules"]]
    return {name for r in rules for name in metric_names(r["expr"])}


async def test_every_metric_a_dashboard_or_an_alert_names_is_exported(seen: Seen, stack, http):
    exported = {s.name for s in seen.deadlines}
    for name in ("intake", "routing", "ownership", "notifications"):
        exported |= {s.name for s in await samples(http, stack.url(name))}
    named = names_in_dashboards() | names_in_alerts()
    assert len(named) >= 20
    assert sorted(named - exported) == []
