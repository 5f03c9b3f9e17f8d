"""The bench's options: command-line flags, each with an environment variable
as its default (so ``make bench`` can be tuned without editing anything).

Defaults take about 10-15 minutes on a 2-core machine; ``--quick`` is a smoke
run of a minute or two (the embedded backend only, short phases, no profile):
most of it is starting Kafka and the services.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from pathlib import Path

from bench.e2e.stack import SERVICES

HERE = Path(__file__).resolve().parent
BACKENDS = ("postgres", "sqlite")


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def _settings(items: list[str]) -> dict[str, str]:
    """``BATON_NAME=value`` items: Baton settings only, so a run states what it changed."""
    out = {}
    for item in items:
        name, eq, value = item.partition("=")
        if not eq or not name.startswith("BATON_"):
            raise argparse.ArgumentTypeError(f"{item!r} is not BATON_NAME=value")
        out[name] = value
    return out


def _names(text: str, allowed: tuple[str, ...]) -> list[str]:
    names = [x.strip() for x in text.split(",") if x.strip()]
    for name in names:
        if name not in allowed:
            raise argparse.ArgumentTypeError(f"{name!r} is not one of {', '.join(allowed)}")
    return names


@dataclass
class Config:
    backends: list[str]
    rates: list[float]  # open-loop steps, issues per second
    step_s: float
    clients: int  # closed loop
    closed_s: float
    drain_s: float  # longest wait for the last notices after a step
    stall_s: float  # no new notice for this long: the rest are lost
    max_e2e_p99_s: float  # a step slower than this counts as saturated
    relay: bool
    relay_rates: list[float]
    relay_step_s: float
    relay_flood_s: float
    profile: str  # a service, or "none"
    profile_backend: str
    profile_s: float
    out: Path
    quick: bool
    settings: dict[str, str] = field(default_factory=dict)  # --set: BATON_* for every service

    @property
    def warmup_s(self) -> float:
        return 3.0


def parse_args(argv: list[str] | None = None) -> Config:
    env = os.environ.get
    p = argparse.ArgumentParser(
        prog="python -m bench.e2e",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--quick",
        action="store_true",
        default=env("BENCH_QUICK", "") not in ("", "0"),
        help="a smoke run of about a minute ($BENCH_QUICK)",
    )
    p.add_argument(
        "--backends",
        default=env("BENCH_BACKENDS"),
        help="comma-separated, of postgres, sqlite ($BENCH_BACKENDS; default both)",
    )
    p.add_argument(
        "--rates",
        default=env("BENCH_RATES"),
        help="open-loop steps, issues/s ($BENCH_RATES; default 5,10,20,50,100,250,500)",
    )
    p.add_argument(
        "--step-seconds",
        type=float,
        default=env("BENCH_STEP_S"),
        help="length of each open-loop step, a rate kept up with for it sustained "
        "($BENCH_STEP_S; default 60)",
    )
    p.add_argument(
        "--clients",
        type=int,
        default=env("BENCH_CLIENTS"),
        help="closed loop: concurrent clients ($BENCH_CLIENTS; default 16)",
    )
    p.add_argument(
        "--closed-seconds",
        type=float,
        default=env("BENCH_CLOSED_S"),
        help="closed loop: how long ($BENCH_CLOSED_S; default 10)",
    )
    p.add_argument(
        "--drain-seconds",
        type=float,
        default=env("BENCH_DRAIN_S"),
        help="longest wait for late notices after a step, twice that after the closed loop "
        "($BENCH_DRAIN_S; default 60)",
    )
    p.add_argument(
        "--max-p99",
        type=float,
        default=float(env("BENCH_MAX_P99_S", "10")),
        help="a step whose e2e p99 exceeds this many seconds is saturated (10)",
    )
    p.add_argument(
        "--no-relay",
        action="store_true",
        default=env("BENCH_RELAY", "1") == "0",
        help="skip the raw relay ceiling ($BENCH_RELAY=0)",
    )
    p.add_argument(
        "--relay-rates",
        default=env("BENCH_RELAY_RATES"),
        help="relay steps, messages/s ($BENCH_RELAY_RATES; default 200,500,1000,2000,4000)",
    )
    p.add_argument(
        "--profile",
        default=env("BENCH_PROFILE"),
        help=f"service to profile with py-spy, or none ($BENCH_PROFILE; default routing; "
        f"one of {', '.join(SERVICES)})",
    )
    p.add_argument(
        "--set",
        action="append",
        default=env("BENCH_SET", "").split(),
        metavar="BATON_NAME=value",
        help="a setting every service gets (repeatable; $BENCH_SET, space-separated); "
        "by default each keeps its default, as a new user's would",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path(env("BENCH_OUT", str(HERE))),
        help="where results.json, results.md and latency.png go (bench/e2e)",
    )
    a = p.parse_args(argv)
    quick = a.quick
    backends = _names(a.backends or ("sqlite" if quick else "postgres,sqlite"), BACKENDS)
    profile = a.profile or ("none" if quick else "routing")
    if profile != "none" and profile not in SERVICES:
        p.error(f"--profile must be none or one of {', '.join(SERVICES)}")
    try:
        settings = _settings(a.set)
    except argparse.ArgumentTypeError as exc:
        p.error(f"--set: {exc}")
    return Config(
        backends=backends,
        rates=_floats(a.rates or ("5" if quick else "5,10,20,50,100,250,500")),
        step_s=a.step_seconds or (6.0 if quick else 60.0),
        clients=a.clients or (2 if quick else 16),
        closed_s=a.closed_seconds or (3.0 if quick else 10.0),
        drain_s=a.drain_seconds or (15.0 if quick else 60.0),
        stall_s=10.0 if quick else 20.0,
        max_e2e_p99_s=a.max_p99,
        relay=not a.no_relay,
        relay_rates=_floats(a.relay_rates or ("200" if quick else "200,500,1000,2000,4000")),
        relay_step_s=4.0 if quick else 20.0,
        relay_flood_s=3.0 if quick else 15.0,
        profile=profile,
        profile_backend="sqlite" if "sqlite" in backends else backends[0],
        profile_s=10.0 if quick else 30.0,
        out=a.out,
        quick=quick,
        settings=settings,
    )
