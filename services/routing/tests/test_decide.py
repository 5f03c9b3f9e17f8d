import pytest
from baton_routing.catalog.service import load_catalog
from baton_routing.decisions.decide import decide
from baton_routing.settings import DEFAULT_CATALOG

CATALOG = load_catalog(DEFAULT_CATALOG)


@pytest.mark.parametrize(
    ("subject", "department", "rule_id"),
    [
        ("I was charged twice and want a refund", "finance", "finance-refunds-and-billing"),
        (
            "Where is my parcel? Tracking says nothing",
            "operations",
            "operations-orders-and-delivery",
        ),
        ("Can't log in, password reset email never came", "it", "it-accounts-and-access"),
        ("My payslip shows the wrong salary", "hr", "hr-people-matters"),
        ("I'd like a quote for 40 seats", "sales", "sales-new-business"),
        ("Please unsubscribe me from the newsletter", "marketing", "marketing-comms-and-reviews"),
    ],
)
def test_first_matching_rule_picks_the_department(subject, department, rule_id, make_issue):
    decision = decide(CATALOG, make_issue(subject))
    assert (decision.department, decision.rule_id) == (department, rule_id)
    assert rule_id in decision.reason and department in decision.reason


def test_no_match_falls_back_to_customer_service_and_says_so(make_issue):
    decision = decide(CATALOG, make_issue("Hello", "Something odd happened"))
    assert decision.department == "customer_service"
    assert decision.rule_id is None
    assert "No rule matched" in decision.reason


def test_rules_are_tried_in_order(make_issue):
    # Mentions both a refund (finance, first rule) and a delivery (operations, second).
    decision = decide(CATALOG, make_issue("Refund for a delivery that never came"))
    assert decision.department == "finance"


def test_keywords_match_whole_words_only(make_issue):
    # "shipping" is an operations keyword; "worship" must not match "ship".
    decision = decide(CATALOG, make_issue("Question about worship hours"))
    assert decision.department == "customer_service"


def test_keywords_match_in_the_description_and_across_line_breaks(make_issue):
    decision = decide(CATALOG, make_issue("Hi", "I need to cancel\norder 1234"))
    assert decision.department == "operations"
    assert "'cancel order'" in decision.reason
