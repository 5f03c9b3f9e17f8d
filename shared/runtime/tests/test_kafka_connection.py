"""Kafka security settings: what each protocol needs, what a mistake says, and
the options every aiokafka client of a service is given."""

from __future__ import annotations

import ssl

import pytest
from baton_runtime.kafka.connection import KafkaConnection, KafkaSettings
from pydantic import ValidationError

SASL = {
    "BATON_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
    "BATON_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
    "BATON_KAFKA_SASL_USERNAME": "baton",
    "BATON_KAFKA_SASL_PASSWORD": "s3cret-value",
}


def settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> KafkaSettings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return KafkaSettings()


def test_plaintext_by_default_with_no_tls_or_sasl_options(monkeypatch):
    kafka = settings(monkeypatch, KAFKA_BOOTSTRAP_SERVERS="k1:9092,k2:9092").kafka()
    assert kafka.client_options() == {
        "bootstrap_servers": "k1:9092,k2:9092",
        "security_protocol": "PLAINTEXT",
    }


def test_sasl_ssl_gives_every_client_the_mechanism_credentials_and_a_verifying_context(
    monkeypatch,
):
    options = settings(monkeypatch, **SASL).kafka().client_options()
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == (
        "baton",
        "s3cret-value",
    )
    context = options["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2


def test_sasl_plaintext_sends_no_tls_context(monkeypatch):
    options = (
        settings(monkeypatch, **SASL | {"BATON_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT"})
        .kafka()
        .client_options()
    )
    assert "ssl_context" not in options and options["sasl_mechanism"] == "SCRAM-SHA-512"


@pytest.mark.parametrize("missing", ["MECHANISM", "USERNAME", "PASSWORD"])
def test_sasl_without_a_credential_names_the_variable_to_set(monkeypatch, missing):
    env = {k: v for k, v in SASL.items() if not k.endswith(missing)}
    with pytest.raises(ValidationError, match=f"needs BATON_KAFKA_SASL_{missing}"):
        settings(monkeypatch, **env)


@pytest.mark.parametrize(
    ("env", "hint"),
    [
        ({"BATON_KAFKA_SSL_CAFILE": "/etc/ca.pem"}, "TLS files are given"),
        ({"BATON_KAFKA_SASL_USERNAME": "baton"}, "SASL settings are given"),
        (
            {"BATON_KAFKA_SECURITY_PROTOCOL": "SSL", "BATON_KAFKA_SSL_KEYFILE": "/k.pem"},
            "needs BATON_KAFKA_SSL_CERTFILE",
        ),
        ({"BATON_KAFKA_SECURITY_PROTOCOL": "TLS"}, "PLAINTEXT.*SASL_SSL"),
        ({**SASL, "BATON_KAFKA_SASL_MECHANISM": "GSSAPI"}, "SCRAM-SHA-512"),
    ],
)
def test_settings_that_would_not_do_what_was_meant_are_refused(monkeypatch, env, hint):
    """A CA file with PLAINTEXT would otherwise connect in the clear, silently."""
    with pytest.raises(ValidationError, match=hint):
        settings(monkeypatch, **env)


def test_the_password_shows_in_no_repr_or_description(monkeypatch):
    s = settings(monkeypatch, **SASL)
    kafka = s.kafka()
    assert "s3cret-value" not in repr(s) + repr(kafka) + kafka.describe()
    assert kafka.describe() == "127.0.0.1:9092 (SASL_SSL SCRAM-SHA-512 as 'baton')"


def test_a_missing_tls_file_is_named_at_start_not_at_first_connection(monkeypatch, tmp_path):
    ca = tmp_path / "ca.pem"
    with pytest.raises(ValidationError, match=f"BATON_KAFKA_SSL_CAFILE: there is no file {ca}"):
        settings(monkeypatch, BATON_KAFKA_SECURITY_PROTOCOL="SSL", BATON_KAFKA_SSL_CAFILE=str(ca))


def test_a_bare_address_is_a_plaintext_connection():
    assert KafkaConnection.of("k:9092") == KafkaConnection("k:9092")
    kafka = KafkaConnection("k:9093", "SSL")
    assert KafkaConnection.of(kafka) is kafka


def test_every_kafka_setting_reaches_the_connection(monkeypatch, tmp_path):
    files = {name: tmp_path / f"{name}.pem" for name in ("cafile", "certfile", "keyfile")}
    for path in files.values():
        path.write_text("")
    env = SASL | {f"BATON_KAFKA_SSL_{name.upper()}": str(p) for name, p in files.items()}
    kafka = settings(monkeypatch, **env).kafka()
    assert (kafka.ssl_cafile, kafka.ssl_certfile, kafka.ssl_keyfile) == tuple(
        str(p) for p in files.values()
    )
    assert (kafka.security_protocol, kafka.sasl_mechanism, kafka.sasl_username) == (
        "SASL_SSL",
        "SCRAM-SHA-512",
        "baton",
    )
    assert kafka.sasl_password.get_secret_value() == "s3cret-value"
