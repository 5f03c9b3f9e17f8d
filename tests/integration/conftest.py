"""End-to-end fixtures: real Kafka, real PostgreSQL, the four services as
processes, a real SMTP server and a real OTLP receiver. One stack per session;
a unique topic prefix and database schemas keep each run apart."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import httpx
import pytest
import yaml
from aiokafka import AIOKafkaConsumer, TopicPartition
from baton_contracts import Person
from baton_runtime.kafka import EventProducer

from conftest import Inbox, Receiver, free_port, running_http_receiver, running_smtp_server
from tests.integration.otlp_receiver import OtlpReceiver
from tests.integration.stack import (
    REPO,
    SERVICES,
    IdentityProvider,
    Infra,
    Service,
    create_api_key,
    start_service,
    stop_services,
    wait_ready,
)

T = TypeVar("T")

pytestmark = pytest.mark.integration

WEBHOOK_SECRET = "it-webhook-secret-0123456789"
# Signs acknowledge links (notifications signs, ownership verifies) and rating links (intake).
LINK_KEY = "it-link-signing-key-0123456789"
CHAT_SECRET = "it-chat-connector-secret-0123"
INTERNAL_DOMAIN = "baton.example"
# The mail gateway whose Authentication-Results intake believes (an internal sender's proof).
MAIL_GATEWAY = "mx.baton.example"

CATALOG = REPO / "services/routing/src/baton_routing/catalog/default.yaml"


@dataclass
class Stack:
    prefix: str
    kafka: str
    database_url: str
    services: dict[str, Service]
    inbox: Inbox
    otlp: OtlpReceiver
    api_key: str = ""
    idp: IdentityProvider | None = None
    # The chat channel's connector: intake answers chat reporters through it.
    chat_connector: Receiver | None = None

    @property
    def auth(self) -> dict[str, str]:
        """Headers for intake's API (the key ``python -m baton_intake.auth`` made)."""
        return {"Authorization": f"Bearer {self.api_key}"}

    def as_(self, person: str) -> dict[str, str]:
        """Headers for acting as ``person``: their token from the identity provider."""
        assert self.idp is not None
        return self.idp.as_(person)

    def url(self, service: str) -> str:
        return self.services[service].url

    def topic(self, name: str) -> str:
        return f"{self.prefix}{name}"


@pytest.fixture(scope="session")
def postgres() -> Iterator[Infra]:
    """PostgreSQL alone: tests of the database need no broker (nor its start-up)."""
    pg = Infra()
    try:
        pg.start_postgres()
        yield pg
    finally:
        pg.stop()


@pytest.fixture(scope="session")
def infra(postgres: Infra) -> Iterator[Infra]:
    infra = Infra(database_url=postgres.database_url)
    try:
        infra.start_kafka()
        infra.start_idp(free_port())
        yield infra
    finally:
        infra.stop()


# The tests' webhook receivers and chat connector listen on http://127.0.0.1, which
# notifications and intake refuse outside development (only https, only public
# addresses; baton_runtime.egress): they alone run in development, still verifying
# the identity provider's tokens.
DEVELOPMENT_ONLY = {
    "notifications": {"BATON_ENVIRONMENT": "development"},
    "intake": {"BATON_ENVIRONMENT": "development"},
}
# Ownership checks its clocks every second, and an on-call layer has six seconds
# to acknowledge: the night-time on-call test escalates within seconds. Nothing
# else the stack runs is on call (the shipped catalog has no schedule).
HURRIED = {
    "ownership": {"BATON_DEADLINE_CHECK_INTERVAL_S": "1", "BATON_ON_CALL_ESCALATE_MINUTES": "0.1"}
}


def service_env(prefix: str, infra: Infra, name: str, **extra: str) -> dict[str, str]:
    schema = prefix.rstrip(".").replace("-", "_") + "_" + name
    return {
        "KAFKA_BOOTSTRAP_SERVERS": infra.kafka,
        "DATABASE_URL": infra.database_url,
        "BATON_DATABASE_SCHEMA": schema,
        "BATON_TOPIC_PREFIX": prefix,
        "BATON_CONSUMER_SESSION_TIMEOUT_MS": "6000",
        "BATON_CONSUMER_HEARTBEAT_INTERVAL_MS": "1000",
        "BATON_HANDLER_RETRY_BACKOFF_S": "0.1",
        "BATON_OUTBOX_POLL_INTERVAL_S": "0.5",
        # Notifications: short backoff so retries and final failures come within seconds.
        "BATON_DELIVERY_POLL_INTERVAL_S": "0.3",
        "BATON_DELIVERY_BACKOFF_BASE_S": "0.4",
        "BATON_DELIVERY_MAX_ATTEMPTS": "4",
        "BATON_WEBHOOK_TIMEOUT_S": "2",
        "BATON_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "BATON_LINK_SIGNING_KEY": LINK_KEY,
        # Intake answers reporters: its sender wakes at once, polls often.
        "BATON_REPLY_POLL_INTERVAL_S": "0.3",
        "BATON_INTERNAL_EMAIL_DOMAINS": json.dumps([INTERNAL_DOMAIN]),
        "BATON_TRUSTED_AUTHSERV_IDS": json.dumps([MAIL_GATEWAY]),
        "OTEL_SERVICE_NAME": f"baton-{name}",
        # Verified tokens from the development identity provider, as in production.
        **infra.auth_env(),
        **extra,
    }


def links_env(ports: dict[str, int], chat_connector: Receiver) -> dict[str, str]:
    """Where the links in messages point (ownership's acknowledge pages, intake's
    rating pages), and the chat connector intake answers chat reporters through."""
    return {
        "BATON_PUBLIC_BASE_URL": f"http://127.0.0.1:{ports['ownership']}",
        "BATON_PUBLIC_URL": f"http://127.0.0.1:{ports['intake']}",
        "BATON_REPLY_CONNECTORS": json.dumps(
            {"chat": {"url": chat_connector.url, "secret": CHAT_SECRET}}
        ),
    }


def workspace_env(infra: Infra, ports: dict[str, int]) -> dict[str, str]:
    """The workspace signs people in with the development identity provider and
    acts on ownership's API; notices link to it."""
    assert infra.idp is not None
    workspace = f"http://127.0.0.1:{ports['workspace']}"
    return {
        "BATON_WORKSPACE_URL": workspace,
        "BATON_WORKSPACE_OIDC_ISSUER": infra.idp.url,
        "BATON_WORKSPACE_OIDC_REDIRECT_URL": f"{workspace}/auth/callback",
        "BATON_WORKSPACE_OWNERSHIP_URL": f"http://127.0.0.1:{ports['ownership']}",
        "BATON_WORKSPACE_NOTIFICATIONS_URL": f"http://127.0.0.1:{ports['notifications']}",
        "BATON_WORKSPACE_SESSION_KEY": secrets.token_urlsafe(32),
        "BATON_WORKSPACE_LIVE_POLL_SECONDS": "1",
        "BATON_WORKSPACE_SCORES_SECONDS": "2",
    }


@pytest.fixture(scope="session")
async def stack(infra: Infra) -> AsyncIterator[Stack]:
    prefix = f"it{uuid.uuid4().hex[:8]}."
    otlp = OtlpReceiver()
    otlp.start()
    with running_smtp_server() as inbox, running_http_receiver() as chat_connector:
        services: dict[str, Service] = {}
        try:
            ports = {name: free_port() for name in SERVICES}
            envs = {
                name: service_env(
                    prefix,
                    infra,
                    name,
                    OTEL_TRACES_EXPORTER="otlp",
                    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=otlp.endpoint,
                    OTEL_BSP_SCHEDULE_DELAY="200",
                    BATON_SMTP_PORT=str(inbox.port),
                    **links_env(ports, chat_connector),
                    **DEVELOPMENT_ONLY.get(name, {}),
                    **workspace_env(infra, ports),
                    **HURRIED.get(name, {}),
                )
                for name in SERVICES
            }
            api_key = create_api_key(envs["intake"])
            for name in SERVICES:
                services[name] = start_service(name, ports[name], envs[name])
            await wait_ready(list(services.values()))
            yield Stack(
                prefix, infra.kafka, infra.database_url, services, inbox, otlp, api_key, infra.idp,
                chat_connector,
            )  # fmt: skip
        finally:
            stop_services(list(services.values()))
            otlp.stop()


@pytest.fixture(scope="session")
async def http(infra: Infra) -> AsyncIterator[httpx.AsyncClient]:
    """A client that calls as the administrator unless a request says whose it is
    (``stack.as_(person)``): every endpoint needs a verified caller."""
    assert infra.idp is not None
    async with httpx.AsyncClient(timeout=10, headers=infra.idp.as_("admin")) as client:
        yield client


@pytest.fixture(scope="session")
async def producer(infra: Infra) -> AsyncIterator[EventProducer]:
    p = EventProducer(infra.kafka, client_id="baton-tests")
    await p.start()
    yield p
    await p.stop()


async def eventually(
    probe: Callable[[], Awaitable[T | None]], *, timeout_s: float = 30, what: str = "condition"
) -> T:
    """Poll ``probe`` until it returns something truthy; fail after ``timeout_s``.
    A request the transport lost counts as "not yet": a service may close an idle
    keep-alive connection just as the client reuses it (more often on a busy
    machine), and a probe is a read, safe to send again."""
    deadline = time.monotonic() + timeout_s
    lost: httpx.TransportError | None = None
    while True:
        try:
            result = await probe()
        except httpx.TransportError as exc:
            result, lost = None, exc
        if result:
            return result
        if time.monotonic() > deadline:
            last = f" (last request lost: {lost!r})" if lost else ""
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}{last}")
        await asyncio.sleep(0.2)


async def read_topic(bootstrap: str, topic: str, *, timeout_s: float = 5) -> list:
    """Every record currently on ``topic`` (all partitions, from the start)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        records = []
        deadline = time.monotonic() + timeout_s

        async def behind() -> bool:
            return any([await consumer.position(tp) < end[tp] for tp in tps])

        while await behind() and time.monotonic() < deadline:
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(batch)
        return records
    finally:
        await consumer.stop()


def roster(department: str) -> tuple[list[Person], Person]:
    """A department's liaisons and head as the default catalog names them. A test
    that publishes ``IssueRouted`` straight onto the shared stack's topics must
    carry the real roster: ownership takes each routed issue's roster as the
    department's, and a shorter one would leave later tests' liaisons out."""
    catalog = yaml.safe_load(CATALOG.read_text())
    for entry in catalog["departments"]:
        if entry["name"] == department:
            return [Person(**p) for p in entry["liaisons"]], Person(**entry["head"])
    raise KeyError(department)
