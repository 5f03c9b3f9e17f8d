"""The chart's security settings: Kafka's SASL credentials and TLS files reach
every service and hook job from Secrets, at the paths the settings name; and
in jwt mode every service knows its identity provider and may reach it."""

from __future__ import annotations

import subprocess
from pathlib import PurePosixPath

import pytest
import yaml

from tests.deploy.conftest import SERVICES, VALUES, render, validate

MUTUAL_TLS = {
    "kafka": {
        "bootstrapServersSecret": {"name": "baton-kafka", "key": "bootstrap-servers"},
        "securityProtocol": "SSL",
        "tls": {"caSecretName": "baton-kafka-ca", "clientSecretName": "baton-kafka-client"},
    }
}


def template_with(tmp_path, values: dict) -> list[dict]:
    extra = tmp_path / "values.yaml"
    extra.write_text(yaml.safe_dump(values))
    return render.objects(render.helm_template(*VALUES["production"], extra))


def workloads(objs: list[dict]) -> dict[str, dict]:
    """Every Deployment and Job by name, with its pod spec."""
    return {
        o["metadata"]["name"]: o["spec"]["template"]["spec"]
        for o in objs
        if o["kind"] in ("Deployment", "Job")
    }


def env(pod: dict) -> dict[str, dict]:
    (c,) = pod["containers"]
    return {e["name"]: e for e in c["env"]}


def mounted_secret_item(pod: dict, path: str) -> tuple[str, str]:
    """(Secret name, key) of the file at ``path`` in the pod's only container."""
    (c,) = pod["containers"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    file = PurePosixPath(path)
    for mount in c["volumeMounts"]:
        if file.parent == PurePosixPath(mount["mountPath"]):
            assert mount.get("readOnly"), mount
            secret = volumes[mount["name"]]["secret"]
            (key,) = [i["key"] for i in secret["items"] if i["path"] == file.name]
            return secret["secretName"], key
    raise AssertionError(f"nothing is mounted at {path}")


def test_production_reaches_kafka_with_scram_over_tls_from_secrets(production):
    pods = workloads(production)
    assert len(pods) == 2 * len(SERVICES) + 1  # services, migrations, topics
    for name, pod in pods.items():
        e = env(pod)
        assert e["BATON_KAFKA_SECURITY_PROTOCOL"]["value"] == "SASL_SSL", name
        assert e["BATON_KAFKA_SASL_MECHANISM"]["value"] == "SCRAM-SHA-512", name
        for var, key in (("USERNAME", "username"), ("PASSWORD", "password")):
            ref = e[f"BATON_KAFKA_SASL_{var}"]["valueFrom"]["secretKeyRef"]
            assert (ref["name"], ref["key"]) == ("baton-kafka", key), name
        ca = e["BATON_KAFKA_SSL_CAFILE"]["value"]
        assert mounted_secret_item(pod, ca) == ("baton-kafka-ca", "ca.crt"), name


def test_mutual_tls_mounts_the_client_certificate_readable_by_the_pod_group_only(tmp_path):
    objs = template_with(tmp_path, MUTUAL_TLS)
    for obj in objs:
        validate(obj)
    for name, pod in workloads(objs).items():
        e = env(pod)
        assert e["BATON_KAFKA_SECURITY_PROTOCOL"]["value"] == "SSL"
        assert not {k for k in e if k.startswith("BATON_KAFKA_SASL_")}, name
        ref = e["KAFKA_BOOTSTRAP_SERVERS"]["valueFrom"]["secretKeyRef"]
        assert (ref["name"], ref["key"]) == ("baton-kafka", "bootstrap-servers")
        for var, key in (("CERTFILE", "tls.crt"), ("KEYFILE", "tls.key")):
            path = e[f"BATON_KAFKA_SSL_{var}"]["value"]
            assert mounted_secret_item(pod, path) == ("baton-kafka-client", key), name
        client = next(v for v in pod["volumes"] if v["name"] == "kafka-client")
        assert client["secret"]["defaultMode"] == 0o440
        assert pod["securityContext"]["fsGroup"] == pod["securityContext"]["runAsGroup"]


def test_plaintext_by_default_with_no_credentials_or_tls_files():
    objs = render.objects(render.helm_template(*VALUES["default"]))
    for name, pod in workloads(objs).items():
        e = env(pod)
        assert e["BATON_KAFKA_SECURITY_PROTOCOL"]["value"] == "PLAINTEXT"
        assert not {k for k in e if k.startswith(("BATON_KAFKA_SASL_", "BATON_KAFKA_SSL_"))}
        assert not {v["name"] for v in pod["volumes"]} & {"kafka-ca", "kafka-client"}, name


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"kafka": {"securityProtocol": "TLS"}}, "use PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL"),
        ({"kafka": {"sasl": {"secretName": ""}}}, "kafka.sasl.secretName"),
    ],
)
def test_a_kafka_setting_that_cannot_work_fails_the_render_naming_it(tmp_path, values, message):
    with pytest.raises(subprocess.CalledProcessError) as failed:
        template_with(tmp_path, values)
    assert message in failed.value.stderr


def test_every_service_verifies_tokens_from_its_identity_provider_and_may_reach_it(tmp_path):
    auth = {
        "jwksUrl": "https://id.corp.example/.well-known/jwks.json",
        "issuer": "https://id.corp.example/",
        "audience": "baton-prod",
    }
    objs = template_with(tmp_path, {"auth": auth})
    deployments = {o["metadata"]["name"]: o for o in objs if o["kind"] == "Deployment"}
    policies = {
        o["metadata"]["name"]: o
        for o in objs
        if o["kind"] == "NetworkPolicy" and not render.is_hook(o)
    }
    for name, deployment in deployments.items():
        e = env(deployment["spec"]["template"]["spec"])
        assert e["BATON_AUTH_MODE"]["value"] == "jwt"
        assert e["BATON_ENVIRONMENT"]["value"] == "production"
        assert e["BATON_AUTH_JWKS_URL"]["value"] == auth["jwksUrl"]
        assert e["BATON_AUTH_ACTOR_CLAIM"]["value"] == "sub"
        assert e["BATON_AUTH_ROLES_CLAIM"]["value"] == "roles"
        ports = {p["port"] for r in policies[name]["spec"]["egress"] for p in r["ports"]}
        assert 443 in ports, name


def test_no_provider_or_header_mode_fails_the_render(tmp_path):
    with pytest.raises(subprocess.CalledProcessError) as failed:
        template_with(tmp_path, {"auth": {"jwksUrl": ""}})
    assert "auth.jwksUrl" in failed.value.stderr
    with pytest.raises(subprocess.CalledProcessError) as failed:
        template_with(tmp_path, {"auth": {"mode": "header"}})
    assert "jwt only" in failed.value.stderr
