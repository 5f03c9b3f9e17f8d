"""Fit the shipped calibration, and compare how much the Bitext sample should weigh in it.

    python bench/routing/calibrate.py       (the cross-validated comparison only)

The calibration (``classifier/calibration.py``) is fitted on two kinds of labelled
messages the text model never trained on:

- the real-worded dev tickets (``data/tickets/dev.jsonl``), scored by the shipped text
  model (trained on the whole Bitext sample and the catalog's examples);
- the Bitext training half (``evalset.bitext_halves``), each message scored out of fold
  by a text model trained on the other four fifths of that half and the catalog's
  examples, so that its probability is as confident as on a message it never saw.

Together the Bitext messages weigh ``BITEXT_WEIGHT`` times the dev tickets: zero as
shipped (see below), ``TRIED_BITEXT_WEIGHT`` in the variant evaluate.py reports beside it.
The test tickets and the Bitext held-out half are not read here. The comparison cross-validates
the calibration: five folds of dev (stratified by department) and of the Bitext training
half, fitted on four of each and scored on the fifth, for five shuffles.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
from baton_routing.classifier import calibration, learned, sklearn_fit
from baton_routing.classifier.calibration import Calibration, Calibrations
from baton_routing.classifier.schemas import Example
from evalset import (
    CATALOG,
    DEPARTMENTS,
    FALLBACK,
    HERE,
    THRESHOLD,
    Ticket,
    bitext_halves,
    features,
    tickets,
)

# What the Bitext training half weighs against the dev tickets. With the previous
# round's examples 0.6 was chosen by the comparison below (Bitext 0.975 cross-validated,
# dev 0.797 against 0.803 without), but on test it routed the real-worded tickets 0.794
# right, below the 0.80 they must reach. With seven more catalog examples, dev alone does
# better on both (bench/routing/results.md): the shipped calibration stays on dev alone.
BITEXT_WEIGHT = 0.0
TRIED_BITEXT_WEIGHT = 0.6
FOLDS = 5
Features = tuple[np.ndarray, np.ndarray, np.ndarray]  # similarity, text, labels


def bitext_out_of_fold(router: learned.LearnedRouter, train: Sequence[Example]) -> Features:
    """The Bitext training half, each message scored by a text model that did not train
    on it (``FOLDS`` folds), against the shipped catalog's examples."""
    fold = np.random.default_rng(0).permutation(len(train)) % FOLDS
    catalog_examples = learned.catalog_examples(CATALOG)
    sim = np.zeros((len(train), len(DEPARTMENTS)))
    text, labels = np.zeros_like(sim), np.zeros(len(train), dtype=int)
    for k in range(FOLDS):
        model = sklearn_fit.train(
            [e for e, f in zip(train, fold, strict=True) if f != k],
            version=f"fold-{k}",
            catalog_examples=catalog_examples,
        )
        rows = np.flatnonzero(fold == k)
        held = [Ticket("", train[i].text, train[i].department, "en") for i in rows]
        scored = learned.LearnedRouter(model, encoder=router.encoder)
        sim[rows], text[rows], labels[rows] = features(scored, held)
    return sim, text, labels


def fit(dev: Features, bitext: Features, *, bitext_weight: float, fitted_on: str) -> Calibrations:
    """Both calibrations on dev and Bitext together, Bitext weighing ``bitext_weight``
    times dev (every dev ticket alike, every Bitext message alike)."""
    sim, text, labels = (np.concatenate([a, b]) for a, b in zip(dev, bitext, strict=True))
    n_dev, n_bitext = len(dev[2]), len(bitext[2])
    weights = np.r_[np.full(n_dev, 1 / n_dev), np.full(n_bitext, bitext_weight / max(n_bitext, 1))]
    return Calibrations(
        combined=calibration.fit(
            sim, text, labels, DEPARTMENTS, fitted_on=fitted_on, weights=weights
        ),
        text_only=calibration.fit(
            sim,
            text,
            labels,
            DEPARTMENTS,
            fitted_on=fitted_on,
            weights=weights,
            with_similarity=False,
        ),
    )


def calibrations(dev: Features, bitext: Features, *, bitext_weight: float) -> Calibrations:
    """``fit`` with the record of what it was fitted on; weight 0: dev alone."""
    fitted_on = f"bench/routing/data/tickets/dev.jsonl ({len(dev[2])} tickets)"
    if not bitext_weight:
        return fit(dev, tuple(a[:0] for a in bitext), bitext_weight=0.0, fitted_on=fitted_on)
    fitted_on += (
        f" and the Bitext sample's training half out of fold ({len(bitext[2])} messages, "
        f"weighing {bitext_weight} of dev)"
    )
    return fit(dev, bitext, bitext_weight=bitext_weight, fitted_on=fitted_on)


def scored(router: learned.LearnedRouter) -> tuple[Features, Features]:
    """The features calibrations are fitted on: dev, and the Bitext training half out of
    fold (the held-out half is not read)."""
    train, _ = bitext_halves()
    return features(router, tickets("dev")), bitext_out_of_fold(router, train)


def routed(fit: Calibration, sim: np.ndarray, text: np.ndarray) -> np.ndarray:
    """Where each message goes: the top department, or customer service below the threshold."""
    bias = np.array([fit.bias.get(d, 0.0) for d in DEPARTMENTS])
    z = fit.similarity_weight * sim + fit.text_weight * np.log(np.clip(text, 1e-4, 1)) + bias
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return np.where(p.max(axis=1) >= THRESHOLD, p.argmax(axis=1), DEPARTMENTS.index(FALLBACK))


def cross_validate(
    dev: Features, languages: np.ndarray, bitext: Features, bitext_weight: float, shuffles: int = 5
) -> dict[str, float]:
    """Final accuracy (after abstention) on the held-out fold, averaged over shuffles."""
    runs = []
    for shuffle in range(shuffles):
        rng = np.random.default_rng(shuffle)
        dev_fold = np.zeros(len(dev[2]), dtype=int)
        for label in np.unique(dev[2]):
            rows = np.flatnonzero(dev[2] == label)
            dev_fold[rng.permutation(rows)] = np.arange(len(rows)) % FOLDS
        bitext_fold = rng.permutation(len(bitext[2])) % FOLDS
        dev_routed, bitext_routed = np.zeros_like(dev[2]), np.zeros_like(bitext[2])
        for k in range(FOLDS):
            d, b = dev_fold != k, bitext_fold != k
            fits = fit(
                tuple(a[d] for a in dev),
                tuple(a[b] for a in bitext),
                bitext_weight=bitext_weight or 1e-9,
                fitted_on="cross-validation",
            )
            dev_routed[~d] = routed(fits.combined, dev[0][~d], dev[1][~d])
            bitext_routed[~b] = routed(fits.combined, bitext[0][~b], bitext[1][~b])
        right = dev_routed == dev[2]
        runs.append(
            [
                right.mean(),
                right[languages == "en"].mean(),
                right[languages == "de"].mean(),
                (bitext_routed == bitext[2]).mean(),
            ]
        )
    mean, spread = np.mean(runs, axis=0), np.std([r[0] for r in runs])
    return {
        "bitext_weight": bitext_weight,
        "dev": round(float(mean[0]), 4),
        "dev_spread": round(float(spread), 4),
        "dev_en": round(float(mean[1]), 4),
        "dev_de": round(float(mean[2]), 4),
        "bitext_training_half": round(float(mean[3]), 4),
    }


def main() -> None:
    router = learned.train(CATALOG, encoder=learned.shared_encoder())
    dev, bitext = scored(router)
    languages = np.array([t.language for t in tickets("dev")])
    rows = [
        cross_validate(dev, languages, bitext, w) for w in (0.0, 0.25, 0.5, 0.6, 0.75, 1.0, 2.0)
    ]
    for row in rows:
        print(row, flush=True)
    (HERE / "calibration-cv.json").write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
