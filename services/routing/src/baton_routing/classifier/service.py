"""The supervised text model: proposes a department for a message, with a probability.

TF-IDF over word and character n-grams with a linear classifier, trained on the shipped
sample, the catalog's example requests and the company's own resolved issues (see
bench/routing). Numbers (order ids, amounts) are folded into one token so the model
learns the wording, not the ids of the sample it was trained on. ``learned.py``
combines it with the department examples.
"""

from __future__ import annotations

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
from baton_routing.classifier.text import FUNCTION_WORDS
from baton_routing.issues import service as issues

SAMPLE_HISTORY = Path(__file__).parent / "data" / "bitext-dev.jsonl"
# How many sample messages one catalog example weighs (tuned on the dev tickets).
CATALOG_WEIGHT = 60.0
_NUMBER = re.compile(r"\d+")
# Not worth naming as a reason: function words, folded numbers and slots.
_UNNAMED = FUNCTION_WORDS | {"0", "slot"}
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
        self._word_names = self._parts[0][0].get_feature_names_out()

    @classmethod
    def train(
        cls,
        examples: Sequence[Example],
        *,
        version: str,
        chars: bool = True,
        catalog_examples: Sequence[Example] = (),
    ) -> Classifier:
        """``catalog_examples`` (a dozen per department) each weigh as much as
        ``CATALOG_WEIGHT`` sample messages, so that they are not drowned by the sample's
        hundreds per department; they alone teach it German and hr."""
        rows = [*examples, *catalog_examples]
        weights = [1.0] * len(examples) + [CATALOG_WEIGHT] * len(catalog_examples)
        pipeline = build_pipeline(chars=chars)
        pipeline.fit(
            [normalize(e.text) for e in rows],
            [e.department for e in rows],
            clf__sample_weight=np.array(weights),
        )
        return cls(pipeline, version=version)

    def top_terms(self, text: str, department: str, limit: int = 3) -> list[str]:
        """The words of ``text`` that pushed most towards ``department``."""
        if department not in self.departments:
            return []
        vectorizer, weights = self._parts[0]  # the word n-grams
        row = vectorizer.transform([normalize(text)])
        column = weights[:, self.departments.index(department)]
        names = self._word_names
        pushes = sorted(
            ((float(v * column[i]), names[i]) for i, v in zip(row.indices, row.data, strict=True)),
            reverse=True,
        )
        named = [t for push, t in pushes if push > 0 and not set(t.split()) & _UNNAMED]
        return named[:limit]

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


async def examples(*, session: AsyncSession) -> list[Example]:
    """The company's own history: every resolved issue, labeled."""
    rows = (await session.exec(select(ResolvedLabel))).all()
    return [Example(text=r.text, department=r.department) for r in rows]


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
