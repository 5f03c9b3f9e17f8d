"""How Baton's Kafka clients reach the cluster: bootstrap servers, and the
security protocol (TLS, SASL or both) every producer, consumer and admin
client of a process shares.

The settings come from the environment (``KafkaSettings``; every service's
settings include them); ``KafkaConnection`` turns them into aiokafka's keyword
arguments.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


@dataclass(frozen=True)
class KafkaConnection:
    bootstrap_servers: str
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str = ""
    sasl_password: SecretStr = field(default_factory=lambda: SecretStr(""), repr=False)
    # PEM files. No CA file: the system's trusted CAs verify the brokers.
    ssl_cafile: str = ""
    # Mutual TLS: the client's certificate (chain) and its private key.
    ssl_certfile: str = ""
    ssl_keyfile: str = ""

    @classmethod
    def of(cls, target: KafkaConnection | str) -> KafkaConnection:
        """A connection as given, or a plaintext one to these bootstrap servers."""
        return target if isinstance(target, KafkaConnection) else cls(target)

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol.startswith("SASL_")

    def ssl_context(self) -> ssl.SSLContext:
        """Verifies the broker's certificate and host name, TLS 1.2 at least."""
        context = ssl.create_default_context(cafile=self.ssl_cafile or None)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if self.ssl_certfile:
            context.load_cert_chain(self.ssl_certfile, self.ssl_keyfile or None)
        return context

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for AIOKafkaProducer, AIOKafkaConsumer and the admin client."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers,
            "security_protocol": self.security_protocol,
        }
        if self.uses_tls:
            options["ssl_context"] = self.ssl_context()
        if self.uses_sasl:
            options["sasl_mechanism"] = self.sasl_mechanism
            options["sasl_plain_username"] = self.sasl_username
            options["sasl_plain_password"] = self.sasl_password.get_secret_value()
        return options

    def describe(self) -> str:
        """For logs and error messages: where and how, never the password."""
        how = self.security_protocol
        if self.uses_sasl:
            how += f" {self.sasl_mechanism} as {self.sasl_username!r}"
        return f"{self.bootstrap_servers} ({how})"


class KafkaSettings(BaseSettings):
    """The cluster and how to authenticate to it, from the environment:
    ``KAFKA_BOOTSTRAP_SERVERS`` and ``BATON_KAFKA_*``."""

    model_config = SettingsConfigDict(env_prefix="BATON_", extra="ignore")

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "BATON_KAFKA_BOOTSTRAP_SERVERS"),
    )
    kafka_security_protocol: SecurityProtocol = "PLAINTEXT"
    kafka_sasl_mechanism: SaslMechanism | None = None
    kafka_sasl_username: str = ""
    kafka_sasl_password: SecretStr = SecretStr("")
    kafka_ssl_cafile: str = ""
    kafka_ssl_certfile: str = ""
    kafka_ssl_keyfile: str = ""

    @model_validator(mode="after")
    def _consistent_security(self) -> KafkaSettings:
        protocol = self.kafka_security_protocol
        if protocol.startswith("SASL_"):
            missing = [
                f"BATON_KAFKA_SASL_{name.upper()}"
                for name, value in (
                    ("mechanism", self.kafka_sasl_mechanism),
                    ("username", self.kafka_sasl_username),
                    ("password", self.kafka_sasl_password.get_secret_value()),
                )
                if not value
            ]
            if missing:
                raise ValueError(f"security protocol {protocol} needs {', '.join(missing)}")
        elif self.kafka_sasl_mechanism or self.kafka_sasl_username:
            raise ValueError(
                f"SASL settings are given but the security protocol is {protocol}: "
                "set BATON_KAFKA_SECURITY_PROTOCOL to SASL_SSL (or SASL_PLAINTEXT)"
            )
        tls_files = self.kafka_ssl_cafile or self.kafka_ssl_certfile or self.kafka_ssl_keyfile
        if tls_files and protocol not in ("SSL", "SASL_SSL"):
            raise ValueError(
                f"TLS files are given but the security protocol is {protocol}: "
                "set BATON_KAFKA_SECURITY_PROTOCOL to SSL or SASL_SSL"
            )
        if self.kafka_ssl_keyfile and not self.kafka_ssl_certfile:
            raise ValueError("BATON_KAFKA_SSL_KEYFILE needs BATON_KAFKA_SSL_CERTFILE")
        for name in ("cafile", "certfile", "keyfile"):
            path = getattr(self, f"kafka_ssl_{name}")
            if path and not Path(path).is_file():
                raise ValueError(f"BATON_KAFKA_SSL_{name.upper()}: there is no file {path}")
        return self

    def kafka(self) -> KafkaConnection:
        # Each of the connection's fields is the setting of the same name after "kafka_".
        wanted = fields(KafkaConnection)
        return KafkaConnection(**{f.name: getattr(self, f"kafka_{f.name}") for f in wanted})


class KafkaUnavailable(RuntimeError):
    """A client could not start: the cluster is unreachable or refused us."""


async def start_client(client: Any, kafka: KafkaConnection) -> None:
    """Start an aiokafka client; failing that, close it and raise an error that
    says where, how and why: aiokafka's own only says it could not bootstrap,
    and logs the cause (refused credentials, an untrusted certificate) apart."""
    causes = _Causes()
    aiokafka_log = logging.getLogger("aiokafka")
    aiokafka_log.addHandler(causes)
    try:
        await client.start()
    except Exception as exc:
        close = getattr(client, "stop", None) or client.close
        try:
            await close()
        except Exception:
            pass
        why = causes.last or str(exc) or type(exc).__name__
        raise KafkaUnavailable(f"cannot connect to Kafka at {kafka.describe()}: {why}") from exc
    finally:
        aiokafka_log.removeHandler(causes)


class _Causes(logging.Handler):
    """Remembers the last error aiokafka logged."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.last = ""

    def emit(self, record: logging.LogRecord) -> None:
        self.last = record.getMessage()[:500]
