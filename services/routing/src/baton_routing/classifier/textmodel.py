"""The trained text model as plain data, and how it scores a message: NumPy only.

Training needs scikit-learn (``sklearn_fit.py``, run in a child process by
``training.py``); serving does not. What training exports is everything the fitted
pipeline applies to a message (each TF-IDF part's analyzer settings, vocabulary and idf,
the linear classifier's weights and intercepts), and ``TextModel`` applies it the way
scikit-learn's ``TfidfVectorizer`` and ``LogisticRegression.predict_proba`` do: the same
probabilities (tests/test_text_model_export.py), without 100 MB of scikit-learn and SciPy
in the serving process.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from baton_routing.classifier.schemas import Proposal
from baton_routing.classifier.text import FUNCTION_WORDS

_NUMBER = re.compile(r"\d+")
# Not worth naming as a reason: function words, folded numbers and slots.
_UNNAMED = FUNCTION_WORDS | {"0", "slot"}
# Bitext's placeholders such as {{Order Number}} are template slots, not wording.
_PLACEHOLDER = re.compile(r"\{\{[^}]*\}\}")
# TfidfVectorizer's: runs of two or more white-space characters become one space.
_WHITE_SPACES = re.compile(r"\s\s+")
ANALYZERS = ("word", "char_wb")


def normalize(text: str) -> str:
    """Numbers (order ids, amounts) fold into one token, so the model learns the
    wording, not the ids of the sample it was trained on."""
    text = _PLACEHOLDER.sub(" slot ", text.lower())
    return _NUMBER.sub(" 0 ", text)


@dataclass(frozen=True)
class Settings:
    """The analyzer settings of one TfidfVectorizer that change what a message becomes
    (the rest, such as ``min_df``, only shaped the vocabulary, which is exported)."""

    analyzer: str  # "word" or "char_wb"
    ngram_range: tuple[int, int]
    lowercase: bool
    token_pattern: str
    sublinear_tf: bool
    use_idf: bool
    norm: str | None  # "l2" or None


class Part:
    """One TF-IDF part of the features: a message's terms, weighted and normalized."""

    def __init__(self, settings: Settings, terms: Sequence[str], idf: np.ndarray | None) -> None:
        if settings.analyzer not in ANALYZERS or settings.norm not in ("l2", None):
            raise ValueError(f"unsupported TF-IDF settings: {settings}")
        self.settings = settings
        self.terms = list(terms)  # by column
        self.vocabulary = {t: i for i, t in enumerate(self.terms)}
        self.idf = idf
        self._tokens = re.compile(settings.token_pattern)

    def analyze(self, doc: str) -> list[str]:
        s = self.settings
        if s.lowercase:
            doc = doc.lower()
        low, high = s.ngram_range
        if s.analyzer == "char_wb":
            grams: list[str] = []
            for w in _WHITE_SPACES.sub(" ", doc).split():
                w = f" {w} "
                for n in range(low, high + 1):
                    grams.extend(w[i : i + n] for i in range(max(len(w) - n, 0) + 1))
                    if len(w) <= n:  # a short word counts once, however many n fit it
                        break
            return grams
        tokens = self._tokens.findall(doc)
        grams = list(tokens) if low == 1 else []
        for n in range(max(low, 2), min(high, len(tokens)) + 1):
            grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        return grams

    def transform(self, doc: str) -> tuple[np.ndarray, np.ndarray]:
        """The message's non-zero features: (columns, values)."""
        counts = Counter(j for j in map(self.vocabulary.get, self.analyze(doc)) if j is not None)
        columns = np.fromiter(sorted(counts), dtype=np.intp, count=len(counts))
        values = np.array([counts[j] for j in columns], dtype=np.float64)
        if self.settings.sublinear_tf:
            values = np.log(values) + 1.0
        if self.idf is not None:
            values *= self.idf[columns]
        if self.settings.norm == "l2" and len(values):
            norm = math.sqrt(float(values @ values))
            if norm > 0:
                values /= norm
        return columns, values


class TextModel:
    """A trained text model and the version it was trained as."""

    def __init__(
        self,
        parts: Sequence[Part],
        coef: np.ndarray,
        intercept: np.ndarray,
        departments: Sequence[str],
        *,
        version: str,
    ) -> None:
        """``coef`` is (departments x features), the parts' columns side by side."""
        self.version = version
        self.departments = [str(d) for d in departments]
        self.parts = list(parts)
        self.coef = coef
        self.intercept = intercept
        # Each part's weights as (its features x departments): a message's rows summed.
        self._weights: list[np.ndarray] = []
        start = 0
        for part in self.parts:
            width = len(part.terms)
            self._weights.append(np.ascontiguousarray(coef[:, start : start + width].T))
            start += width
        if start != coef.shape[1] or coef.shape[0] != len(self.departments):
            raise ValueError("the weights do not fit the vocabularies and departments")

    def logits(self, text: str) -> np.ndarray:
        doc = normalize(text)
        logits = self.intercept.astype(np.float64)
        for part, weights in zip(self.parts, self._weights, strict=True):
            columns, values = part.transform(doc)
            logits = logits + values @ weights[columns]
        return logits

    def probabilities(self, texts: Iterable[str]) -> np.ndarray:
        """(texts x departments), as the pipeline's ``predict_proba`` gives them."""
        rows = [self.logits(t) for t in texts]
        if not rows:
            return np.zeros((0, len(self.departments)))
        z = np.stack(rows)
        p = np.exp(z - z.max(axis=1, keepdims=True))
        return p / p.sum(axis=1, keepdims=True)

    def propose(self, text: str) -> Proposal:
        probabilities = self.probabilities([text])[0]
        scores = {
            d: round(float(p), 4) for d, p in zip(self.departments, probabilities, strict=True)
        }
        best = max(scores, key=scores.__getitem__)
        return Proposal(department=best, confidence=scores[best], scores=scores)

    def predict(self, texts: Iterable[str]) -> list[str]:
        return [self.departments[i] for i in self.probabilities(texts).argmax(axis=1)]

    def top_terms(self, text: str, department: str, limit: int = 3) -> list[str]:
        """The words of ``text`` that pushed most towards ``department``."""
        if department not in self.departments:
            return []
        part, weights = self.parts[0], self._weights[0]  # the word n-grams
        columns, values = part.transform(normalize(text))
        column = weights[:, self.departments.index(department)]
        pushes = sorted(
            ((float(v * column[i]), part.terms[i]) for i, v in zip(columns, values, strict=True)),
            reverse=True,
        )
        named = [t for push, t in pushes if push > 0 and not set(t.split()) & _UNNAMED]
        return named[:limit]

    def save(self, path: Path) -> None:
        """One ``.npz`` of plain arrays and a JSON header: no pickle either way."""
        header = {
            "version": self.version,
            "departments": self.departments,
            "parts": [
                {**p.settings.__dict__, "idf": p.idf is not None, "terms": p.terms}
                for p in self.parts
            ],
        }
        arrays = {f"idf{i}": p.idf for i, p in enumerate(self.parts) if p.idf is not None}
        with path.open("wb") as f:
            np.savez(
                f,
                header=np.array(json.dumps(header)),
                coef=self.coef,
                intercept=self.intercept,
                **arrays,
            )

    @classmethod
    def load(cls, path: Path) -> TextModel:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(str(data["header"]))
            parts = []
            for i, raw in enumerate(header["parts"]):
                terms = raw.pop("terms")
                idf = data[f"idf{i}"] if raw.pop("idf") else None
                raw["ngram_range"] = tuple(raw["ngram_range"])
                parts.append(Part(Settings(**raw), terms, idf))
            return cls(
                parts,
                data["coef"],
                data["intercept"],
                header["departments"],
                version=header["version"],
            )
