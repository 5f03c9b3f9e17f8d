"""The learned router: the department examples and the text model, combined and
calibrated, and the slot that holds the one decisions use now.

An issue is cleaned (``text.py``); its subject and focused body are embedded and
compared with every department's description and examples (``examples.py``); the
text model scores the cleaned text; ``calibration.py`` turns both into one calibrated
probability per catalog department. Without embeddings (turned off, or still loading)
the text model decides alone, with its own calibration.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from baton_routing.catalog.schemas import Catalog
from baton_routing.classifier import service, training
from baton_routing.classifier.calibration import Calibrations
from baton_routing.classifier.embedding import Encoder
from baton_routing.classifier.examples import ExampleIndex, VectorCache
from baton_routing.classifier.schemas import Example, Proposal
from baton_routing.classifier.service import SAMPLE_HISTORY
from baton_routing.classifier.text import clean, for_text_model
from baton_routing.classifier.textmodel import TextModel

log = logging.getLogger(__name__)
# An example this close is worth naming in the reason; further away it explains nothing.
_NAMED_SIMILARITY = 0.3


@cache
def shared_encoder() -> Encoder:
    """One encoder per process (its weights are read-only; ONNX Runtime sessions are
    safe to call from several threads)."""
    return Encoder()


def catalog_examples(catalog: Catalog) -> list[Example]:
    """The catalog's descriptions and examples as the text model reads issues (German
    ones with their words' English meaning)."""
    return [
        Example(text=for_text_model(text), department=d.name)
        for d in catalog.departments
        for text in [d.description, *d.examples]
    ]


class LearnedRouter:
    def __init__(
        self,
        text_model: TextModel,
        *,
        encoder: Encoder | None = None,
        calibrations: Calibrations | None = None,
    ) -> None:
        self.text_model = text_model
        self.encoder = encoder
        self.calibrations = calibrations or Calibrations.load()
        self.version = text_model.version + (f"+{encoder.name}" if encoder else "")
        self.departments = text_model.departments
        self._vectors = VectorCache(encoder) if encoder else None
        self._index: tuple[object, ExampleIndex] | None = None

    def with_encoder(self, encoder: Encoder) -> LearnedRouter:
        return LearnedRouter(self.text_model, encoder=encoder, calibrations=self.calibrations)

    def index(self, catalog: Catalog) -> ExampleIndex | None:
        """The catalog's examples as vectors; only new or changed texts are embedded."""
        if self._vectors is None:
            return None
        key = tuple((d.name, d.description, tuple(d.examples)) for d in catalog.departments)
        if self._index is None or self._index[0] != key:
            self._index = (key, ExampleIndex(catalog.departments, self._vectors))
        return self._index[1]

    def propose(self, catalog: Catalog, subject: str, description: str) -> Proposal:
        cleaned = clean(subject, description)
        body = cleaned.for_text_model()
        text_scores = self.text_model.propose(body).scores
        names = [d.name for d in catalog.departments]
        index = self.index(catalog)
        matches = {}
        calibration = self.calibrations.text_only
        if index is not None and self.encoder is not None:
            matches = index.match(self.encoder.encode(cleaned.for_embedding()))
            calibration = self.calibrations.combined
        scores = calibration.probabilities(
            names, {d: m.score for d, m in matches.items()}, text_scores
        )
        best = max(scores, key=scores.__getitem__)
        drivers: list[str] = []
        if best in matches and matches[best].similarity >= _NAMED_SIMILARITY:
            m = matches[best]
            drivers.append(f"the example {m.nearest!r} ({m.similarity:.2f})")
        terms = self.text_model.top_terms(body, best)
        if terms:
            drivers.append("the words " + ", ".join(repr(t) for t in terms))
        return Proposal(
            department=best,
            confidence=round(scores[best], 4),
            scores={d: round(p, 4) for d, p in scores.items()},
            drivers=tuple(drivers),
        )


def train(
    catalog: Catalog,
    *,
    history: Sequence[Example] = (),
    generation: int = 1,
    encoder: Encoder | None = None,
    path: Path = SAMPLE_HISTORY,
) -> LearnedRouter:
    """The text model trains in a child process (``training.py``): this one never
    imports scikit-learn."""
    version = service.sample_version(path, generation=generation, history=len(history))
    text_model = training.train(
        [*service.load_examples(path), *history],
        version=version,
        catalog_examples=catalog_examples(catalog),
    )
    return LearnedRouter(text_model, encoder=encoder)


class ClassifierSlot:
    """The learned router decisions use now (None: turned off or not trained yet);
    ``swap`` replaces it atomically (one reference). ``start`` trains and loads it in
    a background thread, so that the service answers while it does."""

    def __init__(
        self,
        router: LearnedRouter | None = None,
        *,
        seed: Catalog | None = None,
        embeddings: bool = True,
    ) -> None:
        self.current = router
        self.generation = 1 if router else 0
        self.seed = seed
        self.embeddings = embeddings
        self._ready = threading.Event()
        if router is not None:
            self._ready.set()

    def swap(self, router: LearnedRouter) -> None:
        self.current = router
        self.generation += 1

    def retrain(
        self,
        path: Path = SAMPLE_HISTORY,
        history: Sequence[Example] = (),
        catalog: Catalog | None = None,
    ) -> LearnedRouter:
        """Train the text model on the shipped sample, the catalog's examples and the
        company's own labelled history; keep the loaded encoder."""
        catalog = catalog or self.seed or _default_catalog()
        encoder = self.current.encoder if self.current else None
        if encoder is None and self.embeddings:
            encoder = shared_encoder()
        router = train(
            catalog, history=history, generation=self.generation + 1, encoder=encoder, path=path
        )
        if encoder is not None:
            router.index(catalog)  # embed the examples now, not in the first decision
        self.swap(router)
        self._ready.set()
        return router

    def start(self) -> None:
        """Train and load in the background: a text-only router first (seconds), then
        the same with the encoder once its model is loaded."""

        def load() -> None:
            try:
                catalog = self.seed or _default_catalog()
                text_only = train(catalog, generation=self.generation + 1)
                self.swap(text_only)
                if self.embeddings:
                    router = text_only.with_encoder(shared_encoder())
                    router.index(catalog)
                    if self.current is text_only:  # unless a retrain came first
                        self.current = router  # same generation: the encoder joined it
                release_memory()
            except Exception:
                log.exception("the learned router could not be loaded")
            finally:
                self._ready.set()

        threading.Thread(target=load, name="learned-router", daemon=True).start()

    async def ready(self, wait: float = 120.0) -> LearnedRouter | None:
        """The router once ``start`` has finished (or given up): decisions wait for it
        rather than differ by how long ago the service started."""
        if not self._ready.is_set():
            await asyncio.to_thread(self._ready.wait, wait)
        return self.current


def release_memory() -> None:
    """Hand back to the system what loading freed (the float32 weights and the
    serialized graph, about 70 MB), which glibc would otherwise keep."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc: nothing to do


def _default_catalog() -> Catalog:
    from baton_routing.catalog.service import load_catalog
    from baton_routing.settings import DEFAULT_CATALOG

    return load_catalog(DEFAULT_CATALOG)


async def retrain(
    *, session: AsyncSession, slot: ClassifierSlot, catalog: Catalog
) -> LearnedRouter:
    """Retrain on the sample, the catalog's examples and the company's history, and swap
    the result in."""
    own = await service.examples(session=session)
    # Seconds of CPU: off the event loop.
    return await asyncio.to_thread(slot.retrain, history=own, catalog=catalog)
