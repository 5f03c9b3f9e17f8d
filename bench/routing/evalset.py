"""What evaluate.py and calibrate.py share: the tickets, the Bitext halves, and each
ticket's two scores per department (the examples' similarity, the text model's
probability)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from baton_routing.catalog.service import load_catalog
from baton_routing.classifier import learned
from baton_routing.classifier.schemas import Example
from baton_routing.classifier.service import load_examples
from baton_routing.classifier.text import clean
from baton_routing.settings import DEFAULT_CATALOG, Settings

HERE = Path(__file__).parent
TICKETS = HERE / "data" / "tickets"
CATALOG = load_catalog(DEFAULT_CATALOG)
DEPARTMENTS = [d.name for d in CATALOG.departments]
FALLBACK = "customer_service"
THRESHOLD = Settings.model_fields["router_min_confidence"].default


@dataclass(frozen=True)
class Ticket:
    subject: str
    description: str
    department: str
    language: str


def tickets(name: str) -> list[Ticket]:
    with (TICKETS / f"{name}.jsonl").open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [Ticket(r["subject"], r["description"], r["department"], r["language"]) for r in rows]


def bitext_halves() -> tuple[list[Example], list[Ticket]]:
    """The shipped sample split by sha256(text) mod 2: the training half (tuning may use
    it) and the held-out half (scored once, for the final configuration)."""
    train, held_out = [], []
    for e in load_examples():
        if int(hashlib.sha256(e.text.encode()).hexdigest(), 16) % 2:
            held_out.append(Ticket("", e.text, e.department, "en"))
        else:
            train.append(e)
    return train, held_out


def features(router: learned.LearnedRouter, data: Sequence[Ticket]) -> tuple[np.ndarray, ...]:
    """Per ticket and department: the examples' similarity and the text model's probability."""
    index = router.index(CATALOG)
    assert index is not None and router.encoder is not None
    sim = np.zeros((len(data), len(DEPARTMENTS)))
    text = np.zeros_like(sim)
    for i, t in enumerate(data):
        c = clean(t.subject, t.description)
        matches = index.match(router.encoder.encode(c.for_embedding()))
        scores = router.text_model.propose(c.for_text_model()).scores
        for j, d in enumerate(DEPARTMENTS):
            sim[i, j] = matches[d].score if d in matches else 0.0
            text[i, j] = scores.get(d, 1 / len(DEPARTMENTS))
    labels = np.array([DEPARTMENTS.index(t.department) for t in data])
    return sim, text, labels
