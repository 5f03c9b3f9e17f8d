"""Catalog regexes run on RE2: a pattern that takes Python's `re` seconds (catastrophic
backtracking) takes RE2 microseconds, and what RE2 cannot run is refused up front."""

from __future__ import annotations

import pytest
from baton_contracts import IssueReported, Reporter
from baton_routing.catalog.schemas import MAX_REGEX_CHARS, MAX_SEARCHED_CHARS, Rule
from pydantic import ValidationError


def issue(text: str) -> IssueReported:
    return IssueReported(
        issue_id="i-1", channel="agent", reporter=Reporter(kind="customer", id="c-1"),
        subject="s", description=text, reported_at="2026-11-30T12:00:00Z",
    )  # fmt: skip


@pytest.mark.timeout(30)
def test_a_backtracking_pattern_is_matched_in_linear_time():
    evil = r"(a+)+$"
    rule = Rule(id="evil", department="it", regexes=[evil])
    # Every regex is compiled by RE2, never by Python's backtracking engine...
    assert [type(compiled).__module__ for _, compiled in rule.compiled] == ["re2"]
    # ...so a trap input that backtracking could not finish in the age of the universe
    # (each extra "a" doubles its work) is answered; were it not, the timeout fails this.
    n = MAX_SEARCHED_CHARS - len("s\n!")  # the trap fills the searched text exactly
    assert rule.matches(issue("a" * n + "!")) is None
    assert rule.matches(issue("a" * n)) == f"the regex {evil!r}"


def test_regexes_match_case_insensitively_and_say_which():
    rule = Rule(id="coffee", department="operations", regexes=[r"coffee\s+machine", "kettle"])
    pattern = r"coffee\s+machine"
    assert rule.matches(issue("My COFFEE   Machine is broken")) == f"the regex {pattern!r}"
    assert rule.matches(issue("tea")) is None


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("(?<=x)y", "look-arounds"),
        (r"(a)\1", "back-references"),
        ("printer((", "does not compile"),
    ],
)
def test_what_re2_cannot_run_is_refused_naming_the_pattern(pattern, why):
    with pytest.raises(ValidationError) as refused:
        Rule(id="r", department="it", regexes=[pattern])
    assert why in str(refused.value) and repr(pattern) in str(refused.value)


def test_regex_length_and_count_are_capped():
    with pytest.raises(ValidationError):
        Rule(id="long", department="it", regexes=["a" * (MAX_REGEX_CHARS + 1)])
    with pytest.raises(ValidationError):
        Rule(id="many", department="it", regexes=[f"w{n}" for n in range(21)])
