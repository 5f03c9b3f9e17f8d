"""The chart's retention: every service is told how long to keep bookkeeping
rows, and processed event ids outlive anything Kafka may still redeliver."""

from __future__ import annotations

import subprocess

import pytest
import yaml
from baton_runtime.settings import ServiceSettings

from tests.deploy.conftest import SERVICES, VALUES, container, of_kind, render

DAY_MS = 86_400_000


def template_with(tmp_path, values: dict) -> list[dict]:
    extra = tmp_path / "values.yaml"
    extra.write_text(yaml.safe_dump(values))
    return render.objects(render.helm_template(*VALUES["production"], extra))


def retention_env(objs: list[dict]) -> dict[str, dict[str, str]]:
    deployments = of_kind(objs, "Deployment")
    return {
        name: {
            e["name"]: e["value"]
            for e in container(deployments[name])["env"]
            if "RETENTION" in e["name"]
        }
        for name in SERVICES
    }


def test_every_service_keeps_what_the_chart_says_which_is_the_code_default(rendered):
    chart = yaml.safe_load((render.CHART / "values.yaml").read_text())
    defaults = ServiceSettings()
    assert (chart["retention"]["days"], chart["retention"]["processedEventsDays"]) == (
        defaults.retention_days,
        defaults.processed_events_retention_days,
    )
    for env in retention_env(render.objects(rendered[1])).values():
        assert env == {
            "BATON_RETENTION_DAYS": str(defaults.retention_days),
            "BATON_PROCESSED_EVENTS_RETENTION_DAYS": str(defaults.processed_events_retention_days),
        }
    longest = max(chart["topics"]["retentionMs"], chart["topics"]["dlqRetentionMs"])
    assert defaults.processed_events_retention_days * DAY_MS > longest


@pytest.mark.parametrize(
    "topics",
    [{"dlqRetentionMs": 60 * DAY_MS}, {"retentionMs": 35 * DAY_MS}],
)
def test_processed_events_kept_no_longer_than_kafka_keeps_events_fails_the_render(tmp_path, topics):
    with pytest.raises(subprocess.CalledProcessError) as failed:
        template_with(tmp_path, {"topics": topics})
    assert "retention.processedEventsDays (35) must exceed" in failed.value.stderr


def test_zero_keeps_forever_and_a_longer_dlq_is_fine_with_longer_retention(tmp_path):
    objs = template_with(
        tmp_path,
        {
            "topics": {"dlqRetentionMs": 60 * DAY_MS},
            "retention": {"days": 0, "processedEventsDays": 65},
        },
    )
    assert retention_env(objs)["ownership"] == {
        "BATON_RETENTION_DAYS": "0",
        "BATON_PROCESSED_EVENTS_RETENTION_DAYS": "65",
    }
