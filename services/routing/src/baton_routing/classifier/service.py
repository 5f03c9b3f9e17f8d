"""The classifier: proposes a department for a message, with a confidence.

TF-IDF over word and character n-grams with a linear classifier (see bench/routing for
why this beat the alternatives). Numbers (order ids, amounts) are folded into one token
so the model learns the wording, not the ids of the sample it was trained on.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from baton_contracts import IssueResolved
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_routing.classifier.models import ResolvedLabel
from baton_routing.classifier.schemas import Example, Proposal
from baton_routing.issues import service as issues

SAMPLE_HISTORY = Path(__file__).parent / "data" / "bitext-dev.jsonl"
_NUMBER = re.compile(r"\d+")
# Bitext's placeholders such as {{Order Number}} are template slots, not wording.
_PLACEHOLDER = re.compile(r"\{\{[^}]*\}\}")


def normalize(text: str) -> str:
    text = _PLACEHOLDER.sub(" slot ", text.lower())
    return _NUMBER.sub(" 0 ", text)


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


class Classifier:
    """A trained model and the version it was trained as."""

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
    def train(cls, examples: Sequence[Example], *, version: str, chars: bool = True) -> Classifier:
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


class ClassifierSlot:
    """The classifier decisions use now (None: turned off); ``swap`` replaces it
    atomically (one reference)."""

    def __init__(self, classifier: Classifier | None = None) -> None:
        self.current = classifier
        self.generation = 1 if classifier else 0

    def swap(self, classifier: Classifier) -> None:
        self.current = classifier
        self.generation += 1

    def retrain(self, path: Path = SAMPLE_HISTORY, history: Sequence[Example] = ()) -> Classifier:
        """Train on the shipped sample plus the company's own labeled history."""
        version = sample_version(path, generation=self.generation + 1, history=len(history))
        classifier = Classifier.train([*load_examples(path), *history], version=version)
        self.swap(classifier)
        return classifier


async def examples(*, session: AsyncSession) -> list[Example]:
    """The company's own history: every resolved issue, labeled."""
    rows = (await session.exec(select(ResolvedLabel))).all()
    return [Example(text=r.text, department=r.department) for r in rows]


async def retrain(*, session: AsyncSession, slot: ClassifierSlot) -> Classifier:
    """Retrain on the sample and the company's history, and swap the result in."""
    own = await examples(session=session)
    # About a second of CPU: off the event loop.
    return await asyncio.to_thread(slot.retrain, history=own)


async def label(*, session: AsyncSession, resolved: IssueResolved) -> None:
    """Label the resolved issue, as reported, with the department that resolved it."""
    issue = await issues.reported(session=session, issue_id=resolved.issue_id)
    if issue is None:
        return  # never routed here (another environment): nothing to learn from
    row = await session.get(ResolvedLabel, resolved.issue_id) or ResolvedLabel(
        issue_id=resolved.issue_id, department=resolved.department, text=""
    )
    # A reopened and resolved-again issue keeps its latest department.
    row.department, row.resolved_at = resolved.department, resolved.at
    row.text = f"{issue.subject}\n{issue.description}"
    session.add(row)
