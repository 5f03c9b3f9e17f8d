"""What the services counted themselves (their Prometheus ``/metrics``, on by
default): time spent handling each consumed message, and intake's time per
``POST /v1/issues``, read before and after a phase."""

from __future__ import annotations

import re
import urllib.request
from collections import defaultdict

_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')

# (metric family, label that names what was measured, unit in seconds)
_DURATIONS = [
    ("baton_message_handling_duration_seconds", "messaging_destination_name", 1.0),
    ("http_server_duration_milliseconds", "http_target", 0.001),
]

Totals = dict[str, tuple[float, float]]  # what -> (count, seconds)


def parse(text: str, prefix: str = "") -> Totals:
    """Count and total seconds per consumed topic, and per HTTP route, summed over
    the other labels. Topic names lose their run's prefix."""
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for line in text.splitlines():
        found = _LINE.match(line)
        if not found:
            continue
        name, labels, value = found.groups()
        for family, key, unit in _DURATIONS:
            if name in (f"{family}_count", f"{family}_sum"):
                what = dict(_LABEL.findall(labels or "")).get(key, "?").removeprefix(prefix)
                slot = 0 if name.endswith("_count") else 1
                sums[what][slot] += float(value) * (unit if slot else 1)
    return {k: (v[0], v[1]) for k, v in sums.items()}


def scrape(url: str, prefix: str = "") -> Totals:
    try:
        with urllib.request.urlopen(f"{url}/metrics", timeout=5) as r:
            return parse(r.read().decode(), prefix)
    except OSError:
        return {}


def per_message(before: Totals, after: Totals) -> dict[str, dict[str, float]]:
    """Between two scrapes: how many were handled and the mean time each took."""
    out = {}
    for what, (count, seconds) in after.items():
        c0, s0 = before.get(what, (0.0, 0.0))
        if count > c0:
            out[what] = {
                "count": int(count - c0),
                "mean_ms": round(1000 * (seconds - s0) / (count - c0), 2),
            }
    return out
