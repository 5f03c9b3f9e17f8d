"""Baton on one database backend: start the services and the SMTP sink, warm
up, step the open-loop rate up until a step is saturated, run the closed loop,
wait for the last notices, then read memory, and profile one service if asked."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from bench.e2e import breakdown
from bench.e2e import profile as profiler
from bench.e2e.config import Config
from bench.e2e.phases import Phase, run_load
from bench.e2e.procs import rss_mb, stop
from bench.e2e.records import Arrivals
from bench.e2e.scrape import per_message, scrape
from bench.e2e.stack import SERVICES, Infra, Services, StackError, start_services, start_sink
from bench.e2e.stats import saturation, summarize

log = logging.getLogger("bench")


class BackendRun:
    def __init__(
        self, cfg: Config, backend: str, *, infra: Infra, run_id: str, state: Path
    ) -> None:
        self.cfg = cfg
        self.backend = backend
        self.infra = infra
        self.prefix = f"bench{run_id}{'pg' if backend == 'postgres' else 'lite'}."
        self.state = state / backend
        self.services: Services | None = None
        self.arrivals = Arrivals(self.state / "mails.jsonl")
        self.phases: list[Phase] = []

    def run(self) -> dict[str, Any]:
        ports = self.infra.ports
        database_url = self.infra.start_postgres() if self.backend == "postgres" else ""
        self.sink = start_sink(
            port=ports.smtp, out=self.arrivals.path, log=self.state / "logs/sink.log"
        )
        try:
            started = time.monotonic()
            self.services = start_services(
                ports=ports,
                kafka=self.infra.kafka,
                database_url=database_url,
                prefix=self.prefix,
                state=self.state,
                settings=self.cfg.settings,
            )
            startup_s = round(time.monotonic() - started, 1)
            urls = {name: self.services.url(name) for name in SERVICES}
            self._fetch = breakdown.fetcher(urls, self.services.api_key, self.services.token)
            log.info("%s: services ready in %.0f s", self.backend, startup_s)
            return {"startup_s": startup_s, **self._measure()}
        finally:
            if self.services is not None:
                self.services.stop()
            stop([self.sink])

    def _alive(self) -> None:
        assert self.services is not None
        self.services.check_alive()
        if not self.sink.alive():
            raise StackError(f"the SMTP sink exited:\n{self.sink.log_tail()}")

    def _pids(self) -> dict[str, int]:
        assert self.services is not None
        pids = self.services.pids() | {"sink": self.sink.pid}
        kafka = self.infra.kafka_pid()
        if kafka:
            pids["kafka"] = kafka
        postgres = self.infra.postgres_pid() if self.backend == "postgres" else None
        if postgres:
            pids["postgres+"] = postgres  # with its backends
        return pids

    def _load(self, name: str, mode: str, amount: float, seconds: float) -> Phase:
        """One phase: open loop at ``amount`` issues/s, or closed with ``amount`` clients."""
        assert self.services is not None
        before = {s: scrape(self.services.url(s), self.prefix) for s in SERVICES}
        services = self.services
        argv = ["-m", "bench.e2e.loadgen", mode, "--url", services.url("intake")]
        argv += ["--key", services.api_key, "--tag", f"{self.prefix}{name}"]
        argv += ["--rate", str(amount)] if mode == "open" else ["--clients", str(int(amount))]
        phase = run_load(
            name,
            [*argv, "--seconds", str(seconds)],
            out=self.state / f"sends-{name}.jsonl",
            log=self.state / "logs" / f"load-{name}.log",
            pids=self._pids(),
            offered_rate=amount if mode == "open" else None,
            alive=self._alive,
        )
        after = {s: scrape(self.services.url(s), self.prefix) for s in SERVICES}
        phase.extra["handling"] = {s: per_message(before[s], after[s]) for s in SERVICES}
        return phase

    def _drain(self, ids: list[str], *, max_s: float) -> str:
        return self.arrivals.wait_for(ids, stall_s=self.cfg.stall_s, max_s=max_s, alive=self._alive)

    def _measure(self) -> dict[str, Any]:
        cfg = self.cfg
        warm = self._load("warmup", "open", 2.0, cfg.warmup_s)
        self._drain(warm.accepted_ids(), max_s=cfg.drain_s)
        for rate in cfg.rates:
            phase = self._load(f"open-{rate:g}", "open", rate, cfg.step_s)
            phase.drain = self._drain(phase.accepted_ids(), max_s=cfg.drain_s)
            phase.extra["breakdown"] = breakdown.measure(
                phase.sends, self.arrivals.first, self._fetch
            )
            why = self._judge(phase)
            log.info("%s %s/s: %s", self.backend, f"{rate:g}", _brief(phase, why))
            self.phases.append(phase)
            if why:
                break
        closed = self._load(f"closed-{cfg.clients}", "closed", cfg.clients, cfg.closed_s)
        # Every accepted issue should have its notice before lost ones are counted.
        accepted = [i for p in [*self.phases, closed] for i in p.accepted_ids()]
        closed.drain = self._drain(accepted, max_s=2 * cfg.drain_s)
        self.arrivals.poll()
        for phase in self.phases:  # again, now that late notices are in
            self._judge(phase)
        closed.result = summarize(
            closed.sends, self.arrivals.mails, closed.window, offered_rate=None
        )
        log.info("%s closed loop, %d clients: %s", self.backend, cfg.clients, _brief(closed, []))
        assert self.services is not None
        known = {i for p in [warm, *self.phases, closed] for i in p.accepted_ids()}
        out: dict[str, Any] = {
            "steps": [p.as_dict() for p in self.phases],
            "closed_loop": {"clients": cfg.clients, **closed.as_dict()},
            "final_drain": closed.drain,
            "memory_mb": {name: rss_mb(pid) for name, pid in self.services.pids().items()},
            "notices": _notice_counts(self.arrivals, known),
        }
        if cfg.profile != "none" and self.backend == cfg.profile_backend:
            out["profile"] = self._profile()
        return out

    def _judge(self, phase: Phase) -> list[str]:
        """Summarize an open-loop step from the notices so far; why it was saturated."""
        phase.result = summarize(
            phase.sends, self.arrivals.mails, phase.window, offered_rate=phase.offered_rate
        )
        why = saturation(phase.result, max_e2e_p99_s=self.cfg.max_e2e_p99_s)
        phase.result.why_saturated, phase.result.saturated = why, bool(why)
        return why

    def _profile(self) -> dict[str, Any]:
        """py-spy on one service while an open loop keeps it busy: at the first
        saturated step's rate (or the last step's, if none was)."""
        assert self.services is not None
        cfg = self.cfg
        saturated = [p.offered_rate for p in self.phases if p.result and p.result.saturated]
        rate = (saturated or [self.phases[-1].offered_rate])[0] or 10.0
        pid = self.services.procs[cfg.profile].pid
        raw = self.state / f"profile-{cfg.profile}.txt"
        spy = profiler.start(
            pid, seconds=cfg.profile_s, out=raw, log=self.state / "logs/py-spy.log"
        )
        phase = self._load("profile", "open", rate, cfg.profile_s)
        summary = profiler.finish(spy, raw)
        cpu = phase.cpu.get(cfg.profile)
        log.info("profiled %s at %g/s: %s samples", cfg.profile, rate, summary.get("samples"))
        return {
            "service": cfg.profile,
            "backend": self.backend,
            "rate": rate,
            "seconds": cfg.profile_s,
            "cpu_percent": cpu,
            "handling": phase.extra.get("handling", {}).get(cfg.profile),
            **summary,
        }


def _brief(phase: Phase, why: list[str]) -> str:
    r = phase.result
    assert r is not None
    text = (
        f"accepted {r.accepted_rate:g}/s, refused {r.refused} (429), errors {r.failed}, "
        f"delivered {r.delivered_rate:g}/s, "
        f"POST p99 {r.post_p99_ms} ms, e2e p50 {r.e2e_p50_ms} ms p99 {r.e2e_p99_ms} ms, "
        f"missing {r.missing}, drain {phase.drain}"
    )
    return text + (f"; saturated: {'; '.join(why)}" if why else "")


def _notice_counts(arrivals: Arrivals, known: set[str]) -> dict[str, int]:
    """Mails by kind; "unknown issue": an owner notice for no issue the bench was
    told about (a POST that timed out but was taken in), "unreadable": no issue id."""
    counts: dict[str, int] = {}
    for mail in arrivals.mails:
        key = mail.kind if mail.issue_id else "unreadable"
        counts[key] = counts.get(key, 0) + 1
        if mail.kind == "assigned" and mail.issue_id and mail.issue_id not in known:
            counts["unknown issue"] = counts.get("unknown issue", 0) + 1
    return counts
