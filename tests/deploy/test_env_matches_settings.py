"""The environment the chart gives each service is exactly what that service
reads: no variable it would ignore, none the deployment needs left unset."""

from __future__ import annotations

import importlib
import re

import opentelemetry.environment_variables as otel_api_env
import opentelemetry.sdk.environment_variables as otel_sdk_env
import pytest
from baton_runtime import telemetry
from pydantic import AliasChoices

from tests.deploy.conftest import SERVICES, container, of_kind, render

# What a Kubernetes deployment cannot leave to the defaults (the defaults suit a laptop).
NEEDED = {
    "KAFKA_BOOTSTRAP_SERVERS",
    "DATABASE_URL",
    "BATON_HOST",
    "BATON_PORT",
    "BATON_MIGRATE_ON_START",
    "BATON_CREATE_TOPICS",
    "OTEL_SERVICE_NAME",
}
NEEDED_BY = {
    "routing": {"BATON_CATALOG_PATH"},
    "notifications": {"BATON_SMTP_HOST", "BATON_WORKSPACE_URL"},
    "workspace": {
        "BATON_WORKSPACE_OWNERSHIP_URL",
        "BATON_WORKSPACE_OIDC_ISSUER",
        "BATON_WORKSPACE_OIDC_CLIENT_ID",
        "BATON_WORKSPACE_OIDC_REDIRECT_URL",
        "BATON_WORKSPACE_SESSION_KEY",
    },
}


def settings_env(service: str) -> tuple[set[str], set[str]]:
    """(every variable the service's Settings read, those without a default)."""
    cls = importlib.import_module(f"baton_{service}.settings").Settings
    prefix = cls.model_config.get("env_prefix", "")
    names: set[str] = set()
    required: set[str] = set()
    for field_name, field in cls.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            choices = {c for c in alias.choices if isinstance(c, str)}
        elif isinstance(alias, str):
            choices = {alias}
        else:
            choices = {f"{prefix}{field_name}".upper()}
        names |= choices
        if field.is_required():
            required |= choices
    return names, required


def otel_env() -> set[str]:
    """OTEL_* names the OpenTelemetry SDK reads, and those Baton's telemetry reads."""
    known = {
        v
        for module in (otel_sdk_env, otel_api_env)
        for k, v in vars(module).items()
        if k.startswith("OTEL_") and isinstance(v, str)
    }
    source = open(telemetry.__file__).read()
    return known | set(re.findall(r"\bOTEL_[A-Z_]+\b", source))


@pytest.mark.parametrize("service", SERVICES)
def test_chart_env_is_exactly_what_the_service_reads(service, rendered):
    deployment = of_kind(render.objects(rendered[1]), "Deployment")[service]
    given = {e["name"] for e in container(deployment)["env"]}
    reads, required = settings_env(service)
    ignored = given - reads - otel_env()
    assert not ignored, f"{service} ignores {sorted(ignored)}"
    missing = (required | NEEDED | NEEDED_BY.get(service, set())) - given
    assert not missing, f"{service} needs {sorted(missing)}"


def test_the_read_set_follows_prefix_and_aliases():
    reads, _ = settings_env("notifications")
    assert {"KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "BATON_SMTP_PASSWORD"} <= reads
    assert "BATON_CATALOG_PATH" not in reads
    assert "KAFKA_SASL_MECHANISM" not in reads | otel_env()
