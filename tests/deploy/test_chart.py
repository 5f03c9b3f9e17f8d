"""The Helm chart: lints, renders valid Kubernetes objects with each values file,
and configures, probes and locks down every service as the issue asks."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest

from tests.deploy.conftest import ROOT, SERVICES, VALUES, container, of_kind, render, validate


@pytest.mark.parametrize("values", list(VALUES))
def test_helm_lint_passes_strictly_with_each_values_file(values):
    cmd = [str(render.HELM), "lint", str(render.CHART), "--strict"]
    cmd += ["--kube-version", render.KUBE_VERSION]
    for f in VALUES[values]:
        cmd += ["-f", str(f)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_rendered_object_is_valid_against_the_kubernetes_schemas_in_strict_mode(rendered):
    _, text = rendered
    objs = render.objects(text)
    assert len(objs) >= 20
    for obj in objs:
        validate(obj)


def test_strict_validation_rejects_a_field_kubernetes_does_not_know(production):
    deployment = of_kind(production, "Deployment")["intake"]
    container(deployment)["livenesProbe"] = {"httpGet": {"path": "/healthz", "port": "http"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, render.KUBE_VERSION, strict=True)


def test_each_service_gets_a_deployment_service_account_and_network_policy(rendered):
    objs = render.objects(rendered[1])
    for kind in ("Deployment", "Service", "ServiceAccount", "NetworkPolicy"):
        assert sorted(of_kind(objs, kind)) == sorted(SERVICES), kind


def test_production_runs_two_replicas_or_more_with_pdbs_autoscaling_and_anti_affinity(production):
    deployments = of_kind(production, "Deployment")
    hpas = of_kind(production, "HorizontalPodAutoscaler")
    assert sorted(of_kind(production, "PodDisruptionBudget")) == sorted(SERVICES)
    for name in SERVICES:
        assert hpas[name]["spec"]["minReplicas"] >= 2
        # Consumers beyond the partition count would sit idle.
        assert hpas[name]["spec"]["maxReplicas"] <= 6
        pod = deployments[name]["spec"]["template"]["spec"]
        assert pod["affinity"]["podAntiAffinity"]
        assert pod["topologySpreadConstraints"][0]["topologyKey"] == "topology.kubernetes.io/zone"


def test_every_container_runs_non_root_read_only_unprivileged_with_limits_and_probes(rendered):
    objs = render.objects(rendered[1])
    pods = [o["spec"]["template"]["spec"] for o in objs if o["kind"] in ("Deployment", "Job")]
    assert len(pods) == 2 * len(SERVICES) + 1  # deployments, migration jobs, topics job
    for pod in pods:
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["automountServiceAccountToken"] is False
        for c in pod["containers"]:
            sc = c["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True
            assert sc["allowPrivilegeEscalation"] is False
            assert sc["capabilities"]["drop"] == ["ALL"]
            assert c["resources"]["requests"] and c["resources"]["limits"]["memory"]
            assert {m["mountPath"] for m in c["volumeMounts"]} >= {"/tmp"}


def test_probes_mean_what_they_say_and_shutdown_fits_the_consumers(rendered):
    for name, deployment in of_kind(render.objects(rendered[1]), "Deployment").items():
        c = container(deployment)
        assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert c["startupProbe"]["httpGet"]["path"] == "/healthz"
        # /readyz is 503 while the database or Kafka is unreachable.
        assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
        # uvicorn's 20 s graceful shutdown, then the consumers, outbox and spans.
        grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        assert grace >= 40, name


def env_of(deployment: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container(deployment)["env"]}


def test_secrets_are_referenced_never_given_as_values(rendered):
    for deployment in of_kind(render.objects(rendered[1]), "Deployment").values():
        env = env_of(deployment)
        assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == "baton-database"
        for name, e in env.items():
            if re.search(r"PASSWORD|USERNAME|SECRET|_KEY$|DATABASE_URL", name):
                assert "value" not in e and "secretKeyRef" in e["valueFrom"], name


def test_otel_service_name_is_the_component_label_and_traces_go_to_the_collector(production):
    for name, deployment in of_kind(production, "Deployment").items():
        env = env_of(deployment)
        path = env["OTEL_SERVICE_NAME"]["valueFrom"]["fieldRef"]["fieldPath"]
        assert path == "metadata.labels['app.kubernetes.io/component']"
        assert (
            deployment["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"]
            == name
        )
        assert env["OTEL_TRACES_EXPORTER"]["value"] == "otlp"
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"]["value"].startswith("http")


def test_the_services_leave_migrations_and_topics_to_the_hook_jobs(rendered):
    objs = render.objects(rendered[1])
    for deployment in of_kind(objs, "Deployment").values():
        env = env_of(deployment)
        assert env["BATON_MIGRATE_ON_START"]["value"] == "false"
        assert env["BATON_CREATE_TOPICS"]["value"] == "false"
    jobs = {o["metadata"]["name"]: o for o in objs if o["kind"] == "Job"}
    for job in jobs.values():
        assert render.is_hook(job)
        assert "pre-upgrade" in job["metadata"]["annotations"]["helm.sh/hook"]
    for service in SERVICES:
        command = container(jobs[f"baton-migrate-{service}"])["command"]
        assert command == ["python", "-m", "baton_runtime.migrations", f"baton_{service}"]
    topics = container(jobs["baton-topics"])["command"]
    assert topics[:3] == ["python", "-m", "baton_runtime.kafka.topics"]
    assert any(a.startswith("--partitions=") for a in topics)
    assert any(a.startswith("--replication-factor=") for a in topics)
    assert "--retention-ms=604800000" in topics
    assert "--dlq-retention-ms=2592000000" in topics


def test_routing_reads_its_catalog_from_a_mounted_config_map(rendered):
    objs = render.objects(rendered[1])
    routing = of_kind(objs, "Deployment")["routing"]
    path = env_of(routing)["BATON_CATALOG_PATH"]["value"]
    mount = next(m for m in container(routing)["volumeMounts"] if m["name"] == "files")
    assert Path(path).parent == Path(mount["mountPath"])
    config_map = of_kind(objs, "ConfigMap")["routing"]
    assert "departments:" in config_map["data"][Path(path).name]


def test_the_charts_catalog_is_the_routing_services_default_catalog():
    chart_copy = render.CHART / "files" / "routing" / "catalog.yaml"
    default = ROOT / "services" / "routing" / "src" / "baton_routing" / "catalog" / "default.yaml"
    assert chart_copy.read_text() == default.read_text()


def egress_ports(policy: dict) -> set[int]:
    return {p["port"] for rule in policy["spec"]["egress"] for p in rule["ports"]}


def test_network_policies_admit_only_what_each_service_needs(production):
    policies = of_kind(production, "NetworkPolicy")
    for name, policy in policies.items():
        assert policy["spec"]["ingress"][0]["ports"] == [{"protocol": "TCP", "port": "http"}]
        # Production reaches Kafka's SASL_SSL listener, on 9093.
        # The identity provider (JWKS) on 443: every service verifies tokens. Mail: those
        # who write to people (notifications to staff, intake to reporters); intake's
        # channel connectors are on 443 too.
        mail = {25, 587} if name in ("notifications", "intake") else set()
        # The workspace reaches ownership (commands) and notifications (interrupt load).
        own = {"workspace": {8003, 8004}}.get(name, set())
        assert egress_ports(policy) == {53, 9093, 5432, 4318, 443} | mail | own, name
    connectors = policies["intake"]["spec"]["egress"][-1]  # its extraEgress: smtp, connectors
    assert [p["port"] for p in connectors["ports"]] == [443]

    # The workspace reaches ownership's and notifications' pods only.
    for port, component in ((8003, "ownership"), (8004, "notifications")):
        (rule,) = [
            r for r in policies["workspace"]["spec"]["egress"] if r["ports"][0]["port"] == port
        ]
        assert rule["to"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == (
            component
        )


def test_only_notifications_may_reach_webhooks_and_not_private_or_metadata_ranges(production):
    policies = of_kind(production, "NetworkPolicy")
    to_any_public = [
        rule
        for name, policy in policies.items()
        for rule in policy["spec"]["egress"]
        if any("ipBlock" in peer for peer in rule.get("to", [])) and not (name == "notifications")
    ]
    assert to_any_public == []
    [webhooks] = [
        rule
        for rule in policies["notifications"]["spec"]["egress"]
        if any("ipBlock" in peer for peer in rule.get("to", []))
    ]
    assert webhooks["ports"] == [{"protocol": "TCP", "port": 443}]
    blocks = {peer["ipBlock"]["cidr"]: set(peer["ipBlock"]["except"]) for peer in webhooks["to"]}
    assert {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"} <= (
        blocks["0.0.0.0/0"]
    )
    assert {"fc00::/7", "fe80::/10"} <= blocks["::/0"]


def test_plain_manifests_keep_the_hook_jobs_apart_to_be_applied_first():
    manifests = render.MANIFESTS
    services = render.objects((manifests / "baton.yaml").read_text())
    jobs = render.objects((manifests / "jobs" / "jobs.yaml").read_text())
    assert {o["kind"] for o in services} >= {"Deployment", "Service", "NetworkPolicy"}
    assert "Job" not in {o["kind"] for o in services}
    assert {o["kind"] for o in jobs} == {"Job", "NetworkPolicy"}
    assert not any(render.is_hook(o) for o in services + jobs)
    assert len(services) + len(jobs) == len(render.objects(render.helm_template()))


def test_plain_manifests_have_not_drifted_from_the_chart():
    stale = render.drift()
    assert not stale, f"run `make manifests`: {stale}"


def test_notifications_reads_its_webhook_signing_secret_from_an_optional_secret(rendered):
    env = env_of(of_kind(render.objects(rendered[1]), "Deployment")["notifications"])
    ref = env["BATON_WEBHOOK_SECRET"]["valueFrom"]["secretKeyRef"]
    assert ref == {"name": "baton-webhook", "key": "secret", "optional": True}


def test_pods_are_annotated_for_scraping_and_monitoring_may_reach_them(production):
    policies = of_kind(production, "NetworkPolicy")
    for name, deployment in of_kind(production, "Deployment").items():
        pod = deployment["spec"]["template"]
        annotations = pod["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/path"] == "/metrics"
        assert annotations["prometheus.io/port"] == str(
            container(deployment)["ports"][0]["containerPort"]
        )
        assert env_of(deployment)["OTEL_METRICS_EXPORTER"]["value"] == "prometheus,otlp"
        peers = policies[name]["spec"]["ingress"][0]["from"]
        monitoring = {"kubernetes.io/metadata.name": "monitoring"}
        assert {"namespaceSelector": {"matchLabels": monitoring}} in peers, name
