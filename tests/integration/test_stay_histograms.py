"""The chart's OpenTelemetry Collector, run for real on the services' own spans.

With ``otelCollector.enabled`` the chart runs a collector whose config turns each
department stay (the span ``department <name>``) into the histogram
``baton_stay_duration_seconds`` that the runbook queries. Here that config, as the
chart renders it, runs on a collector built from the same components at the same
release as the chart's image (``tools/otelcol``); the stack's services export their
spans to it exactly as sent (the test's OTLP receiver forwards each export), and an
issue worked across two departments must show in its Prometheus endpoint. Only the
endpoints (to free local ports) and the flush interval (15 s to 1 s) are changed.
"""

from __future__ import annotations

import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from conftest import free_port
from tests.deploy.test_monitoring_chart import OTELCOL, collector_config
from tests.integration.conftest import eventually
from tests.integration.test_dashboards_metrics import call, hand_over
from tests.integration.test_issue_journey import owner_of, report
from tests.integration.test_metrics import samples, total

pytestmark = pytest.mark.integration

HISTOGRAM = "baton_stay_duration_seconds"
# What a stay's series may be labelled with: the connector's dimensions, the
# service, the collector replica that counted it, and what Prometheus' exporter
# adds. Never an issue id or a person.
LABELS = {"baton_department", "baton_outcome", "baton_priority", "service_name", "le", "job"}
LABELS |= {"collector_instance_id", "instance"}
LABELS |= {"otel_scope_name", "otel_scope_version", "otel_scope_schema_url"}


@dataclass(frozen=True)
class Collector:
    process: subprocess.Popen
    metrics_url: str
    log: Path


@pytest.fixture(scope="module")
def collector(stack, tmp_path_factory) -> Iterator[Collector]:
    if not OTELCOL.exists():
        pytest.fail(f"{OTELCOL} is missing: `make tools` builds it")
    where = tmp_path_factory.mktemp("otelcol")
    config = yaml.safe_load(collector_config(where, {"tracesEndpoint": ""}))
    otlp, metrics, health = free_port(), free_port(), free_port()
    config["receivers"]["otlp"]["protocols"]["http"]["endpoint"] = f"127.0.0.1:{otlp}"
    config["exporters"]["prometheus"]["endpoint"] = f"127.0.0.1:{metrics}"
    config["extensions"]["health_check"]["endpoint"] = f"127.0.0.1:{health}"
    config["connectors"]["spanmetrics"]["metrics_flush_interval"] = "1s"
    # The collector's own metrics would take port 8888: none are needed here.
    config["service"]["telemetry"] = {"metrics": {"level": "none"}}
    path = where / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    log = where / "otelcol.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(OTELCOL), f"--config=file:{path}"], stdout=out, stderr=subprocess.STDOUT
        )
    found = Collector(process, f"http://127.0.0.1:{metrics}", log)
    ready(found, f"http://127.0.0.1:{health}/")
    stack.otlp.forward_to(f"http://127.0.0.1:{otlp}/v1/traces")
    try:
        yield found
    finally:
        stack.otlp.forward_to(None)
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def ready(collector: Collector, health: str, timeout_s: float = 30) -> None:
    """Wait for the collector's health check to say it is serving."""
    deadline = time.monotonic() + timeout_s
    while True:
        assert collector.process.poll() is None, collector.log.read_text()[-3000:]
        try:
            with urllib.request.urlopen(health, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        assert time.monotonic() < deadline, "the collector never became ready"
        time.sleep(0.2)


async def stays(http, collector: Collector) -> list:
    assert collector.process.poll() is None, collector.log.read_text()[-3000:]
    return [s for s in await samples(http, collector.metrics_url) if s.name.startswith(HISTOGRAM)]


async def test_an_issues_stays_become_the_histogram_the_runbook_queries(stack, http, collector):
    issue_id = await report(stack, http, "Charged twice, I want a refund")
    owner = await owner_of(stack, http, issue_id)
    assert owner["department"] == "finance"
    state = {"owner_id": owner["owner"]["id"], "version": owner["version"]}
    state = await hand_over(http, stack, issue_id, state, "it", "it-kofi")
    await call(
        http, stack, f"/v1/issues/{issue_id}/resolve", "it-kofi",
        {"version": state["version"], "resolution": "refunded"},
    )  # fmt: skip

    async def both_stays():
        found = await stays(http, collector)
        finance = total(found, f"{HISTOGRAM}_count", baton_department="finance",
                        baton_outcome="handed_off")  # fmt: skip
        it = total(found, f"{HISTOGRAM}_count", baton_department="it", baton_outcome="resolved")
        return found if finance >= 1 and it >= 1 else None

    found = await eventually(both_stays, timeout_s=60, what="the stays in the histogram")
    assert stack.otlp.forward_failures == 0

    # Only closed stays are measured: the "department <name> entered" marks, which
    # have no outcome, are filtered out before the connector.
    assert all("baton_outcome" in s.labels for s in found)
    assert all(s.labels.keys() <= LABELS for s in found), {
        k for s in found for k in s.labels
    } - LABELS
    # The chart's buckets, in seconds: a minute up to a week.
    bounds = {float(s.labels["le"]) for s in found if s.name == f"{HISTOGRAM}_bucket"}
    hour, day = 3600, 86400
    assert bounds == {60, 300, 900, hour, 4 * hour, 8 * hour, day, 3 * day, 7 * day, float("inf")}
