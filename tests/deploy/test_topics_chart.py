"""The topics job's durability: production waits for two replicas of three
before a write counts, and no values can ask for more replicas than exist."""

from __future__ import annotations

import subprocess

import pytest

from tests.deploy.conftest import VALUES, container, render
from tests.deploy.test_retention_chart import template_with


def topics_job(objs: list[dict]) -> dict[str, str]:
    """The topics job's --name=value arguments."""
    (job,) = [o for o in objs if o["kind"] == "Job" and o["metadata"]["name"] == "baton-topics"]
    arguments = container(job)["command"][3:]
    return dict(a.removeprefix("--").split("=", 1) for a in arguments)


def test_production_acknowledges_a_write_once_two_of_three_replicas_have_it(production):
    args = topics_job(production)
    assert (args["replication-factor"], args["min-insync-replicas"]) == ("3", "2")


@pytest.mark.parametrize("values", list(VALUES))
def test_every_values_file_asks_for_no_more_in_sync_replicas_than_replicas(values):
    args = topics_job(render.objects(render.helm_template(*VALUES[values])))
    assert 1 <= int(args["min-insync-replicas"]) <= int(args["replication-factor"])


@pytest.mark.parametrize("min_insync", [0, 4])
def test_in_sync_replicas_beyond_the_replicas_fail_the_render(tmp_path, min_insync):
    with pytest.raises(subprocess.CalledProcessError) as failed:
        template_with(tmp_path, {"topics": {"minInsyncReplicas": min_insync}})
    assert "topics.minInsyncReplicas must be between 1 and topics.replicationFactor" in (
        failed.value.stderr
    )
