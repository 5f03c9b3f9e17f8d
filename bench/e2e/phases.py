"""One load phase: run a load process (the HTTP load generator or the relay's
feeder) to its end, and measure the CPU every process used meanwhile."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.e2e.procs import CpuMeter, spawn
from bench.e2e.records import read_sends
from bench.e2e.stack import StackError, clean_env
from bench.e2e.stats import Send, StepResult, Window


@dataclass
class Phase:
    name: str
    offered_rate: float | None  # None: closed loop
    sends: list[Send]
    window: Window
    cpu: dict[str, float]  # % of one core per process; "machine": % of all cores
    extra: dict[str, Any] = field(default_factory=dict)
    drain: str | None = None
    result: StepResult | None = None

    def accepted_ids(self) -> list[str]:
        return [s.issue_id for s in self.sends if s.accepted]  # type: ignore[misc]

    def as_dict(self) -> dict[str, Any]:
        assert self.result is not None
        return {
            "name": self.name,
            **self.result.as_dict(),
            "drain": self.drain,
            "cpu_percent": self.cpu,
            **self.extra,
        }


def run_load(
    name: str,
    argv: list[str],
    *,
    out: Path,
    log: Path,
    pids: dict[str, int],
    offered_rate: float | None,
    alive: Callable[[], None],
) -> Phase:
    """Run ``argv`` (which writes its sends to ``out`` and prints a JSON summary
    as its last line) and wait for it; ``alive`` raises if the system under test died."""
    meter = CpuMeter(pids)
    proc = spawn(name, [*argv, "--out", str(out)], env=clean_env(), log=log)
    while proc.process.poll() is None:
        try:
            alive()
        except BaseException:
            proc.process.kill()
            raise
        time.sleep(0.2)
    cpu = meter.read()
    if proc.process.returncode != 0:
        raise StackError(f"load process {name} failed:\n{proc.log_tail()}")
    summary = json.loads(proc.log.read_text().strip().splitlines()[-1])
    cpu["load generator"] = round(100 * summary["cpu_s"] / max(summary["seconds"], 1e-9), 1)
    return Phase(
        name=name,
        offered_rate=offered_rate,
        sends=read_sends(out),
        window=Window(summary["start"], summary["seconds"]),
        cpu=cpu,
    )
