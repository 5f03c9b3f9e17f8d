"""Child processes and what /proc says about them: memory (RSS) and CPU time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Proc:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def spawn(name: str, argv: list[str], *, env: dict[str, str], log: Path) -> Proc:
    """Start ``argv`` (a Python module run with this interpreter when it begins
    with ``-m``) with its output in ``log``."""
    if argv[0] == "-m":
        argv = [sys.executable, *argv]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT, cwd=REPO
        )
    return Proc(name, process, log)


def stop(procs: list[Proc], *, timeout_s: float = 30) -> None:
    """SIGTERM each (graceful shutdown), then SIGKILL whoever is still there."""
    for p in procs:
        if p.alive():
            p.process.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            p.process.kill()
            p.process.wait()


def rss_mb(pid: int) -> dict[str, float]:
    """Resident memory now (VmRSS) and at its peak (VmHWM), in MB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out["rss_mb" if key == "VmRSS" else "peak_rss_mb"] = round(
                int(value.split()[0]) / 1024, 1
            )
    return out


def _stat(pid: int) -> list[str]:
    """/proc/<pid>/stat's fields after the command name (field 3 is index 0)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def cpu_s(pid: int) -> float:
    """User + system CPU seconds the process has used so far."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / _TICK if fields else 0.0  # utime, stime


def tree_cpu_s(pid: int) -> float:
    """CPU seconds of a process, its children that exited (and were waited for)
    and those still running: a PostgreSQL server and its backends."""
    fields = _stat(pid)
    if not fields:
        return 0.0
    own = sum(int(f) for f in fields[11:15]) / _TICK  # utime, stime, cutime, cstime
    children = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            child = _stat(int(entry.name))
            if child and child[1] == str(pid):  # ppid
                children += (int(child[11]) + int(child[12])) / _TICK
    return own + children


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return sum(values) - idle, sum(values)


class CpuMeter:
    """CPU use of named processes, and of the whole machine, over an interval.
    A name ending in "+" counts the process's children too (``tree_cpu_s``)."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.start = {name: _cpu(name, pid) for name, pid in pids.items()}
        self.busy0, self.total0 = machine_busy()
        self.wall0 = time.monotonic()

    def read(self) -> dict[str, float]:
        """Per process, % of one core; ``machine``, % of all cores."""
        wall = max(time.monotonic() - self.wall0, 1e-9)
        out = {
            n.rstrip("+"): round(100 * (_cpu(n, p) - self.start[n]) / wall, 1)
            for n, p in self.pids.items()
        }
        busy, total = machine_busy()
        out["machine"] = round(100 * (busy - self.busy0) / max(total - self.total0, 1), 1)
        return out


def _cpu(name: str, pid: int) -> float:
    return tree_cpu_s(pid) if name.endswith("+") else cpu_s(pid)
