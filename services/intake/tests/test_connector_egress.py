"""Intake's connectors go only where they may (the kernel's egress guard): https
outside development, public addresses checked at connect time (after the name
resolves), internal ones only when BATON_CONNECTOR_ALLOWED_HOSTS allows them,
never the metadata address, no redirects followed, and what a connector answers
never reaches a message's recorded reason.

Names resolve through a stub; connections are real sockets to real receivers
(plain HTTP, or TLS with a certificate made here for the production cases)."""

from __future__ import annotations

import datetime as dt
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from baton_intake.app import create_app
from baton_intake.outbound import dispatcher, senders
from baton_intake.outbound.models import ReporterMessage
from baton_intake.settings import Connector, Settings
from baton_runtime import migrations
from baton_runtime.egress import Resolver
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import ValidationError
from sqlmodel import select

from conftest import running_http_receiver

from .conftest import MIGRATIONS, Client
from .test_reporters_hear_back import assigned, ownership

SECRET = "chat-connector-secret"
PROD = {"environment": "production", "auth_mode": "jwt", "connector_timeout_s": 2}
BODY = {"kind": "acknowledged", "text": "We have your request."}


def stub(answers: dict[str, list[str]]) -> Resolver:
    async def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            raise OSError(f"no such name {host}")
        return answers[host]

    return resolve


def connector(url: str) -> Connector:
    return Connector.model_validate({"url": url, "secret": SECRET})


class TlsReceiver:
    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.port = 0
        self.trust: ssl.SSLContext | None = None


def certificate(tmp: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for ``name`` (the connector's host name)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp / "cert.pem", tmp / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@contextmanager
def running_tls_receiver(tmp: Path, name: str) -> Iterator[TlsReceiver]:
    """An https connector on 127.0.0.1 whose certificate names ``name``."""
    receiver = TlsReceiver()
    cert_file, key_file = certificate(tmp, name)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            receiver.received.append(self.rfile.read(int(self.headers["content-length"])))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(cert_file, key_file)
    server.socket = served.wrap_socket(server.socket, server_side=True)
    receiver.port = server.server_address[1]
    receiver.trust = ssl.create_default_context(cafile=str(cert_file))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


# ---- production: public addresses only, unless allowed on purpose ---------------


async def test_a_loopback_connector_is_refused_in_production_before_any_connection(
    http_receiver,
):
    port = http_receiver.url.split(":")[2].split("/")[0]
    with pytest.raises(senders.SendFailed) as refused:
        await senders.post(
            connector(f"https://127.0.0.1:{port}/hook"), BODY, settings=Settings(**PROD)
        )
    assert refused.value.permanent
    assert refused.value.reason == (
        "connector refused: a loopback address; connectors go only to public addresses "
        "unless BATON_CONNECTOR_ALLOWED_HOSTS allows them"
    )
    assert http_receiver.requests == 0


async def test_a_name_resolving_to_a_private_address_is_refused_at_connect_time():
    resolve = stub({"chat.internal": ["10.20.0.7"]})
    with pytest.raises(senders.SendFailed, match=r"chat\.internal resolves to a private address"):
        await senders.post(
            connector("https://chat.internal/hook"),
            BODY,
            settings=Settings(**PROD),
            resolve=resolve,
        )


async def test_an_allowed_host_reaches_its_internal_connector_over_https(tmp_path):
    resolve = stub({"chat.internal": ["127.0.0.1"]})
    with running_tls_receiver(tmp_path, "chat.internal") as receiver:
        url = f"https://chat.internal:{receiver.port}/hook"
        for allowed in (["chat.internal"], ["127.0.0.0/8"]):
            settings = Settings(**PROD, connector_allowed_hosts=allowed)
            await senders.post(
                connector(url), BODY, settings=settings, resolve=resolve, ssl_context=receiver.trust
            )
        # Without the allow-list the same connector is refused.
        with pytest.raises(senders.SendFailed, match="resolves to a loopback address"):
            await senders.post(
                connector(url), BODY, settings=Settings(**PROD), resolve=resolve,
                ssl_context=receiver.trust,
            )  # fmt: skip
    assert len(receiver.received) == 2


async def test_an_allow_list_covers_only_what_it_names_and_never_the_metadata_address():
    settings = Settings(**PROD, connector_allowed_hosts=["chat.internal", "10.20.0.0/16"])
    resolve = stub({"other.internal": ["10.30.0.1"], "chat.internal": ["169.254.169.254"]})
    with pytest.raises(senders.SendFailed, match=r"other\.internal resolves to a private address"):
        await senders.post(
            connector("https://other.internal/"), BODY, settings=settings, resolve=resolve
        )
    with pytest.raises(senders.SendFailed) as metadata:
        await senders.post(
            connector("https://chat.internal/"), BODY, settings=settings, resolve=resolve
        )
    assert metadata.value.reason == (
        "connector refused: chat.internal resolves to the cloud metadata address; "
        "connectors go only to public addresses"
    )


def test_the_allow_list_is_off_by_default_and_refuses_what_is_not_a_host_or_network():
    assert Settings().connector_allowed_hosts == []
    with pytest.raises(ValidationError, match="BATON_CONNECTOR_ALLOWED_HOSTS: 'https://x/'"):
        Settings(connector_allowed_hosts=["https://x/"])


# ---- https outside development ------------------------------------------------------


def test_an_http_connector_stops_intake_at_start_outside_development():
    plain = {"chat": {"url": "http://chat.example/baton", "secret": SECRET}}
    with pytest.raises(ValidationError, match="BATON_REPLY_CONNECTORS: the chat connector URL"):
        Settings(**PROD, reply_connectors=plain)
    assert Settings(environment="development", reply_connectors=plain).reply_connectors


async def test_an_http_connector_is_refused_per_send_in_production_too(http_receiver):
    with pytest.raises(senders.SendFailed) as refused:
        await senders.post(connector(http_receiver.url), BODY, settings=Settings(**PROD))
    assert refused.value.reason == (
        "connector refused: connector URLs must use https (http only in development)"
    )
    assert http_receiver.requests == 0


# ---- what a connector answers ----------------------------------------------------------


async def test_a_redirect_is_not_followed():
    dev = Settings(environment="development")
    with running_http_receiver() as target, running_http_receiver() as redirecting:
        redirecting.fail_next(307)
        redirecting.answer_headers = {"location": target.url}
        with pytest.raises(senders.SendFailed) as failed:
            await senders.post(connector(redirecting.url), BODY, settings=dev)
        assert (redirecting.requests, target.requests) == (1, 0)
    assert failed.value.reason == "connector answered 307 (redirects are not followed)"
    assert failed.value.permanent


async def test_a_slow_connector_is_cut_off_at_the_timeout(http_receiver):
    http_receiver.delay_s = 1.5
    dev = Settings(environment="development", connector_timeout_s=0.3)
    with pytest.raises(senders.SendFailed) as failed:
        await senders.post(connector(http_receiver.url), BODY, settings=dev)
    assert (failed.value.reason, failed.value.permanent) == ("connector timeout after 0.3s", False)


async def answer_a_chat(tmp_path, smtp_server, url: str, **sending) -> ReporterMessage:
    """A chat taken in (in development) and its acknowledgement sent with the
    settings ``sending`` gives; the message as recorded."""
    taking = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/chat.db",
        smtp_port=smtp_server.port,
        reply_connectors={"chat": {"url": "https://chat.example/baton", "secret": SECRET}},
    )
    migrations.upgrade(MIGRATIONS, taking.database_url)
    app = create_app(taking)
    async with Client(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        c.runtime = app.state.runtime
        c.headers["Authorization"] = "Bearer " + await c.key("intake:write")
        transcript = {
            "conversation_id": "conv-9", "customer": {"email": "ada@example.com"},
            "messages": [{"from": "customer", "text": "My parcel never arrived.",
                          "at": "2026-11-23T10:00:00Z"}],
        }  # fmt: skip
        taken = (await c.post("/v1/channels/chat", json=transcript)).json()
        await ownership(c, assigned(taken["issue_id"], department="operations"))
        settings = Settings.model_validate(
            taking.model_dump()
            | {"reply_connectors": {"chat": {"url": url, "secret": SECRET}}}
            | sending
        )
        await dispatcher.send_due(db=c.runtime.db, settings=settings)
        async with c.runtime.db.session() as session:
            [message] = (await session.exec(select(ReporterMessage))).all()
    await app.state.runtime.db.dispose()
    return message


async def test_the_recorded_reason_never_echoes_what_the_connector_answered(
    tmp_path, smtp_server, http_receiver
):
    http_receiver.always_fail = True
    http_receiver.answer_body = b'{"AccessKeyId": "ASIA-SECRET", "Token": "from-the-metadata"}'
    message = await answer_a_chat(tmp_path, smtp_server, http_receiver.url)
    assert http_receiver.requests == 1
    assert (message.status, message.reason) == ("pending", "connector answered 500")


async def test_a_refused_connector_is_recorded_as_failed_in_batons_words(
    tmp_path, smtp_server, http_receiver
):
    port = http_receiver.url.split(":")[2].split("/")[0]
    url = f"https://127.0.0.1:{port}/hook"
    message = await answer_a_chat(tmp_path, smtp_server, url, **PROD)
    assert http_receiver.requests == 0
    assert message.status == "failed"
    assert message.reason == (
        "connector refused: a loopback address; connectors go only to public addresses "
        "unless BATON_CONNECTOR_ALLOWED_HOSTS allows them"
    )
