"""The faults test uses the end-to-end session's identity provider and helpers,
and a Kafka broker and PostgreSQL server of its own, which it restarts."""

from tests.integration.conftest import infra, postgres  # noqa: F401  (fixtures)
