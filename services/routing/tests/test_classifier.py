import pytest
from baton_routing.catalog.service import load_catalog
from baton_routing.classifier import learned
from baton_routing.classifier.learned import ClassifierSlot, LearnedRouter
from baton_routing.classifier.textmodel import normalize
from baton_routing.decisions.decide import decide, reroute
from baton_routing.settings import DEFAULT_CATALOG

CATALOG = load_catalog(DEFAULT_CATALOG)
PROFILE = "I would like to create a new profile"  # no rule's keyword; the model's: it


@pytest.fixture(scope="module")
def classifier() -> LearnedRouter:
    # The text model and the embedding model, as the service loads them.
    return learned.train(CATALOG, encoder=learned.shared_encoder())


def test_numbers_are_folded_so_order_ids_do_not_become_features():
    assert normalize("Order 113542617735902 and {{Order Number}}") == normalize(
        "order 42 and {{Client Name}}"
    )


def test_when_no_rule_matches_the_model_proposes_the_department_and_says_so(classifier, make_issue):
    decision = decide(CATALOG, make_issue(PROFILE, ""), classifier=classifier, min_confidence=0.3)
    assert decision.department == "it"
    assert decision.rule_id is None
    assert decision.model_version == classifier.version
    assert decision.model_version.endswith("-g1+all-MiniLM-L6-v2")
    assert decision.model_score is not None and decision.model_score >= 0.3
    assert "learned router" in decision.reason and "it owns it" in decision.reason


def test_below_the_threshold_customer_service_triages_and_the_reason_says_so(
    classifier, make_issue
):
    decision = decide(CATALOG, make_issue(PROFILE, ""), classifier=classifier, min_confidence=1.0)
    assert decision.department == "customer_service"
    assert decision.model_version == classifier.version
    assert "below the threshold 1.00" in decision.reason


def test_a_matching_rule_wins_over_the_model(classifier, make_issue):
    refund = make_issue("I want a refund", "")
    decision = decide(CATALOG, refund, classifier=classifier, min_confidence=0.0)
    assert decision.rule_id == "finance-refunds-and-billing"
    assert decision.model_version is None


def test_retraining_swaps_in_a_new_version():
    slot = ClassifierSlot()
    first = slot.retrain().version
    second = slot.retrain().version
    assert "-g1+" in first and "-g2+" in second
    assert slot.current is not None and slot.current.version == second


def test_reroute_picks_the_best_department_not_yet_tried(classifier, make_issue):
    issue = make_issue("I want a refund for my delivery", "")  # finance and operations rules
    first = reroute(
        CATALOG, issue, tried=["finance"], attempt=2, max_attempts=3, classifier=classifier
    )
    assert first.department == "operations"
    assert "finance declined" in first.reason and not first.silo_alarm
    second = reroute(
        CATALOG,
        issue,
        tried=["finance", "operations"],
        attempt=3,
        max_attempts=3,
        classifier=classifier,
    )
    assert second.department not in {"finance", "operations"}
    assert second.model_score is not None


def test_after_the_attempt_limit_customer_service_gets_it_with_a_silo_alarm(classifier, make_issue):
    issue = make_issue("I want a refund", "")
    tried = ["finance", "operations", "sales"]
    decision = reroute(
        CATALOG, issue, tried=tried, attempt=4, max_attempts=3, classifier=classifier
    )
    assert (decision.department, decision.silo_alarm) == ("customer_service", True)
    assert "Silo alarm" in decision.reason
