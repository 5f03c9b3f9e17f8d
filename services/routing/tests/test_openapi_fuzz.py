"""Property-based fuzzing (Schemathesis) against routing's own OpenAPI document:
no 5xx, every response as documented, every refusal problem details; as an
administrator (past every gate) and as a caller with no role (refused cleanly)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from baton_routing.app import create_app
from baton_routing.catalog.service import load_catalog
from baton_routing.classifier import sklearn_fit, training
from baton_routing.classifier.learned import SAMPLE_HISTORY, ClassifierSlot
from baton_routing.settings import DEFAULT_CATALOG, Settings

from tests.openapi_fuzz import NO_ROLE, fuzz, fuzz_settings, schema_of

MIGRATIONS = Path(__file__).parents[1] / "src" / "baton_routing" / "migrations"
CATALOG = load_catalog(DEFAULT_CATALOG)
KNOWN = {
    "name": [d.name for d in CATALOG.departments],
    "rule_id": [r.id for r in CATALOG.rules],
    "version": ["1", "2"],
}


class QuickSlot(ClassifierSlot):
    """Text model only, retrained on a slice of the shipped sample and in this process
    (a child's start-up alone can outlast the fuzzer's 10 s timeout on a busy machine;
    test_training_process.py covers the child): the fuzzer may retrain often, and
    loads no embedding model."""

    def __init__(self, sample: Path) -> None:
        super().__init__(seed=CATALOG, embeddings=False)
        self.sample = sample
        self.retrain()

    def retrain(self, path=SAMPLE_HISTORY, history=(), catalog=None):  # type: ignore[no-untyped-def]
        return super().retrain(self.sample, history, catalog)


def run(api, headers: dict[str, str], examples: int) -> list[str]:
    return fuzz(api, headers, examples=examples, known=KNOWN, documented_errors=False)


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(training, "train", sklearn_fit.train)
        yield quick_api(tmp_path_factory)


def quick_api(tmp_path_factory):
    where = tmp_path_factory.mktemp("fuzz")
    sample = where / "sample.jsonl"
    with SAMPLE_HISTORY.open(encoding="utf-8") as lines:
        sample.write_text("".join(itertools.islice(lines, 0, None, 100)), encoding="utf-8")
    app = create_app(
        Settings(
            **fuzz_settings(where, "routing", MIGRATIONS),
            router_enabled=False,
        )
    )
    app.state.classifier = QuickSlot(sample)
    return schema_of(app)


def test_an_administrator_gets_no_5xx_and_answers_as_documented(api):
    labels = run(api, {"x-baton-actor": "fuzz-admin", "x-baton-roles": "administrator"}, 15)
    # departments 5, rules 7, emphasis 2, decisions, preview, model 2, and each
    # department's calendar 3, on-call 4 and internal targets 3
    assert len(labels) == 28


def test_a_caller_without_a_role_is_refused_cleanly(api):
    run(api, NO_ROLE, 3)
