"""Departments by their examples: how close an issue is to each department's
description and example requests, in sentence-embedding space.

A department's score is the mean similarity of its three nearest examples (one close
example can be luck; the mean of all would punish a department for the breadth of
what it owns); bench/routing compared the options on the dev tickets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from baton_routing.catalog.schemas import Department
from baton_routing.classifier.text import for_embedding

NEAREST = 3


class Encodes(Protocol):
    def encode(self, text: str) -> np.ndarray: ...


@dataclass(frozen=True)
class Match:
    score: float  # mean similarity of the nearest examples
    nearest: str  # the closest example (or the description), for the reason
    similarity: float  # of that closest one


class VectorCache:
    """Example texts embedded once: the catalog changes one department at a time."""

    def __init__(self, encoder: Encodes) -> None:
        self.encoder = encoder
        self._vectors: dict[str, np.ndarray] = {}

    def __call__(self, text: str) -> np.ndarray:
        """The example as issues are embedded: German in its words' English meaning."""
        vector = self._vectors.get(text)
        if vector is None:
            vector = self._vectors[text] = self.encoder.encode(for_embedding(text))
        return vector

    def keep_only(self, texts: set[str]) -> None:
        for text in set(self._vectors) - texts:
            del self._vectors[text]


class ExampleIndex:
    """The examples of one catalog version, as a matrix, by department."""

    def __init__(self, departments: Sequence[Department], vectors: VectorCache) -> None:
        self.texts: list[str] = []
        owners: list[str] = []
        for d in departments:
            for text in [d.description, *d.examples]:
                self.texts.append(text)
                owners.append(d.name)
        self.departments = [d.name for d in departments]
        self._owners = np.array(owners)
        self._matrix = (
            np.stack([vectors(t) for t in self.texts]) if self.texts else np.zeros((0, 384))
        )
        vectors.keep_only(set(self.texts))

    def match(self, vector: np.ndarray) -> dict[str, Match]:
        similarities = self._matrix @ vector
        found: dict[str, Match] = {}
        for name in self.departments:
            rows = np.flatnonzero(self._owners == name)
            if len(rows) == 0:
                continue
            ranked = rows[np.argsort(similarities[rows])[::-1]]
            best = int(ranked[0])
            found[name] = Match(
                score=float(similarities[ranked[:NEAREST]].mean()),
                nearest=self.texts[best],
                similarity=float(similarities[best]),
            )
        return found
