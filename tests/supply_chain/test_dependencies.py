"""pip-audit over every package uv.lock pins; a pin with a published advisory
fails the build. Which advisories are asked: ``tests/supply_chain/advisories.py``."""

from __future__ import annotations

from pathlib import Path

from tests.supply_chain.advisories import (
    SHIPPED,
    LocalOsv,
    audit,
    chosen_source,
    locked_requirements,
    pins,
)


def test_no_locked_package_has_a_known_vulnerability(tmp_path: Path):
    requirements = locked_requirements(tmp_path / "requirements.txt")
    pinned = pins(requirements)
    assert {"fastapi", "aiokafka", "pip-audit"} <= pinned, "the export lost the lock's pins"
    with chosen_source() as (source, url):
        result = audit(requirements, osv_url=url)
    assert result.audited == len(pinned), result.output  # every pin was asked about
    assert result.exit_code == 0 and not result.findings, (
        f"pip-audit against {source}: {result.findings or result.output}"
    )


def test_a_pin_with_a_published_advisory_fails_the_audit(tmp_path: Path):
    # Jinja 2.10's sandbox escape (CVE-2019-10906), fixed in 2.10.1.
    vulnerable = tmp_path / "vulnerable.txt"
    vulnerable.write_text("jinja2==2.10\nmarkupsafe==3.0.2\n")
    fixed = tmp_path / "fixed.txt"
    fixed.write_text("jinja2==2.10.1\nmarkupsafe==3.0.2\n")
    with LocalOsv(SHIPPED).serving() as url:
        failed, passed = audit(vulnerable, osv_url=url), audit(fixed, osv_url=url)
    assert failed.exit_code == 1, failed.output
    assert failed.findings == {"jinja2==2.10": ["PYSEC-2019-217"]}
    assert (passed.exit_code, passed.findings) == (0, {}), passed.output
