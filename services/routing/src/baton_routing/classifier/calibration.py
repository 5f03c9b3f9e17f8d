"""Turning the two models' scores into one probability that means what it says.

For each department ``d`` the router has two scores: how close the issue is to the
department's examples (cosine similarity of sentence embeddings, ``s_d``) and what the
supervised text model gives it (a probability, ``p_d``). The calibrated probability is

    P(d) = softmax_d(a * s_d + b * log p_d + c_d)

with ``a``, ``b`` and a bias ``c_d`` per department fitted by maximum likelihood on
labelled tickets the models never trained on: the real-worded dev tickets
(bench/routing/data/tickets/dev.jsonl, see bench/routing/calibrate.py, which can also
weigh in Bitext sample messages scored out of fold; per-message ``weights`` make that
possible, and the shipped fit gives them none). Fitted that way, of the issues given
0.7, about 70 % belong where they are sent, so a threshold on it is a statement about
precision.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

SHIPPED = Path(__file__).parent / "data" / "calibration.json"
# A department the text model never saw gets this probability: no evidence either way.
_FLOOR = 1e-4


@dataclass(frozen=True)
class Calibration:
    similarity_weight: float  # a: 0 when the router runs without embeddings
    text_weight: float  # b
    bias: dict[str, float] = field(default_factory=dict)  # c_d; 0 for departments not fitted
    fitted_on: str = ""  # which tickets, for the record

    def probabilities(
        self,
        departments: Sequence[str],
        similarity: Mapping[str, float],
        text: Mapping[str, float],
    ) -> dict[str, float]:
        neutral = 1 / max(len(departments), 1)
        logits = np.array(
            [
                self.similarity_weight * similarity.get(d, 0.0)
                + self.text_weight * np.log(max(text.get(d, neutral), _FLOOR))
                + self.bias.get(d, 0.0)
                for d in departments
            ]
        )
        p = np.exp(logits - logits.max())
        p /= p.sum()
        return {d: float(v) for d, v in zip(departments, p, strict=True)}


def fit(
    similarity: np.ndarray,
    text: np.ndarray,
    labels: Sequence[int],
    departments: Sequence[str],
    *,
    fitted_on: str,
    with_similarity: bool = True,
    weights: np.ndarray | None = None,
) -> Calibration:
    """Maximum likelihood over ``(a, b, c)``; ``similarity`` and ``text`` are
    (tickets x departments) arrays, ``labels`` the index of each ticket's department,
    ``weights`` what each ticket counts for (default: all alike; only their ratios
    matter). The biases are lightly regularized (few tickets per department)."""
    from scipy.optimize import minimize

    y = np.asarray(labels)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    w = w / w.sum()
    log_text = np.log(np.clip(text, _FLOOR, 1.0))
    sim = similarity if with_similarity else np.zeros_like(similarity)
    n = len(departments)

    def loss(theta: np.ndarray) -> float:
        z = theta[0] * sim + theta[1] * log_text + theta[2:]
        z = z - z.max(axis=1, keepdims=True)
        log_p = z[np.arange(len(y)), y] - np.log(np.exp(z).sum(axis=1))
        return float(-(w * log_p).sum() + 0.01 * np.sum(theta[2:] ** 2))

    start = np.r_[10.0 if with_similarity else 0.0, 1.0, np.zeros(n)]
    bounds = [(0.0, 0.0) if not with_similarity else (0.0, None), (0.0, None)] + [(-3, 3)] * n
    theta = minimize(loss, start, method="L-BFGS-B", bounds=bounds).x
    return Calibration(
        similarity_weight=round(float(theta[0]), 4),
        text_weight=round(float(theta[1]), 4),
        bias={d: round(float(c), 4) for d, c in zip(departments, theta[2:], strict=True)},
        fitted_on=fitted_on,
    )


@dataclass(frozen=True)
class Calibrations:
    """One fit for the full router, one for text alone (embeddings off or not loaded yet)."""

    combined: Calibration
    text_only: Calibration

    @classmethod
    def load(cls, path: Path = SHIPPED) -> Calibrations:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            combined=Calibration(**raw["combined"]), text_only=Calibration(**raw["text_only"])
        )

    def dump(self, path: Path) -> None:
        body = {"combined": asdict(self.combined), "text_only": asdict(self.text_only)}
        path.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
