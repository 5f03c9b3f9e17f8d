"""The learned router: a text classifier that proposes a department with a confidence.

TF-IDF over word and character n-grams with a linear classifier (see bench/routing for
why this beat the alternatives). Numbers (order ids, amounts) are folded into one token
so the model learns the wording, not the ids of the sample it was trained on.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

SAMPLE_HISTORY = Path(__file__).parent / "data" / "bitext-dev.jsonl"
_NUMBER = re.compile(r"\d+")
# Bitext's placeholders such as {{Order Number}} are template slots, not wording.
_PLACEHOLDER = re.compile(r"\{\{[^}]*\}\}")


def normalize(text: str) -> str:
    text = _PLACEHOLDER.sub(" slot ", text.lower())
    return _NUMBER.sub(" 0 ", text)


@dataclass(frozen=True)
class Example:
    text: str
    department: str


@dataclass(frozen=True)
class Proposal:
    department: str
    confidence: float
    scores: dict[str, float]  # every department the model knows, by probability


def load_examples(path: Path = SAMPLE_HISTORY) -> list[Example]:
    with path.open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [Example(text=r["text"], department=r["department"]) for r in rows]


def build_pipeline(*, chars: bool = True) -> Pipeline:
    """``chars=False`` is the lighter word-only variant the benchmark compares against."""
    parts: list[tuple[str, TfidfVectorizer]] = [
        ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1))
    ]
    if chars:
        parts.append(
            (
                "chars",
                # Character n-grams within words absorb the typos of real messages.
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2
                ),
            )
        )
    return Pipeline(
        [("features", FeatureUnion(parts)), ("clf", LogisticRegression(C=20.0, max_iter=2000))]
    )


class LearnedRouter:
    """A trained classifier and the version it was trained as."""

    def __init__(self, pipeline: Pipeline, *, version: str) -> None:
        self._pipeline = pipeline
        self.version = version
        self.departments: list[str] = [str(c) for c in pipeline.classes_]
        # One message at a time, sklearn's per-call input validation costs more than the
        # arithmetic; the fitted weights are applied directly (same result as predict_proba).
        clf = pipeline.named_steps["clf"]
        self._intercept = clf.intercept_
        self._parts: list[tuple[TfidfVectorizer, np.ndarray]] = []
        start = 0
        for _, vectorizer in pipeline.named_steps["features"].transformer_list:
            width = len(vectorizer.vocabulary_)
            self._parts.append((vectorizer, clf.coef_[:, start : start + width].T.copy()))
            start += width

    @classmethod
    def train(
        cls, examples: Sequence[Example], *, version: str, chars: bool = True
    ) -> LearnedRouter:
        pipeline = build_pipeline(chars=chars)
        pipeline.fit([normalize(e.text) for e in examples], [e.department for e in examples])
        return cls(pipeline, version=version)

    def propose(self, text: str) -> Proposal:
        doc = [normalize(text)]
        logits = self._intercept.copy()
        for vectorizer, weights in self._parts:
            logits = logits + vectorizer.transform(doc) @ weights
        logits = np.asarray(logits).ravel()
        probabilities = np.exp(logits - logits.max())
        probabilities /= probabilities.sum()
        scores = {
            d: round(float(p), 4) for d, p in zip(self.departments, probabilities, strict=True)
        }
        best = max(scores, key=scores.__getitem__)
        return Proposal(department=best, confidence=scores[best], scores=scores)

    def predict(self, texts: Iterable[str]) -> list[str]:
        return [str(d) for d in self._pipeline.predict([normalize(t) for t in texts])]


def sample_version(path: Path = SAMPLE_HISTORY, *, generation: int = 1, history: int = 0) -> str:
    """A model's version: the algorithm, a digest of the shipped sample, how many of
    the company's own resolved issues it learned from, and a generation."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:8]
    own = f"-h{history}" if history else ""
    return f"tfidf-lr-{digest}{own}-g{generation}"


class ModelSlot:
    """The model decisions use now; ``swap`` replaces it atomically (one reference)."""

    def __init__(self, router: LearnedRouter | None = None) -> None:
        self.current = router
        self.generation = 1 if router else 0

    def swap(self, router: LearnedRouter) -> None:
        self.current = router
        self.generation += 1

    def retrain(
        self, path: Path = SAMPLE_HISTORY, history: Sequence[Example] = ()
    ) -> LearnedRouter:
        """Train on the shipped sample plus the company's own labeled history."""
        version = sample_version(path, generation=self.generation + 1, history=len(history))
        router = LearnedRouter.train([*load_examples(path), *history], version=version)
        self.swap(router)
        return router
