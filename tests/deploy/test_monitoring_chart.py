"""What the chart ships for SREs: the dashboards (Grafana's linter rules, PromQL
that parses), the alert rules (``promtool check rules`` and ``promtool test
rules``, each alert linked to its runbook section), the ServiceMonitor, and the
OpenTelemetry Collector that turns department stays into histograms."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.deploy import dashboard_lint
from tests.deploy.conftest import ROOT, SERVICES, VALUES, container, of_kind, render, validate

PROMTOOL = ROOT / ".tools" / "bin" / "promtool"
# The collector the chart's config is checked with: its components, at its image's
# release (tools/otelcol; `make tools` builds it).
OTELCOL = ROOT / ".tools" / "bin" / "otelcol-baton"
DASHBOARDS = sorted((render.CHART / "files" / "dashboards").glob("*.json"))
RUNBOOK = ROOT / "docs" / "runbook.md"
ALERT_TESTS = Path(__file__).parent / "alerts" / "rules_test.yaml"


@pytest.fixture(scope="module")
def promtool() -> Path:
    if not PROMTOOL.exists():
        sys.exit(f"{PROMTOOL} is missing: `make tools` builds it")
    return PROMTOOL


@pytest.fixture(scope="module")
def otelcol() -> Path:
    if not OTELCOL.exists():
        sys.exit(f"{OTELCOL} is missing: `make tools` builds it")
    return OTELCOL


def collector_config(tmp_path: Path, values: dict, *files: Path) -> str:
    """The collector's config.yaml as the chart renders it with these values."""
    values = {"otelCollector": {"enabled": True, **values}}
    config_map = of_kind(template_with(tmp_path, values, *files), "ConfigMap")["otel-collector"]
    return config_map["data"]["config.yaml"]


def template_with(tmp_path: Path, values: dict, *files: Path) -> list[dict]:
    extra = tmp_path / "extra.yaml"
    extra.write_text(yaml.safe_dump(values))
    return render.objects(render.helm_template(*files, extra))


def of_api(objs: list[dict], kind: str) -> list[dict]:
    return [o for o in objs if o["kind"] == kind]


def anchors(markdown: str) -> set[str]:
    """GitHub's anchors of the document's headings."""
    found = set()
    for heading in re.findall(r"^#+ (.+)$", markdown, flags=re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


# ---- dashboards -----------------------------------------------------------------------


def test_the_two_dashboards_ship_as_configmaps_for_grafanas_sidecar(rendered):
    name, text = rendered
    maps = {
        key: json.loads(value)
        for o in of_api(render.objects(text), "ConfigMap")
        if o["metadata"]["labels"].get("grafana_dashboard") == "1"
        for key, value in o["data"].items()
    }
    assert sorted(maps) == [p.name for p in DASHBOARDS], name
    titles = {d["title"] for d in maps.values()}
    assert titles == {"Baton: where issues stall", "Baton: pipeline health"}
    for path in DASHBOARDS:  # as checked in, byte for byte
        assert maps[path.name] == json.loads(path.read_text())


def test_dashboards_can_be_switched_off(tmp_path):
    objs = template_with(tmp_path, {"dashboards": {"enabled": False}})
    assert not [
        o for o in of_api(objs, "ConfigMap") if "grafana_dashboard" in o["metadata"]["labels"]
    ]


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_each_dashboard_passes_the_dashboard_linters_rules(path, promtool):
    dashboard = json.loads(path.read_text())
    assert len(list(dashboard_lint.panels(dashboard))) >= 8
    problems = dashboard_lint.lint(dashboard) + dashboard_lint.parse_errors(promtool, dashboard)
    assert problems == []


def test_the_lint_catches_what_it_is_meant_to(promtool):
    """A dashboard with one of each mistake fails each rule (the check can fail)."""
    good = json.loads(DASHBOARDS[0].read_text())
    bad = json.loads(DASHBOARDS[0].read_text())
    panel = next(p for p in dashboard_lint.panels(bad) if p["type"] == "timeseries")
    panel["description"] = ""
    panel["targets"][0]["expr"] = "sum(rate(baton_events_published_total{}[5m])"
    bad["editable"] = True
    problems = dashboard_lint.lint(bad) + dashboard_lint.parse_errors(promtool, bad)
    rules = {p.split(":")[0] for p in problems}
    assert rules >= {
        "panel-title-description-rule", "template-uneditable-rule", "target-job-rule",
        "target-instance-rule", "target-rate-interval-rule", "target-promql-rule",
    }  # fmt: skip
    assert dashboard_lint.lint(good) == []


def test_where_issues_stall_shows_what_the_issue_asks(promtool):
    stall = json.loads(
        (render.CHART / "files" / "dashboards" / "where-issues-stall.json").read_text()
    )
    kinds = {p["type"] for p in dashboard_lint.panels(stall)}
    assert "heatmap" in kinds
    exprs = " ".join(e for _, e in dashboard_lint.expressions(stall))
    for metric in ("baton_ownership_issues_open", "baton_ownership_issues_oldest_age_seconds",
                   "baton_ownership_deadlines_overdue", "baton_ownership_handoffs_total",
                   "baton_ownership_acknowledge_duration_seconds_bucket",
                   "baton_ownership_resolve_duration_seconds_bucket",
                   "baton_ownership_silo_alarms_total"):  # fmt: skip
        assert metric in exprs, metric
    # Gauges every replica reports alike are deduplicated with max, never summed raw.
    assert "sum by (baton_department) (baton_ownership" not in exprs


# ---- alerts ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rules() -> dict:
    (rule,) = of_api(render.objects(render.helm_template(*VALUES["production"])), "PrometheusRule")
    return {"groups": rule["spec"]["groups"]}


def test_alert_rules_are_valid_and_their_promtool_tests_pass(rules, promtool, tmp_path):
    shutil.copy(ALERT_TESTS, tmp_path / ALERT_TESTS.name)
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rules))
    checked = subprocess.run(
        [str(promtool), "check", "rules", "rules.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run(
        [str(promtool), "test", "rules", ALERT_TESTS.name], cwd=tmp_path, capture_output=True,
        text=True,
    )  # fmt: skip
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_alert_has_a_test_case_and_a_runbook_section(rules):
    alerts = [r["alert"] for g in rules["groups"] for r in g["rules"]]
    assert len(alerts) == 7
    cases = yaml.safe_load(ALERT_TESTS.read_text())["tests"]
    tested = {a["alertname"] for t in cases for a in t["alert_rule_test"] if a["exp_alerts"]}
    assert tested == set(alerts)
    sections = anchors(RUNBOOK.read_text())
    for g in rules["groups"]:
        for r in g["rules"]:
            url = r["annotations"]["runbook_url"]
            assert url.split("#")[1] in sections, (r["alert"], url)
            assert r["labels"]["severity"] in ("warning", "critical")


def test_alerts_and_the_service_monitor_are_off_by_default_and_on_in_production(production):
    default = render.objects(render.helm_template())
    assert not [o for o in default if o["apiVersion"].startswith("monitoring.coreos.com/")]
    (monitor,) = of_api(production, "ServiceMonitor")
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    selected = monitor["spec"]["selector"]["matchLabels"]
    services = of_kind(production, "Service")
    for name in SERVICES:
        labels = services[name]["metadata"]["labels"]
        assert selected.items() <= labels.items(), name
        assert "http" in [p["name"] for p in services[name]["spec"]["ports"]]
    assert monitor["spec"]["endpoints"][0]["path"] == "/metrics"


def test_alert_thresholds_come_from_values(tmp_path):
    values = {"alerts": {"enabled": True, "withoutOwnerMinutes": 40, "consumerLag": 500}}
    (rule,) = of_api(template_with(tmp_path, values), "PrometheusRule")
    exprs = {r["alert"]: r["expr"] for g in rule["spec"]["groups"] for r in g["rules"]}
    assert "[40m] offset 40m" in exprs["BatonIssueWithoutOwner"]
    assert "[80m]" in exprs["BatonIssueWithoutOwner"]
    assert exprs["BatonConsumerLag"].strip().endswith("> 500")


# ---- the OpenTelemetry Collector ------------------------------------------------------


def test_the_chart_can_deploy_a_collector_that_makes_stay_histograms(tmp_path):
    values = {"otelCollector": {"enabled": True, "tracesEndpoint": "http://tempo:4318"}}
    objs = template_with(tmp_path, values)
    for obj in objs:
        validate(obj)
    deployments = of_kind(objs, "Deployment")
    collector = deployments.pop("otel-collector")
    for name, deployment in deployments.items():
        env = {e["name"]: e.get("value") for e in container(deployment)["env"]}
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://baton-otel-collector:4318", name
        assert env["OTEL_TRACES_EXPORTER"] == "otlp"
    config_map = of_kind(objs, "ConfigMap")["otel-collector"]
    config = yaml.safe_load(config_map["data"]["config.yaml"])
    assert "spanmetrics" in config["connectors"]
    assert config["exporters"]["otlphttp/traces"]["endpoint"] == "http://tempo:4318"
    stays = config["service"]["pipelines"]
    assert stays["traces/stays"]["exporters"] == ["spanmetrics"]
    assert stays["metrics/stays"]["receivers"] == ["spanmetrics"]
    assert {"baton.department", "baton.outcome"} <= {
        d["name"] for d in config["connectors"]["spanmetrics"]["dimensions"]
    }
    pod = container(collector)
    assert pod["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["resources"]["limits"]["memory"]


@pytest.mark.parametrize("traces", ["", "http://tempo:4318"], ids=["stays only", "and traces"])
@pytest.mark.parametrize("name", list(VALUES))
def test_the_collector_takes_the_charts_config(otelcol, tmp_path, name, traces):
    """The real collector reads, resolves and builds every pipeline of the config
    (`otelcol validate`): a setting it would refuse, a component it lacks or a
    pipeline that does not connect fails here, not in a crash-looping pod."""
    config = tmp_path / "config.yaml"
    config.write_text(collector_config(tmp_path, {"tracesEndpoint": traces}, *VALUES[name]))
    found = subprocess.run(
        [str(otelcol), "validate", f"--config=file:{config}"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert found.returncode == 0, found.stdout + found.stderr


def test_the_collector_tested_is_the_release_the_chart_runs(otelcol, tmp_path):
    image = yaml.safe_load((render.CHART / "values.yaml").read_text())["otelCollector"]["image"]
    repository, _, tag = image.rpartition(":")
    assert repository == "otel/opentelemetry-collector-contrib"
    found = subprocess.run([str(otelcol), "--version"], capture_output=True, text=True, timeout=60)
    assert found.stdout.split() == ["otelcol-baton", "version", tag], found.stdout
    module = (ROOT / "tools" / "otelcol" / "go.mod").read_text()
    pinned = set(re.findall(r"collector-contrib/\S+ v(\S+)", module))
    assert pinned == {tag}, "every contrib component at the image's release"


def test_an_existing_collector_wins_over_the_charts_own(tmp_path):
    values = {"otel": {"endpoint": "http://otel.observability:4318"}}
    objs = template_with(tmp_path, values)
    assert "otel-collector" not in of_kind(objs, "Deployment")
    env = {
        e["name"]: e.get("value") for e in container(of_kind(objs, "Deployment")["intake"])["env"]
    }
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel.observability:4318"
