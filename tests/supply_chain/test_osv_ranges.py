"""The local OSV service decides "affected" as OSV does."""

from __future__ import annotations

import pytest

from tests.supply_chain.advisories import affects

RECORD = {
    "id": "TEST-1",
    "affected": [
        {
            "package": {"name": "Some_Package", "ecosystem": "PyPI"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"fixed": "1.4.2"}]},
                {"type": "ECOSYSTEM", "events": [{"introduced": "2.0"}, {"last_affected": "2.1"}]},
            ],
            "versions": ["0.9-legacy"],
        }
    ],
}


@pytest.mark.parametrize(
    ("version", "affected"),
    [
        ("0.9", False),
        ("0.9-legacy", True),  # named in the versions list
        ("1.0", True),
        ("1.4.1", True),
        ("1.4.2", False),  # fixed is excluded
        ("1.9", False),
        ("2.1", True),  # last_affected is included
        ("2.1.1", False),
    ],
)
def test_a_version_is_affected_within_its_ranges(version, affected):
    assert affects(RECORD, "some-package", version) is affected


def test_another_package_or_ecosystem_is_not_affected():
    assert not affects(RECORD, "other-package", "1.0")
    npm = {
        "affected": [
            {**RECORD["affected"][0], "package": {"name": "some-package", "ecosystem": "npm"}}
        ]
    }
    assert not affects(npm, "some-package", "1.0")
