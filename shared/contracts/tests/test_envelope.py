import json
from datetime import UTC, datetime

import pytest
from baton_contracts import (
    ISSUE_REPORTED_V1,
    Envelope,
    EventParseError,
    IssueReported,
    Reporter,
    parse_event,
)


def reported() -> IssueReported:
    return IssueReported(
        issue_id="7b0d5a52-3a55-4b8e-9f3c-1d2f61c0c001",
        channel="agent",
        reporter=Reporter(kind="customer", id="cust-42"),
        subject="Refund",
        description="I was charged twice",
        reported_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )


def test_wrap_sets_type_and_subject_from_the_payload():
    env = Envelope.wrap(source="/baton/intake", data=reported())
    assert env.type == ISSUE_REPORTED_V1
    assert env.subject == "7b0d5a52-3a55-4b8e-9f3c-1d2f61c0c001"
    assert env.specversion == "1.0"


def test_envelope_round_trips_as_cloudevents_structured_json():
    env = Envelope.wrap(source="/baton/intake", data=reported())
    raw = json.loads(env.to_json())
    assert set(raw) >= {"specversion", "id", "source", "type", "subject", "time", "data"}
    assert raw["datacontenttype"] == "application/json"
    back = parse_event(env.to_json())
    assert back.id == env.id
    assert isinstance(back.data, IssueReported)
    assert back.data == reported()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"not json", "not a CloudEvents envelope"),
        (b'{"specversion": "1.0"}', "not a CloudEvents envelope"),
        (
            b'{"specversion":"1.0","id":"1","source":"s","type":"x.unknown.v9","subject":"i","data":{}}',
            "unknown event type",
        ),
        (
            b'{"specversion":"1.0","id":"1","source":"s","type":"baton.issue.reported.v1",'
            b'"subject":"i","data":{"issue_id":"i"}}',
            "invalid baton.issue.reported.v1 payload",
        ),
        (
            b'{"specversion":"0.3","id":"1","source":"s","type":"baton.issue.reported.v1",'
            b'"subject":"i","data":{}}',
            "unsupported specversion",
        ),
    ],
)
def test_parse_event_rejects_what_it_cannot_read_with_a_reason(raw, reason):
    with pytest.raises(EventParseError, match=reason):
        parse_event(raw)


def test_parse_error_does_not_echo_field_values():
    env = json.loads(Envelope.wrap(source="/s", data=reported()).to_json())
    env["data"]["reporter"]["kind"] = "secret-value-xyz"
    with pytest.raises(EventParseError) as caught:
        parse_event(json.dumps(env).encode())
    assert "reporter.kind" in str(caught.value)
    assert "secret-value-xyz" not in str(caught.value)


def test_a_v1_routed_event_is_read_as_the_current_version():
    """v2 renamed escalation_contact to head: events published before still parse,
    and consumers get the current model from payload()."""
    from baton_contracts import ISSUE_ROUTED_V1, ISSUE_ROUTED_V2, IssueRouted, parse_event

    head = {"id": "h", "name": "Hal", "email": "hal@example.com"}
    v1 = {
        "specversion": "1.0",
        "id": "e1",
        "source": "/baton/routing",
        "type": ISSUE_ROUTED_V1,
        "subject": "i1",
        "time": "2026-11-30T12:00:00Z",
        "data": {
            "issue_id": "i1",
            "department": "finance",
            "rule_id": None,
            "reason": "r",
            "liaisons": [head],
            "escalation_contact": head,
            "routed_at": "2026-11-30T12:00:00Z",
        },
    }
    routed = parse_event(json.dumps(v1).encode()).payload()
    assert isinstance(routed, IssueRouted) and routed.head.id == "h"
    assert Envelope.wrap(source="/baton/routing", data=routed).type == ISSUE_ROUTED_V2


def test_the_types_a_model_is_read_from_include_the_older_versions_it_upgrades():
    """What a consumer taking only some models passes over goes by these types: an
    event published as v1 must still reach a handler of the current model."""
    from baton_contracts import (
        ISSUE_RESOLVED_V1,
        ISSUE_ROUTED_V1,
        ISSUE_ROUTED_V2,
        IssueResolved,
        IssueRouted,
        IssueRoutedV1,
        event_type,
        event_types,
    )

    assert event_type(IssueRouted) == ISSUE_ROUTED_V2
    assert event_types(IssueRouted) == {ISSUE_ROUTED_V1, ISSUE_ROUTED_V2}
    assert event_types(IssueResolved) == {ISSUE_RESOLVED_V1}
    with pytest.raises(ValueError, match="read as IssueRouted"):
        event_types(IssueRoutedV1)  # no handler is ever given one
    with pytest.raises(KeyError):
        event_types(Reporter)  # not an event
