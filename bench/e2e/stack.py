"""What the bench runs against, started by the bench itself: Kafka and a
throwaway PostgreSQL (deploy/local's scripts, on the bench's own ports and state
directory), the SMTP sink, and the four services as separate processes with the
defaults a new user gets (only where to find Kafka, the database and the mail
server is set)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet

from bench.e2e.procs import REPO, Proc, spawn, stop

SERVICES = ("intake", "routing", "ownership", "notifications")


class StackError(RuntimeError):
    """Something the bench needs did not start."""


def clean_env() -> dict[str, str]:
    """The caller's environment without Baton's, Kafka's, the database's and
    OpenTelemetry's settings: the services run on their defaults."""
    drop = ("BATON_", "OTEL_", "KAFKA_")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop) and k != "DATABASE_URL"}


@dataclass
class Ports:
    kafka: int = 19492
    kafka_controller: int = 19493
    postgres: int = 55833
    first_service: int = 18101  # the four services take four ports from here
    smtp: int = 18125
    idp: int = 18190  # the development identity provider the services trust

    @classmethod
    def from_env(cls) -> Ports:
        env = os.environ
        kafka = int(env.get("BENCH_KAFKA_PORT", cls.kafka))
        return cls(
            kafka=kafka,
            kafka_controller=int(env.get("BENCH_KAFKA_CONTROLLER_PORT", kafka + 1)),
            postgres=int(env.get("BENCH_PG_PORT", cls.postgres)),
            first_service=int(env.get("BENCH_SERVICE_PORT", cls.first_service)),
            smtp=int(env.get("BENCH_SMTP_PORT", cls.smtp)),
            idp=int(env.get("BENCH_IDP_PORT", cls.idp)),
        )

    def service(self, name: str) -> int:
        return self.first_service + SERVICES.index(name)


@dataclass
class Infra:
    """Kafka and PostgreSQL via deploy/local; stops only what it started."""

    state: Path
    ports: Ports
    kafka: str = ""
    database_url: str = ""
    _started: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def _env(self, script: str) -> dict[str, str]:
        env = {"BATON_STATE_DIR": str(self.state)}
        if script == "kafka.sh":
            env |= {
                "BATON_KAFKA_PORT": str(self.ports.kafka),
                "BATON_KAFKA_CONTROLLER_PORT": str(self.ports.kafka_controller),
            }
        else:
            env["BATON_PG_PORT"] = str(self.ports.postgres)
        return env

    def _run(self, script: str, action: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(REPO / "deploy" / "local" / script), action],
            env={**clean_env(), **self._env(script)},
            capture_output=True,
            text=True,
            timeout=600,
        )

    def _start(self, script: str) -> str:
        running = self._run(script, "status").returncode == 0
        if not running and script == "kafka.sh":
            # A fresh log each run: earlier runs' topics would only slow the start.
            shutil.rmtree(self.state / "kafka" / "data", ignore_errors=True)
        proc = self._run(script, "start")
        if proc.returncode != 0 and self._run(script, "status").returncode == 0:
            # kafka.sh may check the new pid before setsid has exec'd java, and so
            # report an exit that did not happen: its second start waits for it.
            proc = self._run(script, "start")
        if proc.returncode != 0:
            raise StackError(f"{script} start failed:\n{proc.stdout}\n{proc.stderr}")
        if not running:
            self._started.append((script, self._env(script)))
        return proc.stdout

    def start_kafka(self) -> str:
        self.state.mkdir(parents=True, exist_ok=True)
        self._start("kafka.sh")
        self.kafka = f"127.0.0.1:{self.ports.kafka}"
        return self.kafka

    def start_postgres(self) -> str:
        if not self.database_url:
            found = re.search(r"DATABASE_URL=(\S+)", self._start("postgres.sh"))
            if not found:
                raise StackError("postgres.sh printed no DATABASE_URL")
            self.database_url = found.group(1)
        return self.database_url

    def kafka_pid(self) -> int | None:
        try:
            return int((self.state / "kafka" / "kafka.pid").read_text())
        except (OSError, ValueError):
            return None

    def postgres_pid(self) -> int | None:
        """The postmaster's pid (postgres.sh may have put the data dir under /tmp)."""
        try:
            pidfile = (self.state / "postgres").resolve() / "data" / "postmaster.pid"
            return int(pidfile.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        for script, _ in reversed(self._started):
            self._run(script, "stop")
        self._started.clear()


def service_env(
    name: str, *, ports: Ports, kafka: str, database_url: str, prefix: str, state: Path
) -> dict[str, str]:
    """Only what says where things are; every tuning setting keeps its default."""
    env = {
        "BATON_PORT": str(ports.service(name)),
        "BATON_STATE_DIR": str(state),
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "BATON_TOPIC_PREFIX": prefix,
        "BATON_SMTP_HOST": "127.0.0.1",
        "BATON_SMTP_PORT": str(ports.smtp),
        "OTEL_SERVICE_NAME": f"baton-{name}",
        # Tokens are verified as `make run` does, against a development identity
        # provider (the bench's own): the load calls intake with an API key, the
        # hop-by-hop breakdown reads the other services with an administrator's token.
        "BATON_AUTH_MODE": "jwt",
        "BATON_AUTH_ISSUER": f"http://127.0.0.1:{ports.idp}",
        "BATON_AUTH_JWKS_URL": f"http://127.0.0.1:{ports.idp}/jwks.json",
        "BATON_AUTH_AUDIENCE": "baton",
    }
    if database_url:
        env["DATABASE_URL"] = database_url
        env["BATON_DATABASE_SCHEMA"] = prefix.rstrip(".").replace("-", "_") + "_" + name
    return env


@dataclass
class Services:
    """The four services of one backend's run, intake's API key, and an
    administrator's token from the bench's identity provider."""

    procs: dict[str, Proc]
    ports: Ports
    api_key: str
    token: str = ""

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports.service(name)}"

    def pids(self) -> dict[str, int]:
        return {name: p.pid for name, p in self.procs.items() if name in SERVICES}

    def check_alive(self) -> None:
        for name, p in self.procs.items():
            if not p.alive():
                raise StackError(f"{name} exited:\n{p.log_tail()}")

    def stop(self) -> None:
        stop(list(self.procs.values()))


def start_services(
    *,
    ports: Ports,
    kafka: str,
    database_url: str,
    prefix: str,
    state: Path,
    settings: dict[str, str] | None = None,
) -> Services:
    """``settings``: BATON_* variables every service gets on top (the bench's
    ``--set``), say to compare a setting's two values; none by default."""
    state.mkdir(parents=True, exist_ok=True)
    envs = {
        name: clean_env()
        | service_env(
            name, ports=ports, kafka=kafka, database_url=database_url, prefix=prefix, state=state
        )
        | (settings or {})
        for name in SERVICES
    }
    # As deploy/local/run.sh does: a key to seal webhook secrets with, and an API key.
    key = Fernet.generate_key().decode()
    envs["notifications"]["BATON_ENCRYPTION_KEYS"] = key
    made = subprocess.run(
        [sys.executable, "-m", "baton_intake.auth", "create", "--name", "bench"],
        env=envs["intake"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    if made.returncode != 0:
        raise StackError(f"cannot create an intake API key:\n{made.stderr}")
    api_key = made.stdout.strip().splitlines()[-1]
    idp_env = clean_env() | {
        "BATON_ENVIRONMENT": "development",
        "BATON_DEVIDP_PORT": str(ports.idp),
        "BATON_DEVIDP_ISSUER": f"http://127.0.0.1:{ports.idp}",
        "BATON_STATE_DIR": str(state),
    }
    procs = {"devidp": spawn("devidp", ["-m", "baton_devidp"], env=idp_env,
                             log=state / "logs" / "devidp.log")}  # fmt: skip
    procs |= {
        name: spawn(
            name, ["-m", f"baton_{name}"], env=envs[name], log=state / "logs" / f"{name}.log"
        )
        for name in SERVICES
    }
    services = Services(procs, ports, api_key)
    try:
        wait_ready(services)
        services.token = admin_token(ports.idp)
    except BaseException:
        services.stop()
        raise
    return services


def admin_token(idp_port: int, timeout_s: float = 30) -> str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{idp_port}/dev/token",
        data=json.dumps({"person": "admin"}).encode(),
        headers={"content-type": "application/json"},
    )
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return str(json.load(answer)["access_token"])
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def wait_ready(services: Services, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    for name in SERVICES:
        while True:
            services.check_alive()
            try:
                with urllib.request.urlopen(f"{services.url(name)}/readyz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise StackError(
                    f"{name} not ready in {timeout_s:g}s:\n{services.procs[name].log_tail()}"
                )
            time.sleep(0.3)


def start_sink(*, port: int, out: Path, log: Path) -> Proc:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.touch()
    proc = spawn(
        "sink",
        ["-m", "bench.e2e.sink", "--port", str(port), "--out", str(out)],
        env=clean_env(),
        log=log,
    )
    deadline = time.monotonic() + 20
    while "listening" not in (log.read_text() if log.exists() else ""):
        if not proc.alive() or time.monotonic() > deadline:
            raise StackError(f"the SMTP sink did not start:\n{proc.log_tail()}")
        time.sleep(0.1)
    return proc
