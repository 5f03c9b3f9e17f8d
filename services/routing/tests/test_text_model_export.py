"""The exported text model (NumPy only) scores every message as the scikit-learn pipeline
it was exported from: the same probabilities on the routing evaluation tickets
(bench/routing/data/tickets) and the shipped sample, hence the same departments."""

import json
from pathlib import Path

import numpy as np
import pytest
from baton_routing.catalog.service import load_catalog
from baton_routing.classifier import learned, service, sklearn_fit
from baton_routing.classifier.schemas import Example
from baton_routing.classifier.text import clean
from baton_routing.classifier.textmodel import TextModel, normalize
from baton_routing.settings import DEFAULT_CATALOG

TICKETS = Path(__file__).resolve().parents[3] / "bench" / "routing" / "data" / "tickets"
CATALOG = load_catalog(DEFAULT_CATALOG)


def evaluation_texts() -> list[str]:
    """The tickets as the learned router hands them to the text model, and the same
    tickets raw (subject and body as written)."""
    texts = []
    for name in ("dev", "test"):
        for line in (TICKETS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                t = json.loads(line)
                texts.append(clean(t["subject"], t["description"]).for_text_model())
                texts.append(f"{t['subject']}\n{t['description']}")
    return texts


@pytest.fixture(scope="module")
def fitted():
    """The pipeline as the service trains it, and its export."""
    pipeline = sklearn_fit.fit(
        service.load_examples(), catalog_examples=learned.catalog_examples(CATALOG)
    )
    return pipeline, sklearn_fit.export(pipeline, version="v")


def assert_same(pipeline, model: TextModel, texts: list[str]) -> None:
    expected = pipeline.predict_proba([normalize(t) for t in texts])
    got = model.probabilities(texts)
    assert got.shape == expected.shape
    assert np.allclose(got, expected, rtol=1e-9, atol=1e-12)
    assert model.predict(texts) == [str(d) for d in pipeline.predict([normalize(t) for t in texts])]


def test_the_export_scores_the_evaluation_tickets_as_the_pipeline(fitted):
    pipeline, model = fitted
    texts = evaluation_texts()
    assert len(texts) >= 1200
    assert model.departments == [str(c) for c in pipeline.classes_]
    assert_same(pipeline, model, texts)


def test_the_export_scores_the_sample_and_edge_cases_as_the_pipeline(fitted):
    pipeline, model = fitted
    odd = ["", "   ", "a", "0", "ß", "Ünïcödé  spaced\t\tout\n\nlines", "x" * 300, "{{Slot}} 42"]
    assert_same(pipeline, model, [e.text for e in service.load_examples()[:2000]] + odd)


def test_a_saved_model_loads_and_scores_the_same(fitted, tmp_path):
    _, model = fitted
    model.save(tmp_path / "model.npz")
    loaded = TextModel.load(tmp_path / "model.npz")
    texts = evaluation_texts()[:200]
    assert loaded.version == "v" and loaded.departments == model.departments
    assert np.array_equal(loaded.probabilities(texts), model.probabilities(texts))
    assert loaded.top_terms(texts[0], "it") == model.top_terms(texts[0], "it")


def test_two_departments_score_as_the_binary_pipeline():
    rows = [
        Example(text=f"{w} problem number {i}", department=d)
        for i in range(20)
        for w, d in (("password login", "it"), ("invoice refund", "finance"))
    ]
    pipeline = sklearn_fit.fit(rows, chars=False)
    model = sklearn_fit.export(pipeline, version="two")
    assert_same(pipeline, model, ["my password", "a refund please", "nothing known", ""])


def test_settings_the_transform_does_not_reproduce_are_refused():
    pipeline = sklearn_fit.build_pipeline(chars=False)
    pipeline.set_params(features__words__strip_accents="unicode")
    pipeline.fit(["a password", "an invoice"], ["it", "finance"])
    with pytest.raises(ValueError, match="cannot export"):
        sklearn_fit.export(pipeline, version="x")
