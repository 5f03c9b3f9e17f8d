"""Training the text model with scikit-learn, and exporting it as plain data.

TF-IDF over word and character n-grams with a linear classifier, trained on the shipped
sample, the catalog's example requests and the company's own resolved issues (see
bench/routing). The service never imports this module: ``training.py`` runs it as
``python -m baton_routing.classifier.sklearn_fit`` in a child process, which reads the
examples as JSON on stdin and writes the exported ``TextModel`` to the path it is given;
the benchmarks import it directly.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from baton_routing.classifier.schemas import Example
from baton_routing.classifier.textmodel import Part, Settings, TextModel, normalize

# How many sample messages one catalog example weighs (tuned on the dev tickets).
CATALOG_WEIGHT = 60.0


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


def fit(
    examples: Sequence[Example], *, chars: bool = True, catalog_examples: Sequence[Example] = ()
) -> Pipeline:
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
    return pipeline


def _part(vectorizer: TfidfVectorizer) -> Part:
    """One vectorizer as plain data; settings the NumPy transform does not reproduce
    are refused rather than silently scored differently."""
    v = vectorizer
    if (
        v.strip_accents is not None
        or v.stop_words is not None
        or v.preprocessor is not None
        or v.tokenizer is not None
        or v.binary
        or v.input != "content"
        or v.norm not in ("l2", None)
    ):
        raise ValueError(f"cannot export {v!r}: its transform is not reproduced")
    settings = Settings(
        analyzer=v.analyzer,
        ngram_range=tuple(v.ngram_range),
        lowercase=bool(v.lowercase),
        token_pattern=v.token_pattern,
        sublinear_tf=bool(v.sublinear_tf),
        use_idf=bool(v.use_idf),
        norm=v.norm,
    )
    terms = [str(t) for t in v.get_feature_names_out()]
    return Part(settings, terms, np.asarray(v.idf_, dtype=np.float64) if v.use_idf else None)


def export(pipeline: Pipeline, *, version: str) -> TextModel:
    """The fitted pipeline as a ``TextModel`` that scores as its ``predict_proba``."""
    clf = pipeline.named_steps["clf"]
    parts = [_part(v) for _, v in pipeline.named_steps["features"].transformer_list]
    coef = np.asarray(clf.coef_, dtype=np.float64)
    intercept = np.asarray(clf.intercept_, dtype=np.float64)
    if len(clf.classes_) == 2:
        # Two classes: one logit z, P = (1 - sigmoid(z), sigmoid(z)) = softmax(0, z).
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.r_[0.0, intercept]
    return TextModel(parts, coef, intercept, [str(c) for c in clf.classes_], version=version)


def train(
    examples: Sequence[Example],
    *,
    version: str,
    chars: bool = True,
    catalog_examples: Sequence[Example] = (),
) -> TextModel:
    """Trained in this process (the benchmarks; the service uses ``training.train``)."""
    pipeline = fit(examples, chars=chars, catalog_examples=catalog_examples)
    return export(pipeline, version=version)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="where to write the exported model (.npz)")
    args = parser.parse_args(argv)
    request = json.load(sys.stdin)
    model = train(
        [Example(text=t, department=d) for t, d in request["examples"]],
        version=request["version"],
        chars=request.get("chars", True),
        catalog_examples=[Example(text=t, department=d) for t, d in request["catalog_examples"]],
    )
    model.save(args.out)


if __name__ == "__main__":
    main()
