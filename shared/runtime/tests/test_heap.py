"""The collector's settings once a service has started (``baton_runtime.heap``),
in a fresh interpreter so this test process keeps Python's own."""

import json
import subprocess
import sys

PROBE = """
import gc, json
import baton_runtime.service  # what a service has imported by the time it starts
from baton_runtime import heap
before = {"frozen": gc.get_freeze_count(), "threshold": gc.get_threshold()}
garbage = []
garbage.append(garbage)  # a cycle only the collector frees
del garbage
frozen = heap.settle()
print(json.dumps({
    "before": before,
    "frozen": frozen,
    "threshold": gc.get_threshold(),
    "tracked_left": len(gc.get_objects()),
}))
"""


def test_settling_freezes_what_start_up_made_and_collects_the_young_generation_less_often():
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    ).stdout
    found = json.loads(out)
    assert found["before"]["frozen"] == 0
    assert found["before"]["threshold"][0] == 700  # Python's own
    assert found["frozen"] > 50_000  # the kernel's imports alone: tens of thousands
    # Frozen objects are out of every generation: a full collection has little to walk.
    assert found["tracked_left"] < found["frozen"] / 10
    assert found["threshold"][0] == 10_000
    assert found["threshold"][1:] == found["before"]["threshold"][1:]
