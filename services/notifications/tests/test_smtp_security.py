"""STARTTLS and login, against an aiosmtpd server that requires both."""

import ssl
import subprocess

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from baton_notifications.senders import email
from baton_notifications.senders.errors import DeliveryError
from baton_notifications.settings import Settings
from pydantic import SecretStr

from conftest import Inbox, free_port, text_of

CONTENT = {"to": "Gita Rao <gita.rao@example.com>", "subject": "s", "text": "hello", "html": "<p>"}


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def only_baton_s3cret(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"baton",
        b"s3cret",
    )
    return AuthResult(success=ok)


@pytest.fixture
def secure_server(certificate):
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=context,
        require_starttls=True,
        authenticator=only_baton_s3cret,
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


def settings(server, certificate, **kw):
    return Settings(
        smtp_port=server.port,
        smtp_starttls=True,
        smtp_ca_file=str(certificate[0]),
        smtp_timeout_s=5,
        **kw,
    )


async def test_mail_goes_over_starttls_with_login(secure_server, certificate):
    s = settings(
        secure_server, certificate, smtp_username="baton", smtp_password=SecretStr("s3cret")
    )
    await email.send(CONTENT, settings=s)
    [mail] = secure_server.messages
    assert text_of(mail).strip() == "hello"


async def test_without_starttls_a_server_that_requires_it_refuses(secure_server, certificate):
    s = settings(secure_server, certificate).model_copy(update={"smtp_starttls": False})
    with pytest.raises(DeliveryError) as failed:
        await email.send(CONTENT, settings=s)
    assert failed.value.permanent and "STARTTLS" in failed.value.reason
    assert secure_server.messages == []
