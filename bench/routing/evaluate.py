"""Evaluate routing's learned router on real-worded tickets and on the Bitext sample.

    python bench/routing/evaluate.py        (make bench-routing)

1. Start-up and memory: the router as the service builds it (text model trained on the
   shipped sample and the catalog's examples, embedding model loaded, examples embedded),
   timed from cold, and the process's resident memory before and after.
2. Calibration (calibrate.py): fitted on data/tickets/dev.jsonl and written to the
   service (classifier/data/calibration.json); a variant fitted on dev and the Bitext
   training half scored out of fold is reported beside it, not shipped. Nothing is
   fitted on test or on the Bitext held-out half.
3. Each variant on data/tickets/test.jsonl and on the Bitext held-out half
   (sha256(text) mod 2 == 1; the other half trains the text models for that row):
   accuracy (top department), macro-F1, abstention rate and the final accuracy at the
   variant's threshold, per language; a confusion matrix per variant (PNG).
4. Decision latency on one pinned core, one ticket at a time, including the embedding.

Writes results.json and the PNGs; results.md is written by hand from them.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing may come from a hub

import calibrate
import numpy as np
from baton_contracts import IssueReported, Reporter
from baton_routing.classifier import calibration, learned, sklearn_fit
from baton_routing.classifier.embedding import Encoder
from baton_routing.classifier.schemas import Example
from baton_routing.classifier.service import load_examples
from baton_routing.classifier.text import clean
from baton_routing.decisions.decide import decide
from evalset import (
    CATALOG,
    DEPARTMENTS,
    FALLBACK,
    HERE,
    THRESHOLD,
    Ticket,
    bitext_halves,
    tickets,
)
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

OLD_THRESHOLD = 0.7  # the TF-IDF router's threshold before calibration


def rss_mb(field: str = "VmRSS") -> float:
    """Resident memory now (VmRSS), or its highest so far (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# A variant: (tickets) -> [(department proposed, confidence)], and its threshold.
Propose = Callable[[Ticket], tuple[str, float]]


def old_tfidf(train: Sequence[Example]) -> Propose:
    model = sklearn_fit.train(train, version="old")

    def propose(t: Ticket) -> tuple[str, float]:
        p = model.propose(f"{t.subject}\n{t.description}")
        return p.department, p.confidence

    return propose


def router_variant(router: learned.LearnedRouter) -> Propose:
    def propose(t: Ticket) -> tuple[str, float]:
        p = router.propose(CATALOG, t.subject, t.description)
        return p.department, p.confidence

    return propose


def examples_only(router: learned.LearnedRouter, fit: calibration.Calibration) -> Propose:
    index = router.index(CATALOG)
    assert index is not None and router.encoder is not None

    def propose(t: Ticket) -> tuple[str, float]:
        cleaned = clean(t.subject, t.description)
        matches = index.match(router.encoder.encode(cleaned.for_embedding()))
        scores = fit.probabilities(DEPARTMENTS, {d: m.score for d, m in matches.items()}, {})
        best = max(scores, key=scores.__getitem__)
        return best, scores[best]

    return propose


def service_decision(router: learned.LearnedRouter) -> Propose:
    """What the service does: the catalog's keyword rules first, then the router."""

    def propose(t: Ticket) -> tuple[str, float]:
        issue = IssueReported(
            issue_id="bench",
            channel="email",
            reporter=Reporter(kind="customer", id="bench"),
            subject=t.subject or "(no subject)",
            description=t.description,
            reported_at=datetime.now(UTC),
        )
        d = decide(CATALOG, issue, classifier=router, min_confidence=THRESHOLD)
        if d.rule_id is not None or not d.model_scores:
            return d.department, 1.0  # a rule decided
        # The router's proposal and its confidence: score() applies the same threshold.
        return max(d.model_scores, key=d.model_scores.__getitem__), d.model_score or 0.0

    return propose


@cache
def fp32() -> Encoder:
    return Encoder(int8=False)


def score(name: str, propose: Propose, data: Sequence[Ticket], threshold: float) -> dict:
    proposed = [propose(t) for t in data]
    truth = [t.department for t in data]
    top = [d for d, _ in proposed]
    final = [d if c >= threshold else FALLBACK for d, c in proposed]
    present = sorted(set(truth))  # Bitext has no hr: macro-F1 over the labels present
    result = {
        "variant": name,
        "tickets": len(data),
        "accuracy": round(accuracy_score(truth, top), 4),
        "macro_f1": round(f1_score(truth, top, average="macro", labels=present), 4),
        "threshold": threshold,
        "abstention_rate": round(sum(c < threshold for _, c in proposed) / len(data), 4),
        "accuracy_after_abstention": round(accuracy_score(truth, final), 4),
        "macro_f1_after_abstention": round(
            f1_score(truth, final, average="macro", labels=present), 4
        ),
        "confusion": confusion_matrix(truth, final, labels=DEPARTMENTS).tolist(),
    }
    for language in sorted({t.language for t in data}):
        rows = [i for i, t in enumerate(data) if t.language == language]
        result[f"accuracy_{language}"] = round(
            accuracy_score([truth[i] for i in rows], [final[i] for i in rows]), 4
        )
    return result


def latency(propose: Propose, data: Sequence[Ticket]) -> dict[str, float]:
    """Wall-clock and CPU time of one decision. On a shared machine the wall clock
    includes waiting for the core; the CPU time is what the decision itself costs."""
    for t in data[:20]:
        propose(t)  # warm-up
    wall, cpu = [], []
    for t in data:
        started, started_cpu = time.perf_counter(), time.thread_time()
        propose(t)
        cpu.append((time.thread_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    w, c = statistics.quantiles(wall, n=100), statistics.quantiles(cpu, n=100)
    return {
        "wall_p50_ms": round(w[49], 2),
        "wall_p99_ms": round(w[98], 2),
        "cpu_p50_ms": round(c[49], 2),
        "cpu_p99_ms": round(c[98], 2),
    }


def plot(results: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results)
    columns = 3
    rows = -(-len(names) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(8.4, 3.0 * rows), squeeze=False)
    short = [d.replace("customer_service", "cust. serv.")[:11] for d in DEPARTMENTS]
    for ax in axes.flat[len(names) :]:
        ax.axis("off")
    for ax, name in zip(axes.flat, names, strict=False):
        m = np.array(results[name]["confusion"])
        ax.imshow(m / np.maximum(m.sum(1, keepdims=True), 1), cmap="Blues", vmin=0, vmax=1)
        for (i, j), v in np.ndenumerate(m):
            if v:
                color = "white" if v > m.sum(1)[i] * 0.6 else "black"
                ax.text(j, i, str(v), ha="center", va="center", fontsize=6, color=color)
        ax.set_xticks(range(len(short)), short, rotation=90, fontsize=6)
        ax.set_yticks(range(len(short)), short, fontsize=6)
        final = results[name]["accuracy_after_abstention"]
        ax.set_title(f"{name}\naccuracy {final:.2f}", fontsize=7)
    fig.supxlabel("routed to (customer service includes abstentions)", fontsize=7)
    fig.supylabel("labelled", fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one CPU core
    report: dict = {"machine": platform.platform(), "python": platform.python_version()}
    report["load_average"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None

    # 1. Start-up and memory, from cold, as the service does it (ClassifierSlot.start).
    import onnxruntime  # noqa: F401  libraries are not the model: imported before measuring
    import scipy.optimize  # noqa: F401

    before = rss_mb()
    clock = time.perf_counter()
    text_only = learned.train(CATALOG)
    trained = time.perf_counter()
    router = text_only.with_encoder(learned.shared_encoder())
    loaded = time.perf_counter()
    router.index(CATALOG)
    learned.release_memory()
    done = time.perf_counter()
    report["startup_seconds"] = {
        "total": round(done - clock, 2),
        "text_model_training": round(trained - clock, 2),
        "embedding_model_load_and_int8": round(loaded - trained, 2),
        "catalog_examples_embedded": round(done - loaded, 2),
    }
    report["model_memory_mb"] = round(rss_mb() - before, 1)
    report["loading_peak_memory_mb"] = round(rss_mb("VmHWM") - before, 1)
    print(f"start-up {report['startup_seconds']}, memory +{report['model_memory_mb']} MB")

    # 2. Calibration on dev (and, for the variant not shipped, the Bitext training half
    # out of fold); not on test.
    test = tickets("test")
    (sim, text, labels), bitext_oof = calibrate.scored(router)
    dev_features = (sim, text, labels)
    fits = calibrate.calibrations(dev_features, bitext_oof, bitext_weight=calibrate.BITEXT_WEIGHT)
    fits.dump(calibration.SHIPPED)
    with_bitext = calibrate.calibrations(
        dev_features, bitext_oof, bitext_weight=calibrate.TRIED_BITEXT_WEIGHT
    )
    examples_fit = calibration.fit(
        sim,
        np.full_like(text, 1 / len(DEPARTMENTS)),
        labels,
        DEPARTMENTS,
        fitted_on=fits.combined.fitted_on,
    )
    router = learned.LearnedRouter(router.text_model, encoder=router.encoder, calibrations=fits)
    text_router = learned.LearnedRouter(router.text_model, calibrations=fits)
    report["calibration"] = {
        "bitext_weight": calibrate.BITEXT_WEIGHT,
        "combined": fits.combined.__dict__,
        "text_only": fits.text_only.__dict__,
        "with_bitext_not_shipped": with_bitext.combined.__dict__,
    }

    # 3. Variants on the real-worded test set and the Bitext held-out half.
    bitext_train, bitext_test = bitext_halves()
    half = learned.LearnedRouter(
        sklearn_fit.train(
            bitext_train, version="half", catalog_examples=learned.catalog_examples(CATALOG)
        ),
        encoder=router.encoder,
        calibrations=fits,
    )
    variants: dict[str, tuple[Callable[[str], Propose], float]] = {
        "old TF-IDF (Bitext only)": (
            lambda s: old_tfidf(load_examples() if s == "test" else bitext_train),
            OLD_THRESHOLD,
        ),
        "examples only (embeddings)": (lambda s: examples_only(router, examples_fit), THRESHOLD),
        "text model (TF-IDF + examples)": (
            lambda s: router_variant(
                text_router
                if s == "test"
                else learned.LearnedRouter(half.text_model, calibrations=fits)
            ),
            THRESHOLD,
        ),
        "combined (shipped)": (
            lambda s: router_variant(router if s == "test" else half),
            THRESHOLD,
        ),
        "combined, fp32 embeddings": (
            lambda s: router_variant(
                learned.LearnedRouter(
                    (router if s == "test" else half).text_model,
                    encoder=fp32(),
                    calibrations=fits,
                )
            ),
            THRESHOLD,
        ),
        "combined, calibrated with Bitext (not shipped)": (
            lambda s: router_variant(
                learned.LearnedRouter(
                    (router if s == "test" else half).text_model,
                    encoder=router.encoder,
                    calibrations=with_bitext,
                )
            ),
            THRESHOLD,
        ),
        "service: rules, then combined": (
            lambda s: service_decision(router if s == "test" else half),
            THRESHOLD,
        ),
    }
    report["test"], report["bitext"] = {}, {}
    for name, (make, threshold) in variants.items():
        for split, data in (("test", test), ("bitext", bitext_test)):
            print(f"{split}: {name} ...", flush=True)
            report[split][name] = score(name, make(split), data, threshold)
            print({k: v for k, v in report[split][name].items() if k != "confusion"}, flush=True)

    # 4. Latency of one decision, one core, embedding included.
    report["latency"] = {
        "combined (shipped)": latency(router_variant(router), test),
        "combined, fp32 embeddings": latency(
            router_variant(
                learned.LearnedRouter(router.text_model, encoder=fp32(), calibrations=fits)
            ),
            test,
        ),
        "text model (TF-IDF + examples)": latency(router_variant(text_router), test),
        "service: rules, then combined": latency(service_decision(router), test),
    }
    print(report["latency"], flush=True)
    plot(report["test"], HERE / "confusion-test.png")
    print("wrote results.json and confusion-test.png; results.md is written from them")
    (HERE / "results.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
