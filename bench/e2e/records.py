"""Reading what the other processes recorded: the load generator's sends (a file
written when it exits) and the sink's or the relay collector's arrivals (files
appended to as they come, read here as they grow)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection
from pathlib import Path

from bench.e2e.stats import Mail, Send


def read_sends(path: Path) -> list[Send]:
    with path.open(encoding="utf-8") as f:
        return [Send(**json.loads(line)) for line in f if line.strip()]


class Arrivals:
    """A JSON-lines file another process appends to, read incrementally. Each
    line is a ``Mail``: when it arrived, which issue (or relayed message) it is
    about, and its kind."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self.mails: list[Mail] = []
        self.first: dict[str, float] = {}  # id -> first owner notice

    def poll(self) -> int:
        """Read what was appended since the last call; how many new arrivals."""
        with self.path.open("rb") as f:
            f.seek(self._offset)
            data = f.read()
        end = data.rfind(b"\n") + 1  # a line still being written waits for the next poll
        self._offset += end
        new = 0
        for line in data[:end].splitlines():
            if line.strip():
                mail = Mail(**json.loads(line))
                self.mails.append(mail)
                if mail.kind == "assigned" and mail.issue_id is not None:
                    self.first.setdefault(mail.issue_id, mail.received)
                new += 1
        return new

    def wait_for(
        self,
        expected: Collection[str],
        *,
        stall_s: float,
        max_s: float,
        alive: Callable[[], None] = lambda: None,
    ) -> str:
        """Wait until every id in ``expected`` has arrived. Gives up when nothing
        expected arrived for ``stall_s`` ("stalled": the rest is lost) or after
        ``max_s`` ("timed out": still arriving, so the rest is late, not
        proven lost). ``alive`` raises if a process the wait depends on died."""
        started = last_progress = time.monotonic()
        remaining = {i for i in expected if i not in self.first}
        while remaining:
            if self.poll():
                before = len(remaining)
                remaining = {i for i in remaining if i not in self.first}
                if len(remaining) < before:
                    last_progress = time.monotonic()
            now = time.monotonic()
            if now - last_progress > stall_s:
                return "stalled"
            if now - started > max_s:
                return "timed out"
            alive()
            time.sleep(0.2)
        return "complete"
