"""Baton over a secured Kafka: SASL (SCRAM-SHA-512 and PLAIN) over TLS, and
mutual TLS, against a real broker with those listeners (deploy/local/kafka.sh).
The services know only the secured listener's address, so every event of the
journey below crossed it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from baton_contracts.topics import all_topics
from baton_runtime.kafka import EventProducer
from baton_runtime.kafka.connection import KafkaSettings

from conftest import free_port, running_smtp_server, text_of
from tests.integration.conftest import eventually, service_env
from tests.integration.stack import (
    REPO,
    SERVICES,
    Infra,
    SecureKafka,
    create_api_key,
    start_service,
    stop_services,
    wait_ready,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def secure_kafka() -> Iterator[SecureKafka]:
    kafka = SecureKafka()
    try:
        kafka.start()
        yield kafka
    finally:
        kafka.stop()


# The services an issue travels through (the workspace only reads their events,
# through the same runtime consumer).
FOUR = [name for name in SERVICES if name != "workspace"]


@pytest.fixture(scope="module")
async def secure_stack(secure_kafka: SecureKafka, infra: Infra) -> AsyncIterator[dict]:
    prefix = f"sec{uuid.uuid4().hex[:8]}."
    with running_smtp_server() as inbox:
        envs = {
            name: service_env(
                prefix,
                infra,
                name,
                BATON_SMTP_PORT=str(inbox.port),
                **secure_kafka.sasl_env("SCRAM-SHA-512"),
            )
            for name in FOUR
        }
        services = {}
        try:
            api_key = create_api_key(envs["intake"])
            for name in FOUR:
                services[name] = start_service(name, free_port(), envs[name])
            await wait_ready(list(services.values()))
            yield {"services": services, "inbox": inbox, "api_key": api_key}
        finally:
            stop_services(list(services.values()))


async def test_an_issue_travels_all_four_services_over_sasl_scram_and_tls(secure_stack, infra):
    services, inbox = secure_stack["services"], secure_stack["inbox"]
    async with httpx.AsyncClient(timeout=10, headers=infra.idp.as_("admin")) as http:
        r = await http.post(
            f"{services['intake'].url}/v1/issues",
            json={
                "channel": "agent",
                "reporter": {"kind": "customer", "id": f"cust-{uuid.uuid4().hex[:8]}"},
                "subject": "Charged twice, I want a refund",
                "description": "Order 1234.",
            },
            headers={"Authorization": f"Bearer {secure_stack['api_key']}"},
        )
        assert r.status_code == 202, r.text
        issue_id = r.json()["issue_id"]

        async def owner():
            r = await http.get(f"{services['ownership'].url}/v1/issues/{issue_id}/owner")
            return r.json() if r.status_code == 200 else None

        owned = await eventually(owner, what="an owner over the secured cluster")
    assert owned["department"] == "finance"

    async def mail():
        return [m for m in inbox.to(owned["owner"]["email"]) if issue_id in text_of(m)]

    await eventually(mail, what="the owner's email")


@pytest.mark.parametrize("listener", ["sasl-plain", "mutual-tls"])
async def test_the_topics_job_producer_and_consumer_work_over_each_secured_listener(
    secure_kafka: SecureKafka, listener: str, monkeypatch: pytest.MonkeyPatch
):
    env = secure_kafka.sasl_env("PLAIN") if listener == "sasl-plain" else secure_kafka.mtls_env()
    prefix = f"sec{uuid.uuid4().hex[:8]}."
    # The Helm hook's command: the connection comes from the environment alone.
    await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "baton_runtime.kafka.topics", f"--prefix={prefix}"],
        env={**os.environ, **env},
        check=True,
        timeout=120,
        cwd=REPO,
    )
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    kafka = KafkaSettings().kafka()
    topic = f"{prefix}issues.inbound"
    producer = EventProducer(kafka, client_id="baton-tests")
    await producer.start()
    try:
        await producer.send_raw(topic, key="k", value=b"over " + listener.encode())
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        topic, **kafka.client_options(), auto_offset_reset="earliest", group_id=prefix
    )
    await consumer.start()
    try:
        batches = await consumer.getmany(timeout_ms=10_000)
        assert set(await consumer.topics()) >= set(all_topics(prefix))
    finally:
        await consumer.stop()
    assert [r.value for b in batches.values() for r in b] == [b"over " + listener.encode()]


@pytest.mark.parametrize(
    ("case", "change", "cause"),
    [
        ("wrong password", {"BATON_KAFKA_SASL_PASSWORD": "not-the-password"}, "SaslAuthentication"),
        ("untrusted broker", {"BATON_KAFKA_SSL_CAFILE": ""}, "CERTIFICATE_VERIFY_FAILED"),
    ],
)
def test_a_service_the_cluster_refuses_exits_saying_where_how_and_why(
    secure_kafka: SecureKafka, infra: Infra, case: str, change: dict, cause: str
):
    env = service_env(f"sec{uuid.uuid4().hex[:8]}.", infra, "intake")
    env |= secure_kafka.sasl_env("SCRAM-SHA-512") | change
    service = start_service("intake", free_port(), env)
    try:
        code = service.process.wait(timeout=90)
    finally:
        stop_services([service])
    log = service.log.read_text()
    assert code != 0, case
    where = f"cannot connect to Kafka at {env['KAFKA_BOOTSTRAP_SERVERS']}"
    assert f"{where} (SASL_SSL SCRAM-SHA-512 as 'baton')" in log
    assert cause in log
    assert env["BATON_KAFKA_SASL_PASSWORD"] not in log
