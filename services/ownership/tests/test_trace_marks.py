"""The short spans ownership leaves in an issue's own trace: ``department <name>
entered`` when a department takes the issue, and ``deadline passed`` when one of
its clocks runs out. Recorded by a real SDK tracer into memory; ids and
departments only, never a person's name or address."""

from datetime import timedelta

import pytest
from baton_contracts import Envelope, IssueRouted
from baton_ownership.assignment.handler import on_issue_routed
from baton_ownership.core import store
from baton_ownership.deadlines import service as deadlines
from baton_ownership.insights import stays
from baton_runtime.service import Runtime
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from .conftest import DEPARTMENTS, MIGRATIONS, person

ISSUE = "i-1"  # the id test_deadlines.delivery_failed_to speaks of
# Everyone the issue could reach on its way (liaisons, backup, heads): none of
# their names or addresses may be in a span.
PEOPLE = [person(p) for liaisons, head in DEPARTMENTS.values() for p in (*liaisons, head)]


@pytest.fixture
def spans(monkeypatch) -> InMemorySpanExporter:
    """Ownership's marks go to a tracer of this test's own (no global provider)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    monkeypatch.setattr(store, "tracer", lambda: tracer)
    monkeypatch.setattr(stays, "tracer", lambda: tracer)
    return exporter


@pytest.fixture
def runtime(db, settings) -> Runtime:
    rt = Runtime(name="ownership", settings=settings, migrations_dir=MIGRATIONS)
    rt.db = db  # the test's migrated database; nothing else of the runtime is used
    return rt


async def routed(runtime, clock, spans) -> ReadableSpan:
    """Route the issue to operations inside a consumer span (as the Kafka consumer
    would): the span the issue's trace continues from."""
    liaisons, head = DEPARTMENTS["operations"]
    event = IssueRouted(
        issue_id=ISSUE, department="operations", rule_id=None, reason="test", priority="high",
        liaisons=[person(p) for p in liaisons], head=person(head), routed_at=clock(),
    )  # fmt: skip
    consumer = store.tracer()
    with consumer.start_as_current_span("consume issues.routed"):
        await on_issue_routed(Envelope.wrap(source="/t", data=event), runtime=runtime, clock=clock)
    [consume] = [s for s in spans.get_finished_spans() if s.name == "consume issues.routed"]
    return consume


def named(spans: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    return [s for s in spans.get_finished_spans() if s.name == name]


def assert_no_personal_data(span: ReadableSpan) -> None:
    values = [str(v) for v in span.attributes.values()]
    values += [str(v) for e in span.events for v in e.attributes.values()]
    for someone in PEOPLE:
        for value in values:
            assert someone.email not in value and someone.name not in value, (span.name, value)


async def test_a_department_taking_the_issue_is_an_entered_span_in_its_trace(runtime, clock, spans):
    consume = await routed(runtime, clock, spans)
    [entered] = named(spans, "department operations entered")
    assert entered.context.trace_id == consume.context.trace_id
    assert entered.parent is not None and entered.parent.span_id == consume.context.span_id
    assert dict(entered.attributes) == {
        "baton.issue_id": ISSUE, "baton.department": "operations", "baton.priority": "high",
        "baton.hop": 1, "baton.via": "routing",
    }  # fmt: skip
    # A point in time: it starts and ends when the department took the issue.
    assert entered.start_time == entered.end_time == int(clock().timestamp() * 1e9)
    assert_no_personal_data(entered)


async def test_a_passed_deadline_is_a_span_in_the_issues_trace(db, settings, runtime, clock, spans):
    consume = await routed(runtime, clock, spans)
    assigned_at = clock()
    # High priority: acknowledge within an hour. Not yet passed: nothing said.
    clock.advance(minutes=59)
    assert await deadlines.check(db=db, settings=settings, clock=clock) == 0
    assert named(spans, "deadline passed") == []

    clock.advance(minutes=2)
    assert await deadlines.check(db=db, settings=settings, clock=clock) == 1
    [passed] = named(spans, "deadline passed")
    # In the issue's own trace, though the checker ran outside any consumer span.
    assert passed.context.trace_id == consume.context.trace_id
    assert passed.parent is not None and passed.parent.span_id == consume.context.span_id
    assert dict(passed.attributes) == {
        "baton.issue_id": ISSUE, "baton.deadline": "acknowledge",
        "baton.department": "operations", "baton.priority": "high",
        "baton.escalation.level": 1,
        "baton.due_at": (assigned_at + timedelta(hours=1)).isoformat(),
    }  # fmt: skip
    assert passed.start_time == passed.end_time == int(clock().timestamp() * 1e9)
    assert_no_personal_data(passed)


async def test_an_escalation_for_an_unreachable_owner_is_no_passed_deadline(
    db, settings, runtime, clock, spans
):
    from .test_deadlines import delivery_failed_to

    await routed(runtime, clock, spans)
    owner = await _owner_id(db)
    await delivery_failed_to(db, settings, owner)
    assert await _owner_id(db) != owner  # it did escalate, at once
    assert named(spans, "deadline passed") == []


async def _owner_id(db) -> str:
    from baton_ownership.core.models import IssueOwner

    async with db.session() as session:
        return (await session.get(IssueOwner, ISSUE)).owner_id
