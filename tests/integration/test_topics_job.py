"""The Kubernetes topics job's command against a real broker: every topic and
DLQ, with the partitions, retention and min.insync.replicas it was given, as
the broker reports them back."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from baton_contracts.topics import all_topics

from tests.integration.stack import Infra

pytestmark = pytest.mark.integration


async def test_topics_job_creates_every_topic_and_dlq_with_partitions_retention_and_min_isr(
    infra: Infra,
):
    prefix = f"job{uuid.uuid4().hex[:8]}."
    command = [sys.executable, "-m", "baton_runtime.kafka.topics"]
    command += [f"--bootstrap-servers={infra.kafka}", f"--prefix={prefix}"]
    # One broker here: one replica, so one in sync (production asks 2 of 3).
    command += ["--partitions=2", "--replication-factor=1", "--min-insync-replicas=1"]
    command += ["--retention-ms=3600000", "--dlq-retention-ms=7200000"]
    for _ in range(2):  # the job runs before every upgrade: a second run changes nothing
        await asyncio.to_thread(subprocess.run, command, check=True, timeout=120)

    names = all_topics(prefix)
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka)
    await admin.start()
    try:
        described = await admin.describe_topics(names)
        partitions = {t["topic"]: len(t["partitions"]) for t in described}
        responses = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, n) for n in names]
        )
    finally:
        await admin.close()
    assert partitions == dict.fromkeys(names, 2)
    configs = {
        resource[3]: {e[0]: (e[1], set_on_topic(response.API_VERSION, e)) for e in resource[4]}
        for response in responses
        for resource in response.resources
    }
    retention = {n: config["retention.ms"][0] for n, config in configs.items()}
    assert retention == {n: "7200000" if n.endswith(".dlq") else "3600000" for n in names}
    # Set on each topic, not the broker's default that happens to be the same value.
    min_isr = {n: config["min.insync.replicas"] for n, config in configs.items()}
    assert min_isr == dict.fromkeys(names, ("1", True))


def set_on_topic(version: int, entry: tuple) -> bool:
    """(name, value, read_only, is_default | source, ...): version 0 says whether it
    is the default; later ones its source, 1 being the topic's own setting."""
    return entry[3] is False if version == 0 else entry[3] == 1
