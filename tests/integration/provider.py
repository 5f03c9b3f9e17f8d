"""Where the end-to-end tests get Kafka and PostgreSQL from, and why.

- ``external``: ``KAFKA_BOOTSTRAP_SERVERS`` (or a ``postgres…`` ``DATABASE_URL``)
  names a running one; nothing is started or stopped.
- ``testcontainers``: a Docker engine answers, so each is a throwaway container
  (images from ``BATON_TEST_KAFKA_IMAGE`` and ``BATON_TEST_POSTGRES_IMAGE``).
- ``local``: no engine answers (the team's machines and CI have none), so
  ``deploy/local``'s scripts start Kafka from Maven Central's jars on the JDK and
  PostgreSQL from Debian's package.

``BATON_TEST_INFRA=local`` or ``=testcontainers`` forces the choice for both.
pytest's header says what was chosen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

Provider = Literal["external", "testcontainers", "local"]

KAFKA_IMAGE = "confluentinc/cp-kafka:7.9.0"  # Apache Kafka 3.9, as the local scripts run
POSTGRES_IMAGE = "postgres:15"  # as Debian 12's package


@dataclass(frozen=True)
class Choice:
    kafka: Provider
    postgres: Provider
    kafka_image: str = KAFKA_IMAGE
    postgres_image: str = POSTGRES_IMAGE

    def describe(self) -> str:
        def one(what: str, provider: Provider, image: str) -> str:
            how = {
                "external": "the running one named by the environment",
                "testcontainers": f"testcontainers ({image})",
                "local": "deploy/local's scripts",
            }[provider]
            return f"{what} from {how}"

        return "integration infrastructure: " + "; ".join(
            [
                one("Kafka", self.kafka, self.kafka_image),
                one("PostgreSQL", self.postgres, self.postgres_image),
            ]
        )


def choose(env: Mapping[str, str], docker_answers: Callable[[], bool]) -> Choice:
    """Decide, asking the Docker engine at most once and only when it matters."""
    forced = env.get("BATON_TEST_INFRA", "")
    if forced not in ("", "local", "testcontainers"):
        raise ValueError(f"BATON_TEST_INFRA must be 'local' or 'testcontainers', not {forced!r}")
    answered: list[bool] = []

    def container_or_local() -> Provider:
        if forced:
            return forced  # type: ignore[return-value]
        if not answered:
            answered.append(docker_answers())
        return "testcontainers" if answered[0] else "local"

    kafka: Provider = "external" if env.get("KAFKA_BOOTSTRAP_SERVERS") else container_or_local()
    postgres: Provider = (
        "external" if env.get("DATABASE_URL", "").startswith("postgres") else container_or_local()
    )
    return Choice(
        kafka=kafka,
        postgres=postgres,
        kafka_image=env.get("BATON_TEST_KAFKA_IMAGE") or KAFKA_IMAGE,
        postgres_image=env.get("BATON_TEST_POSTGRES_IMAGE") or POSTGRES_IMAGE,
    )


def docker_engine_answers(timeout_s: float = 2.0) -> bool:
    """True when a Docker engine (``DOCKER_HOST`` or the default socket) answers a ping.
    A client without an engine behind it, as on the team's machines, is False."""
    try:
        import docker

        client = docker.from_env(timeout=timeout_s)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False
