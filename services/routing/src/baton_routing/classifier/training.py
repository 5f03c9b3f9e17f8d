"""Training the text model in a child process, so that the service never imports
scikit-learn or SciPy (about 100 MB of its memory, bench/routing/results.md).

The child is ``python -m baton_routing.classifier.sklearn_fit``: it reads the examples
as JSON on stdin, trains, and writes the exported model to a file, which this process
loads with NumPy alone (``textmodel.py``). Callers run this off the event loop (it
blocks for the seconds training takes), as they ran the training itself before.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from baton_routing.classifier.schemas import Example
from baton_routing.classifier.textmodel import TextModel

CHILD = "baton_routing.classifier.sklearn_fit"
# Training takes seconds; a child still busy after this is stuck, not slow.
TIMEOUT_SECONDS = 600.0
# What of a failed child's stderr the error keeps (the traceback's end says why).
_STDERR_TAIL = 2000


class TrainingFailed(RuntimeError):
    """The child process did not produce a model; the caller keeps the one it has."""


def request(
    examples: Sequence[Example],
    *,
    version: str,
    chars: bool = True,
    catalog_examples: Sequence[Example] = (),
) -> str:
    """What the child reads on stdin."""
    return json.dumps(
        {
            "version": version,
            "chars": chars,
            "examples": [(e.text, e.department) for e in examples],
            "catalog_examples": [(e.text, e.department) for e in catalog_examples],
        }
    )


def train(
    examples: Sequence[Example],
    *,
    version: str,
    chars: bool = True,
    catalog_examples: Sequence[Example] = (),
) -> TextModel:
    """As ``sklearn_fit.train``, in a child process."""
    body = request(examples, version=version, chars=chars, catalog_examples=catalog_examples)
    with tempfile.TemporaryDirectory(prefix="baton-routing-model-") as where:
        out = Path(where) / "model.npz"
        try:
            done = subprocess.run(
                [sys.executable, "-m", CHILD, str(out)],
                input=body,
                capture_output=True,
                text=True,
                encoding="utf-8",
                timeout=TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as e:
            raise TrainingFailed(f"training took longer than {TIMEOUT_SECONDS:.0f} s") from e
        if done.returncode != 0 or not out.exists():
            raise TrainingFailed(
                f"training exited with {done.returncode}: {done.stderr[-_STDERR_TAIL:]}"
            )
        return TextModel.load(out)
