"""The learned router: department examples and the text model, calibrated; its reasons
name what drove them; it abstains only below a calibrated threshold; it loads from the
installed package with no network."""

import socket
from pathlib import Path

import httpx
import pytest
from baton_routing.app import create_app
from baton_routing.catalog.schemas import Catalog
from baton_routing.catalog.service import load_catalog
from baton_routing.classifier import learned
from baton_routing.classifier.calibration import Calibration, Calibrations
from baton_routing.decisions.decide import decide
from baton_routing.settings import DEFAULT_CATALOG, Settings
from baton_runtime import migrations

CATALOG = load_catalog(DEFAULT_CATALOG)
MIGRATIONS = Path(__file__).parents[1] / "src" / "baton_routing" / "migrations"
# No rule's keyword: the learned router decides.
FROZEN = (
    "Hi team,\n\nsince the update this morning the app freezes on the start screen and "
    "crashes when I open it. Can you help?\n\nThanks,\nJo\n\nOn Mon, 2 Nov 2026, "
    "Halden wrote:\n> Hello"
)


@pytest.fixture(scope="module")
def router() -> learned.LearnedRouter:
    return learned.train(CATALOG, encoder=learned.shared_encoder())


def with_department(catalog: Catalog, name: str, **changes) -> Catalog:
    document = catalog.model_dump(mode="json")
    for d in document["departments"]:
        if d["name"] == name:
            d.update(changes)
    return Catalog.model_validate(document)


def test_a_decision_names_the_nearest_example_and_the_words_that_drove_it(router, make_issue):
    decision = decide(CATALOG, make_issue("App freezes", FROZEN), classifier=router)
    assert decision.department == "it"
    it_examples = [*CATALOG.department("it").examples, CATALOG.department("it").description]
    assert "driven by the example " in decision.reason
    assert any(repr(e) in decision.reason for e in it_examples)
    assert "the words " in decision.reason
    assert "calibrated confidence" in decision.reason


def test_confidences_are_probabilities_over_the_catalogs_departments(router):
    proposal = router.propose(CATALOG, "App freezes", FROZEN)
    assert set(proposal.scores) == {d.name for d in CATALOG.departments}
    assert sum(proposal.scores.values()) == pytest.approx(1.0, abs=1e-3)
    assert proposal.confidence == max(proposal.scores.values())


def test_a_departments_own_threshold_decides_when_to_abstain(router, make_issue):
    issue = make_issue("App freezes", FROZEN)
    confidence = router.propose(CATALOG, issue.subject, issue.description).confidence
    strict = with_department(CATALOG, "it", min_confidence=min(confidence + 0.01, 1.0))
    decision = decide(strict, issue, classifier=router, min_confidence=0.0)
    assert decision.department == "customer_service"
    assert f"below the threshold {min(confidence + 0.01, 1.0):.2f}" in decision.reason
    lenient = with_department(CATALOG, "it", min_confidence=0.0)
    assert decide(lenient, issue, classifier=router, min_confidence=1.0).department == "it"


def test_a_rule_for_a_language_matches_the_language_the_issue_is_written_in(make_issue):
    rule = {"id": "de-desk", "department": "customer_service", "languages": ["de"]}
    document = CATALOG.model_dump(mode="json")
    document["rules"].insert(0, rule)
    catalog = Catalog.model_validate(document)
    german = make_issue("Frage", "Hallo, ich habe eine Frage zu meiner Bestellung. Danke!")
    assert german.language is None  # intake did not say
    decision = decide(catalog, german)
    assert (decision.rule_id, decision.reason.count("language 'de'")) == ("de-desk", 1)
    english = make_issue("Question", "Hello, I have a question about my order from last week.")
    assert decide(catalog, english).rule_id != "de-desk"
    told = make_issue("Frage", "Hallo, ich habe eine Frage zu meiner Bestellung.", language="en")
    assert decide(catalog, told).rule_id != "de-desk"  # intake's word wins


def test_the_calibration_is_a_softmax_of_weighted_scores():
    fit = Calibration(similarity_weight=10.0, text_weight=1.0, bias={"b": 0.5})
    p = fit.probabilities(["a", "b"], {"a": 0.6, "b": 0.5}, {"a": 0.5, "b": 0.5})
    # a: 6.0, b: 5.0 + 0.5 -> p(a) = 1 / (1 + e^-0.5)
    assert p["a"] == pytest.approx(0.6225, abs=1e-4)
    unknown = fit.probabilities(["a", "new"], {"a": 0.0, "new": 0.0}, {"a": 0.5})
    assert unknown["new"] == pytest.approx(unknown["a"])  # no text evidence either way


def test_new_examples_in_the_catalog_route_at_once_without_retraining(router):
    text = "The zeppelin mooring mast needs a safety inspection certificate."
    assert router.propose(CATALOG, "", text).department != "hr"
    taught = with_department(
        CATALOG,
        "hr",
        examples=[
            "The zeppelin mooring mast needs its yearly safety inspection.",
            "Book the safety inspection for the airship mooring mast.",
            "Zeppelin mast inspection certificate has expired.",
        ],
    )
    assert router.propose(taught, "", text).department == "hr"


def test_without_embeddings_the_text_model_decides_alone(make_issue):
    text_only = learned.train(CATALOG)
    fits = Calibrations.load()
    assert text_only.encoder is None and text_only.calibrations == fits
    decision = decide(CATALOG, make_issue("App freezes", FROZEN), classifier=text_only)
    assert "+" not in (decision.model_version or "")
    assert decision.model_scores


async def preview_from_a_started_service(tmp_path: Path, **settings) -> dict:
    """The preview of the frozen-app issue from a routing service built as in production
    (its router loading in the background), over a SQLite database."""
    config = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/r.db", topic_prefix="t.", **settings
    )
    migrations.upgrade(MIGRATIONS, config.database_url)
    app = create_app(config)
    transport = httpx.ASGITransport(app=app)
    headers = {"X-Baton-Actor": "tester"}  # development header mode (see conftest.py)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers=headers
    ) as client:
        r = await client.post(
            "/v1/routing/preview", json={"subject": "App freezes", "description": FROZEN}
        )
    await app.state.runtime.db.dispose()
    assert r.status_code == 200, r.text
    return r.json()


async def test_the_service_loads_the_model_from_the_package_and_decides_offline(
    tmp_path: Path, monkeypatch
):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")

    def no_network(*args, **kwargs):
        raise OSError("the network is unavailable in this test")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    learned.shared_encoder.cache_clear()  # load it here, not from an earlier test
    body = await preview_from_a_started_service(tmp_path)
    assert body["department"] == "it"
    assert body["model_version"].endswith("+all-MiniLM-L6-v2")


async def test_with_embeddings_turned_off_the_service_decides_with_the_text_model(tmp_path: Path):
    body = await preview_from_a_started_service(tmp_path, router_embeddings=False)
    assert body["model_version"].startswith("tfidf-lr-")
    assert "+" not in body["model_version"]


@pytest.mark.parametrize(
    "text",
    [
        "I cannot pay online, the payment keeps failing.",
        "Is there a charge for cancelling my contract before it ends?",
    ],
)
def test_money_that_should_move_goes_to_finance_not_to_the_website_or_sales(router, text):
    # Issue 16: before the catalog's finance examples named failed online payments and
    # early-exit fees, these went to it and to sales.
    assert router.propose(CATALOG, "", text).department == "finance"
