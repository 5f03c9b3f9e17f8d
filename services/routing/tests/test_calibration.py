"""Fitting the calibration: what each labelled message counts for (issue 16 weighed the
Bitext sample against the real-worded dev tickets)."""

import numpy as np
import pytest
from baton_routing.classifier.calibration import fit

DEPARTMENTS = ["a", "b"]


def messages(n: int, *, text_right: bool, seed: int) -> tuple[np.ndarray, ...]:
    """Messages whose text model is confidently right (and the examples' similarity says
    nothing), or confidently wrong (and the similarity points to the right department)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    sim = rng.normal(0.5, 0.05, (n, 2))
    if not text_right:
        sim += np.where(np.eye(2)[labels] > 0, 0.1, -0.1)
    favoured = labels if text_right else 1 - labels
    text = np.where(np.eye(2)[favoured] > 0, 0.95, 0.05)
    return sim, text, labels


def test_a_message_weighted_zero_does_not_move_the_fit():
    real = messages(80, text_right=False, seed=1)
    other = messages(80, text_right=True, seed=2)
    alone = fit(*real, DEPARTMENTS, fitted_on="real")
    both = [np.concatenate([a, b]) for a, b in zip(real, other, strict=True)]
    weights = np.r_[np.ones(80), np.zeros(80)]
    ignored = fit(*both, DEPARTMENTS, fitted_on="both", weights=weights)
    assert ignored.text_weight == pytest.approx(alone.text_weight, abs=1e-3)
    assert ignored.similarity_weight == pytest.approx(alone.similarity_weight, rel=1e-3)


def test_the_more_a_set_weighs_the_more_the_fit_trusts_what_is_right_on_it():
    misleading = messages(80, text_right=False, seed=1)  # the text model is wrong here
    trustworthy = messages(80, text_right=True, seed=2)  # and right here
    both = [np.concatenate([a, b]) for a, b in zip(misleading, trustworthy, strict=True)]
    text_weights = [
        fit(
            *both, DEPARTMENTS, fitted_on="both", weights=np.r_[np.ones(80), np.full(80, w)]
        ).text_weight
        for w in (0.1, 1.0, 10.0)
    ]
    assert text_weights[0] < text_weights[1] < text_weights[2], text_weights
    # Only the ratios matter: doubling every weight changes nothing.
    twice = fit(*both, DEPARTMENTS, fitted_on="both", weights=np.r_[np.ones(80), np.ones(80)] * 2)
    assert twice.text_weight == pytest.approx(text_weights[1], abs=1e-3)
