"""Starts what the end-to-end tests run against: a real Kafka broker and a
throwaway PostgreSQL cluster (from testcontainers when a Docker engine answers,
else through deploy/local's scripts, or the ones named by
``KAFKA_BOOTSTRAP_SERVERS`` and ``DATABASE_URL``: see ``provider``), and the
services as separate processes, configured only through their environment."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.integration.provider import Choice, choose, docker_engine_answers

REPO = Path(__file__).resolve().parents[2]
STATE = REPO / ".run" / "test"
SERVICES = ("intake", "routing", "ownership", "notifications", "workspace")


class StackError(RuntimeError):
    """Kafka, PostgreSQL or a service could not start: the tests fail, never skip."""


def _script(name: str, action: str, env: dict[str, str]) -> str:
    proc = subprocess.run(
        ["bash", str(REPO / "deploy" / "local" / name), action],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    if action == "start" and proc.returncode != 0:
        raise StackError(f"{name} {action} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


_choice: list[Choice] = []


def infrastructure() -> Choice:
    """Where this test session gets Kafka and PostgreSQL (decided once)."""
    if not _choice:
        _choice.append(choose(os.environ, docker_engine_answers))
    return _choice[0]


@dataclass
class IdentityProvider:
    """The development identity provider (tools/devidp) as a process: the services
    verify its tokens, as they would a company's provider's."""

    port: int
    process: subprocess.Popen[bytes] | None = None
    _tokens: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = STATE / "logs" / "devidp.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        env = {
            "BATON_ENVIRONMENT": "development",
            "BATON_DEVIDP_PORT": str(self.port),
            "BATON_DEVIDP_ISSUER": self.url,
            "BATON_STATE_DIR": str(STATE / "devidp"),
        }
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "baton_devidp"],
                env={**os.environ, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=REPO,
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise StackError(f"the identity provider did not start:\n{log.read_text()}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def auth_env(self) -> dict[str, str]:
        """What a service sets to verify this provider's tokens (as in production)."""
        return {
            "BATON_ENVIRONMENT": "production",
            "BATON_AUTH_MODE": "jwt",
            "BATON_AUTH_JWKS_URL": f"{self.url}/jwks.json",
            "BATON_AUTH_ISSUER": self.url,
            "BATON_AUTH_AUDIENCE": "baton",
        }

    def token(self, person: str) -> str:
        """The provider's token for a person of the catalog; for someone a test made
        up, one the test signs with the provider's own key (a liaison and reader)."""
        if person not in self._tokens:
            answer = httpx.post(f"{self.url}/dev/token", json={"person": person}, timeout=10)
            if answer.status_code == 404:
                self._tokens[person] = self._sign(person)
            else:
                answer.raise_for_status()
                self._tokens[person] = answer.json()["access_token"]
        return self._tokens[person]

    def _sign(self, person: str) -> str:
        from baton_devidp.keys import SigningKey

        key = SigningKey.load_or_create(STATE / "devidp")
        now = int(time.time())
        return key.sign(
            {"sub": person, "roles": ["liaison", "reader"], "departments": [],
             "iss": self.url, "aud": "baton", "iat": now, "exp": now + 3600}
        )  # fmt: skip

    def as_(self, person: str) -> dict[str, str]:
        """Headers that make a request ``person``'s (a catalog person, or admin,
        agent, reader)."""
        return {"Authorization": f"Bearer {self.token(person)}"}


@dataclass
class Infra:
    """A Kafka broker and a PostgreSQL server; stops only what it started."""

    kafka: str = ""
    database_url: str = ""
    idp: IdentityProvider | None = None
    _started: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    _containers: list[Any] = field(default_factory=list)

    def start_kafka(self) -> None:
        choice = infrastructure()
        if choice.kafka == "external":
            self.kafka = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
        elif choice.kafka == "testcontainers":
            from testcontainers.community.kafka import KafkaContainer

            # As the local broker: a group join costs no initial rebalance delay.
            kafka = KafkaContainer(choice.kafka_image).with_kraft()
            kafka.with_env("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
            self.kafka = self._run(kafka).get_bootstrap_server()
        else:
            port = os.environ.get("BATON_TEST_KAFKA_PORT", "19092")
            env = {"BATON_KAFKA_PORT": port, "BATON_KAFKA_CONTROLLER_PORT": str(int(port) + 1)}
            self._start("kafka.sh", env)
            self.kafka = f"127.0.0.1:{port}"

    def start_postgres(self) -> None:
        choice = infrastructure()
        if choice.postgres == "external":
            self.database_url = os.environ["DATABASE_URL"]
        elif choice.postgres == "testcontainers":
            from testcontainers.community.postgres import PostgresContainer

            pg = PostgresContainer(
                choice.postgres_image, username="baton", password="baton", dbname="baton"
            )
            self.database_url = self._run(pg).get_connection_url(driver=None)
        else:
            env = {"BATON_PG_PORT": os.environ.get("BATON_TEST_PG_PORT", "55433")}
            out = self._start("postgres.sh", env)
            found = re.search(r"DATABASE_URL=(\S+)", out)
            if not found:
                raise StackError(f"postgres.sh printed no DATABASE_URL:\n{out}")
            self.database_url = found.group(1)

    def _run(self, container: Any) -> Any:
        try:
            container.start()
        except Exception as exc:
            raise StackError(f"{type(container).__name__} did not start: {exc}") from exc
        self._containers.append(container)
        return container

    def _start(self, script: str, env: dict[str, str]) -> str:
        STATE.mkdir(parents=True, exist_ok=True)
        env = {"BATON_STATE_DIR": str(STATE)} | env
        already = (
            subprocess.run(
                ["bash", str(REPO / "deploy/local" / script), "status"],
                env={**os.environ, **env},
                capture_output=True,
            ).returncode
            == 0
        )
        out = _script(script, "start", env)
        if not already:
            self._started.append((script, env))
        return out

    def start_idp(self, port: int) -> None:
        self.idp = IdentityProvider(port)
        self.idp.start()

    def auth_env(self) -> dict[str, str]:
        assert self.idp is not None, "start_idp() first"
        return self.idp.auth_env()

    def stop(self) -> None:
        if self.idp is not None:
            self.idp.stop()
        for script, env in reversed(self._started):
            _script(script, "stop", env)
        for container in reversed(self._containers):
            container.stop()


@dataclass
class SecureKafka:
    """A second broker with the secured listeners deploy/local/kafka.sh offers:
    SASL (PLAIN, SCRAM-SHA-512) over TLS, and TLS with client certificates.
    Separate from ``Infra``'s so that every other test runs as it always has."""

    base_port: int = field(
        default_factory=lambda: int(os.environ.get("BATON_TEST_KAFKA_PORT", "19092")) + 10
    )
    state: Path = STATE / "secure"
    _started: bool = False

    @property
    def env(self) -> dict[str, str]:
        return {
            "BATON_STATE_DIR": str(self.state),
            "BATON_KAFKA_PORT": str(self.base_port),
            "BATON_KAFKA_CONTROLLER_PORT": str(self.base_port + 1),
            "BATON_KAFKA_SASL_SSL_PORT": str(self.base_port + 2),
            "BATON_KAFKA_SSL_PORT": str(self.base_port + 3),
        }

    @property
    def tls(self) -> Path:
        return self.state / "kafka" / "tls"

    def sasl_env(self, mechanism: str = "SCRAM-SHA-512") -> dict[str, str]:
        """What a service sets to use the SASL_SSL listener."""
        return {
            "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{self.base_port + 2}",
            "BATON_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "BATON_KAFKA_SASL_MECHANISM": mechanism,
            "BATON_KAFKA_SASL_USERNAME": "baton",
            "BATON_KAFKA_SASL_PASSWORD": (self.tls / "sasl-password").read_text().strip(),
            "BATON_KAFKA_SSL_CAFILE": str(self.tls / "ca.pem"),
        }

    def mtls_env(self) -> dict[str, str]:
        """What a service sets to use the mutual-TLS listener."""
        return {
            "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{self.base_port + 3}",
            "BATON_KAFKA_SECURITY_PROTOCOL": "SSL",
            "BATON_KAFKA_SSL_CAFILE": str(self.tls / "ca.pem"),
            "BATON_KAFKA_SSL_CERTFILE": str(self.tls / "client.pem"),
            "BATON_KAFKA_SSL_KEYFILE": str(self.tls / "client-key.pem"),
        }

    def start(self) -> None:
        # The secured broker is always this suite's own, even when the tests use
        # another cluster for everything else.
        env = self.env | {"KAFKA_BOOTSTRAP_SERVERS": ""}
        running = subprocess.run(
            ["bash", str(REPO / "deploy/local/kafka.sh"), "status"],
            env={**os.environ, **env},
            capture_output=True,
        )
        _script("kafka.sh", "start", env)
        self._started = running.returncode != 0

    def stop(self) -> None:
        if self._started:
            _script("kafka.sh", "stop", self.env)


@dataclass
class Service:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def create_api_key(env: dict[str, str]) -> str:
    """An intake key with both scopes, made the way an operator makes one."""
    proc = subprocess.run(
        [sys.executable, "-m", "baton_intake.auth", "create", "--name", "integration-tests"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    if proc.returncode != 0:
        raise StackError(f"cannot create an intake API key:\n{proc.stderr}")
    return proc.stdout.strip().splitlines()[-1]


def start_service(name: str, port: int, env: dict[str, str]) -> Service:
    log = STATE / "logs" / f"{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", f"baton_{name}"],
            env={**os.environ, **env, "BATON_PORT": str(port)},
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
    return Service(name=name, port=port, process=process, log=log)


async def wait_ready(services: list[Service], timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient() as client:
        for service in services:
            while True:
                if service.process.poll() is not None:
                    raise StackError(f"{service.name} exited:\n{service.log_tail()}")
                try:
                    if (await client.get(f"{service.url}/readyz", timeout=2)).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise StackError(
                        f"{service.name} not ready in {timeout_s}s:\n{service.log_tail()}"
                    )
                await asyncio.sleep(0.3)


def stop_services(services: list[Service]) -> None:
    for service in services:
        if service.process.poll() is None:
            service.process.send_signal(signal.SIGTERM)
    for service in services:
        try:
            service.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            service.process.kill()
