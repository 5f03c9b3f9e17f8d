"""Topic creation's durability settings, before any broker is asked (the broker
side: tests/integration/test_topics_job.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from baton_runtime import service
from baton_runtime.kafka.topics import ensure_topics
from baton_runtime.service import Runtime
from baton_runtime.settings import ServiceSettings


@pytest.mark.parametrize(("replicas", "min_insync"), [(1, 2), (3, 4), (3, 0)])
async def test_more_in_sync_replicas_than_replicas_is_refused_before_any_topic(
    replicas, min_insync
):
    with pytest.raises(ValueError, match=r"min\.insync\.replicas"):
        # An address nothing listens on: the check comes before any connection.
        await ensure_topics(
            "127.0.0.1:1", ["t"], replication_factor=replicas, min_insync_replicas=min_insync
        )


def test_the_topics_job_refuses_them_too():
    done = subprocess.run(
        [sys.executable, "-m", "baton_runtime.kafka.topics", "--bootstrap-servers=127.0.0.1:1",
         "--replication-factor=1", "--min-insync-replicas=2"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "--min-insync-replicas must be between 1 and --replication-factor" in done.stderr


async def test_a_service_creates_its_topics_with_its_settings(monkeypatch, tmp_path: Path):
    asked: dict = {}

    async def record(kafka, names, **options):
        asked.update(options, names=names)

    monkeypatch.setattr(service, "ensure_topics", record)
    monkeypatch.setenv("BATON_TOPIC_MIN_INSYNC_REPLICAS", "2")
    settings = ServiceSettings(topic_replication_factor=3, state_dir=str(tmp_path))
    runtime = Runtime(name="demo", settings=settings, migrations_dir=tmp_path)
    runtime.consume("issues.reported", lambda *_: None)  # type: ignore[arg-type, return-value]
    await runtime._ensure_topics()
    assert (asked["replication_factor"], asked["min_insync_replicas"]) == (3, 2)
    assert asked["names"] == ["issues.reported", "issues.reported.dlq"]
