"""The routing decision itself: a pure function of the catalog, the classifier and the issue."""

from __future__ import annotations

from dataclasses import dataclass, field

from baton_contracts import IssueReported
from baton_contracts.common import Priority

from baton_routing.catalog.schemas import FALLBACK_DEPARTMENT, Catalog
from baton_routing.classifier.learned import LearnedRouter
from baton_routing.classifier.schemas import Proposal
from baton_routing.classifier.text import clean


@dataclass(frozen=True)
class Decision:
    department: str
    rule_id: str | None
    reason: str
    model_version: str | None = None
    model_score: float | None = None
    model_scores: dict[str, float] = field(default_factory=dict)
    priority: Priority | None = None  # set when the deciding rule's action sets it
    matched_rules: list[str] = field(default_factory=list)
    silo_alarm: bool = False


def decide(
    catalog: Catalog,
    issue: IssueReported,
    *,
    classifier: LearnedRouter | None = None,
    min_confidence: float = 0.35,
) -> Decision:
    """Rules first; then the learned router, whose calibrated confidence must reach the
    department's own threshold (the catalog's ``min_confidence``) or ``min_confidence``;
    below it, no department is plausible enough and customer_service triages."""
    issue = with_language(issue)
    matched = [(rule, why) for rule in catalog.rules if (why := rule.matches(issue))]
    if matched:
        # Emphasis breaks ties between departments; within one rank, rule order does.
        rule, why = min(matched, key=lambda m: catalog.rank(m[0].department))
        reason = (
            f"Rule {rule.id!r} ({rule.description}) matched {why}, so {rule.department} owns it."
        )
        others = sorted({r.department for r, _ in matched} - {rule.department})
        if others:
            reason += (
                f" Rules for {', '.join(others)} matched too; the emphasis "
                f"({' > '.join(catalog.emphasis) or 'none: rule order'}) put "
                f"{rule.department} first."
            )
        return Decision(
            department=rule.department,
            rule_id=rule.id,
            reason=reason,
            priority=rule.priority,
            matched_rules=[r.id for r, _ in matched],
        )
    if classifier is None:
        return Decision(
            department=FALLBACK_DEPARTMENT,
            rule_id=None,
            reason=f"No rule matched, so {FALLBACK_DEPARTMENT} triages it.",
        )
    proposal = classifier.propose(catalog, issue.subject, issue.description)
    known = any(d.name == proposal.department for d in catalog.departments)
    model = {
        "model_version": classifier.version,
        "model_score": proposal.confidence,
        "model_scores": proposal.scores,
    }
    threshold = min_confidence
    if known and catalog.department(proposal.department).min_confidence is not None:
        threshold = catalog.department(proposal.department).min_confidence
    proposed = (
        f"No rule matched; the learned router ({classifier.version}) proposed "
        f"{proposal.department} with calibrated confidence {proposal.confidence:.2f}"
    )
    if proposal.confidence < threshold or not known:
        why = (
            f"below the threshold {threshold:.2f}"
            if known
            else "but that department is not in the catalog"
        )
        return Decision(
            department=FALLBACK_DEPARTMENT,
            rule_id=None,
            reason=f"{proposed}{_drivers(proposal)}, {why}, so {FALLBACK_DEPARTMENT} triages it.",
            **model,
        )
    return Decision(
        department=proposal.department,
        rule_id=None,
        reason=(
            f"{proposed} (threshold {threshold:.2f}){_drivers(proposal)}, "
            f"so {proposal.department} owns it."
        ),
        **model,
    )


def with_language(issue: IssueReported) -> IssueReported:
    """The issue with the language its text is written in, when intake gave none, so
    that rules for a language (``languages: [de]``) see it."""
    if issue.language is not None:
        return issue
    detected = clean(issue.subject, issue.description).language
    return issue if detected == "und" else issue.model_copy(update={"language": detected})


def _drivers(proposal: Proposal) -> str:
    return f", driven by {' and '.join(proposal.drivers)}" if proposal.drivers else ""


def reroute(
    catalog: Catalog,
    issue: IssueReported,
    *,
    tried: list[str],
    attempt: int,
    max_attempts: int,
    classifier: LearnedRouter | None = None,
) -> Decision:
    """The best department not yet tried, or customer_service with a silo alarm.

    "Best": departments of matching rules in emphasis order, then the model's scores;
    the model is asked even below its threshold, because the rules already failed.
    """
    if attempt > max_attempts:
        return Decision(
            department=FALLBACK_DEPARTMENT,
            rule_id=None,
            reason=(
                f"Silo alarm: declined by {', '.join(tried)} after {attempt - 1} routings "
                f"(limit {max_attempts}), so {FALLBACK_DEPARTMENT} must sort it out."
            ),
            silo_alarm=True,
        )
    issue = with_language(issue)
    matched = [rule for rule in catalog.rules if rule.matches(issue)]
    candidates = [r.department for r in sorted(matched, key=lambda r: catalog.rank(r.department))]
    scores: dict[str, float] = {}
    if classifier is not None:
        scores = classifier.propose(catalog, issue.subject, issue.description).scores
        candidates += sorted(scores, key=scores.__getitem__, reverse=True)
    known = {d.name for d in catalog.departments}
    for department in candidates:
        if department in known and department not in tried:
            source = (
                "a matching rule"
                if department in {r.department for r in matched}
                else (f"the learned router ({scores[department]:.2f})")
            )
            return Decision(
                department=department,
                rule_id=None,
                reason=(
                    f"Rerouted (attempt {attempt}): {', '.join(tried)} declined; "
                    f"{department} is the best department not yet tried, by {source}."
                ),
                model_version=classifier.version if classifier else None,
                model_score=scores.get(department),
                model_scores=scores,
            )
    return Decision(
        department=FALLBACK_DEPARTMENT,
        rule_id=None,
        reason=(
            f"Silo alarm: declined by {', '.join(tried)} and no other department fits, "
            f"so {FALLBACK_DEPARTMENT} must sort it out."
        ),
        silo_alarm=True,
    )
