"""The routing decision itself: a pure function of the catalog and the issue."""

from __future__ import annotations

from dataclasses import dataclass

from baton_shared.events import IssueReported

from baton_routing.catalog import FALLBACK_DEPARTMENT, Catalog


@dataclass(frozen=True)
class Decision:
    department: str
    rule_id: str | None
    reason: str


def decide(catalog: Catalog, issue: IssueReported) -> Decision:
    text = f"{issue.subject}\n{issue.description}"
    for rule in catalog.rules:
        keyword = rule.first_match(text)
        if keyword is not None:
            return Decision(
                department=rule.department,
                rule_id=rule.id,
                reason=(
                    f"Rule {rule.id!r} ({rule.description}) matched the keyword "
                    f"{keyword!r}, so {rule.department} owns it."
                ),
            )
    return Decision(
        department=FALLBACK_DEPARTMENT,
        rule_id=None,
        reason=f"No rule matched, so {FALLBACK_DEPARTMENT} triages it.",
    )
