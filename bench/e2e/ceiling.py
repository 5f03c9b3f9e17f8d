"""The raw relay's run (bench/e2e/relay.py): four hops and a collector over the
same broker, stepped like Baton, then flooded; what it sustains is the ceiling
Baton's numbers are compared with."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

from baton_runtime.kafka import ensure_topics

from bench.e2e.config import Config
from bench.e2e.phases import Phase, run_load
from bench.e2e.procs import Proc, spawn, stop
from bench.e2e.records import Arrivals
from bench.e2e.stack import Infra, StackError, clean_env
from bench.e2e.stats import saturation, summarize

log = logging.getLogger("bench")
HOPS = 4


class RelayRun:
    def __init__(self, cfg: Config, *, infra: Infra, run_id: str, state: Path) -> None:
        self.cfg = cfg
        self.kafka = infra.kafka
        self.kafka_pid = infra.kafka_pid()
        self.prefix = f"bench{run_id}relay."
        self.state = state / "relay"
        self.arrivals = Arrivals(self.state / "arrivals.jsonl")
        self.procs: list[Proc] = []

    def topic(self, i: int) -> str:
        return f"{self.prefix}t{i}"

    def run(self) -> dict[str, Any]:
        self.state.mkdir(parents=True, exist_ok=True)
        self.arrivals.path.touch()
        asyncio.run(
            ensure_topics(self.kafka, [self.topic(i) for i in range(HOPS + 1)], partitions=3)
        )
        try:
            self._start()
            return self._measure()
        finally:
            stop(self.procs)

    def _start(self) -> None:
        base = ["-m", "bench.e2e.relay"]
        for i in range(1, HOPS + 1):
            argv = [
                *base,
                "hop",
                "--bootstrap",
                self.kafka,
                "--src",
                self.topic(i - 1),
                "--dst",
                self.topic(i),
                "--group",
                f"{self.prefix}hop{i}",
            ]
            self.procs.append(
                spawn(f"hop{i}", argv, env=clean_env(), log=self.state / f"logs/hop{i}.log")
            )
        argv = [
            *base,
            "collect",
            "--bootstrap",
            self.kafka,
            "--topic",
            self.topic(HOPS),
            "--group",
            f"{self.prefix}collector",
            "--out",
            str(self.arrivals.path),
        ]
        self.procs.append(
            spawn("collector", argv, env=clean_env(), log=self.state / "logs/collector.log")
        )
        deadline = time.monotonic() + 60
        while not all("started" in p.log.read_text() for p in self.procs if p.log.exists()):
            self._alive()
            if time.monotonic() > deadline:
                raise StackError("the relay's processes did not start in 60 s")
            time.sleep(0.2)

    def _alive(self) -> None:
        for p in self.procs:
            if not p.alive():
                raise StackError(f"relay {p.name} exited:\n{p.log_tail()}")

    def _feed(self, name: str, *, rate: float | None, seconds: float) -> Phase:
        how = ["--flood"] if rate is None else ["--rate", str(rate)]
        pids = {p.name: p.pid for p in self.procs}
        if self.kafka_pid:
            pids["kafka"] = self.kafka_pid
        return run_load(
            name,
            [
                "-m",
                "bench.e2e.relay",
                "feed",
                "--bootstrap",
                self.kafka,
                "--topic",
                self.topic(0),
                "--tag",
                name,
                *how,
                "--seconds",
                str(seconds),
            ],
            out=self.state / f"sends-{name}.jsonl",
            log=self.state / f"logs/feed-{name}.log",
            pids=pids,
            offered_rate=rate,
            alive=self._alive,
        )

    def _wait(self, phase: Phase) -> str:
        return self.arrivals.wait_for(
            phase.accepted_ids(),
            stall_s=self.cfg.stall_s,
            max_s=self.cfg.drain_s,
            alive=self._alive,
        )

    def _measure(self) -> dict[str, Any]:
        cfg = self.cfg
        # Warm-up: the consumer groups have joined once these made it through.
        self._wait(self._feed("warmup", rate=50, seconds=2))
        steps = []
        for rate in cfg.relay_rates:
            phase = self._feed(f"open-{rate:g}", rate=rate, seconds=cfg.relay_step_s)
            phase.drain = self._wait(phase)
            phase.result = summarize(
                phase.sends, self.arrivals.mails, phase.window, offered_rate=rate
            )
            phase.result.why_saturated = saturation(phase.result, max_e2e_p99_s=cfg.max_e2e_p99_s)
            phase.result.saturated = bool(phase.result.why_saturated)
            steps.append(phase.as_dict())
            r = phase.result
            log.info(
                "relay %g/s: delivered %g/s, p50 %s ms, p99 %s ms%s",
                rate,
                r.delivered_rate,
                r.e2e_p50_ms,
                r.e2e_p99_ms,
                "; saturated" if r.saturated else "",
            )
            if r.saturated:
                break
        flood = self._feed("flood", rate=None, seconds=cfg.relay_flood_s)
        flood.drain = self._wait(flood)
        flood.result = summarize(flood.sends, self.arrivals.mails, flood.window, offered_rate=None)
        log.info("relay flood: delivered %g/s", flood.result.delivered_rate)
        return {"hops": HOPS, "steps": steps, "flood": flood.as_dict()}
