"""The Kubernetes topics job's command against a real broker: every topic and
DLQ, with the partitions and retention it was given."""

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


async def test_topics_job_creates_every_topic_and_dlq_with_partitions_and_retention(
    infra: Infra,
):
    prefix = f"job{uuid.uuid4().hex[:8]}."
    command = [sys.executable, "-m", "baton_runtime.kafka.topics"]
    command += [f"--bootstrap-servers={infra.kafka}", f"--prefix={prefix}"]
    command += ["--partitions=2", "--replication-factor=1"]
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
    retention = {
        resource[3]: dict((entry[0], entry[1]) for entry in resource[4])["retention.ms"]
        for response in responses
        for resource in response.resources
    }
    assert retention == {n: "7200000" if n.endswith(".dlq") else "3600000" for n in names}
