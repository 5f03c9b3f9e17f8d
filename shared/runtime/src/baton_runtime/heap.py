"""Python's cyclic garbage collector, set for a long-running service.

A service starts with 150,000-170,000 objects the collector tracks (modules,
classes, SQLAlchemy's mappers, pydantic's schemas), and a full collection walks
them all: 55-80 ms on the bench machine, during which the service does nothing
else, so an issue that meets one waits that long at that hop. None of those
objects will ever be garbage: once the service has started, ``gc.freeze()`` moves
them where collections do not look. And the youngest generation is collected
after 10,000 new container objects instead of Python's 700: a request or a batch
allocates thousands, so the default ran it several times per issue.

``BATON_GC_TUNED=false`` leaves the collector as Python sets it
(``bench/e2e/cost.py`` compares the two).
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000


def settle() -> int:
    """Collect what start-up left behind, then freeze the rest and raise the young
    generation's threshold. Returns how many objects are frozen."""
    gc.collect()  # start-up's garbage goes now rather than being kept forever
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    return gc.get_freeze_count()
