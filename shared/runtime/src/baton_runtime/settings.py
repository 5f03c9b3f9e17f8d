"""Settings every service reads from its environment (pydantic-settings).

``KAFKA_BOOTSTRAP_SERVERS`` and ``DATABASE_URL`` keep their conventional names;
everything else Baton-specific is prefixed ``BATON_``. Telemetry is configured by
the standard ``OTEL_*`` variables only (see ``baton_runtime.telemetry``).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from baton_runtime.identity import AuthSettings
from baton_runtime.kafka.connection import KafkaSettings
from baton_runtime.limits import LimitSettings


class ServiceSettings(KafkaSettings, AuthSettings, LimitSettings):
    """The Kafka cluster (``KafkaSettings``: bootstrap servers, TLS and SASL), who
    is calling (``AuthSettings``), the largest body (``LimitSettings``) and what
    else every service reads."""

    model_config = SettingsConfigDict(env_prefix="BATON_", extra="ignore")

    service: ClassVar[str] = "service"  # each service's subclass names itself

    # Empty means the embedded default: a SQLite file per service in ``state_dir``.
    database_url: str = Field(
        default="", validation_alias=AliasChoices("DATABASE_URL", "BATON_DATABASE_URL")
    )
    # PostgreSQL schema for this service's tables; defaults to the service's name.
    database_schema: str = Field(default="", pattern=r"^([a-z_][a-z0-9_]*)?$")
    state_dir: str = ".run"
    host: str = "127.0.0.1"
    port: int = 8000
    # Processes serving this service on one port (uvicorn workers), each a replica
    # with its own consumers: more than one is for a service whose HTTP API is busy.
    workers: int = Field(default=1, ge=1)
    # Database connections each process keeps, and how many more it may open at a peak.
    db_pool_size: int = Field(default=5, ge=1)
    db_max_overflow: int = Field(default=5, ge=0)
    # A pooled connection idle longer than this is pinged before use (PostgreSQL);
    # 0 pings before every use, at three round trips each.
    db_ping_after_idle_s: float = Field(default=1.0, ge=0)
    # Prepended to every topic and consumer group: lets several environments (or
    # test runs) share one cluster without seeing each other's events.
    topic_prefix: str = ""
    # Local runs and tests create their topics and tables on start; a Kubernetes
    # deployment turns both off and runs the migration and topic jobs instead.
    create_topics: bool = True
    topic_partitions: int = 3
    topic_replication_factor: int = 1
    # Replicas that must have a message before the broker acknowledges it (at most
    # the replication factor): 2 of 3 survives losing a broker.
    topic_min_insync_replicas: int = Field(default=1, ge=1)
    migrate_on_start: bool = True
    # How much the service logs: "warning" quietens a busy one, "debug" tells all
    # (never personal data at any level).
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # The event loop the service runs on: uvloop (libuv, in C) spends far less CPU
    # per socket operation than asyncio's own; "asyncio" is the standard library's.
    event_loop: Literal["uvloop", "asyncio"] = "uvloop"
    # Once started, freeze what start-up made out of the garbage collector's sight and
    # collect the young generation less often (baton_runtime.heap); false: Python's own.
    gc_tuned: bool = True

    # Consumer tuning: short timeouts make a group join fast in tests.
    consumer_session_timeout_ms: int = 10_000
    consumer_heartbeat_interval_ms: int = 3_000
    # Messages the consumer takes in one poll, across all the service's topics: one
    # transaction (each partition's share its own, if that one fails).
    consumer_max_batch: int = Field(default=200, ge=1)
    handler_max_attempts: int = 3
    handler_retry_backoff_s: float = 0.2

    outbox_poll_interval_s: float = 1.0
    # How long the producer holds a batch for more events before sending it: longer
    # batches more events per request under load, at that much latency per hop (an
    # issue takes four). A relay pass's events go in one request whatever it is.
    producer_linger_ms: int = Field(default=0, ge=0, le=1000)

    # Retention of bookkeeping rows (baton_runtime.retention), in days; 0 keeps them.
    # Published outbox rows and the like: kept a while to answer "was it sent?".
    retention_days: int = Field(default=30, ge=0)
    # A consumed event's id is what drops a redelivery, so it must outlive every
    # chance of one: Kafka keeps a topic 7 days and a DLQ 30 (the chart's defaults),
    # and a DLQ message may be replayed until it expires. 35 days covers both.
    processed_events_retention_days: int = Field(default=35, ge=0)
    retention_interval_s: float = Field(default=3600.0, gt=0)

    def model_post_init(self, _context: object) -> None:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.state_dir}/{self.service}.db"
        if not self.database_schema:
            self.database_schema = self.service

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"

    def group_id(self) -> str:
        return f"{self.topic_prefix}baton-{self.service}"
