"""Catalog regexes run on RE2: a pattern that takes Python's `re` seconds (catastrophic
backtracking) takes RE2 microseconds, and what RE2 cannot run is refused up front."""

from __future__ import annotations

import re
import time

import pytest
from baton_contracts import IssueReported, Reporter
from baton_routing.catalog.schemas import MAX_REGEX_CHARS, Rule
from pydantic import ValidationError


def issue(text: str) -> IssueReported:
    return IssueReported(
        issue_id="i-1", channel="agent", reporter=Reporter(kind="customer", id="c-1"),
        subject="s", description=text, reported_at="2026-11-30T12:00:00Z",
    )  # fmt: skip


def test_a_backtracking_pattern_is_matched_in_linear_time():
    evil = r"(a+)+$"
    text = "a" * 30 + "!"
    # Python's engine on a shorter input, to show the pattern is a trap (seconds at 30).
    started = time.perf_counter()
    assert re.search(evil, "a" * 18 + "!") is None
    python_s = time.perf_counter() - started
    rule = Rule(id="evil", department="it", regexes=[evil])
    started = time.perf_counter()
    assert rule.matches(issue(text)) is None
    re2_s = time.perf_counter() - started
    # Not a timing assertion on the machine's speed: RE2 does at 30 characters a
    # tiny fraction of what backtracking does at 18 (each extra one doubles it).
    assert re2_s < python_s


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
