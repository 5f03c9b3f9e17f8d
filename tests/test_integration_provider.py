"""How the end-to-end tests choose where Kafka and PostgreSQL come from
(tests/integration/provider.py), including asking a real (fake) Docker engine."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.integration.provider import choose, docker_engine_answers


def never_asked() -> bool:
    raise AssertionError("the Docker engine must not be asked")


def test_no_engine_means_the_local_scripts():
    choice = choose({}, lambda: False)
    assert (choice.kafka, choice.postgres) == ("local", "local")
    assert "Kafka from deploy/local's scripts" in choice.describe()


def test_an_engine_that_answers_means_testcontainers_with_overridable_images():
    env = {"BATON_TEST_KAFKA_IMAGE": "apache/kafka:3.9.1", "BATON_TEST_POSTGRES_IMAGE": "pg:16"}
    choice = choose(env, lambda: True)
    assert (choice.kafka, choice.postgres) == ("testcontainers", "testcontainers")
    assert (choice.kafka_image, choice.postgres_image) == ("apache/kafka:3.9.1", "pg:16")
    assert "testcontainers (apache/kafka:3.9.1)" in choice.describe()


def test_running_servers_named_by_the_environment_are_used_without_asking_docker():
    env = {"KAFKA_BOOTSTRAP_SERVERS": "k:9092", "DATABASE_URL": "postgresql://x@h/db"}
    choice = choose(env, never_asked)
    assert (choice.kafka, choice.postgres) == ("external", "external")


def test_a_sqlite_database_url_is_not_a_postgresql_server():
    choice = choose({"DATABASE_URL": "sqlite:///x.db"}, lambda: False)
    assert choice.postgres == "local"


def test_the_engine_is_asked_once_for_both():
    asked = []
    choose({}, lambda: asked.append(1) or True)
    assert asked == [1]


def test_baton_test_infra_forces_the_choice_and_rejects_a_typo():
    assert choose({"BATON_TEST_INFRA": "local"}, never_asked).kafka == "local"
    assert choose({"BATON_TEST_INFRA": "testcontainers"}, never_asked).postgres == (
        "testcontainers"
    )
    with pytest.raises(ValueError, match="BATON_TEST_INFRA"):
        choose({"BATON_TEST_INFRA": "docker"}, never_asked)


class _UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


@pytest.fixture
def fake_docker_engine(tmp_path: Path) -> Iterator[str]:
    """An HTTP server on a unix socket that answers as a Docker engine does."""

    class Engine(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.endswith("/_ping"):
                body, kind = b"OK", "text/plain"
            elif self.path.endswith("/version"):
                body, kind = (
                    json.dumps({"ApiVersion": "1.47", "Version": "27.0"}).encode(),
                    ("application/json"),
                )
            else:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def address_string(self) -> str:  # a unix socket has no client address
            return "local"

        def log_message(self, *args: object) -> None:
            pass

    path = tmp_path / "docker.sock"
    server = _UnixHTTPServer(str(path), Engine)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"unix://{path}"
    finally:
        server.shutdown()
        server.server_close()


def test_docker_engine_answers_when_one_answers(fake_docker_engine, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", fake_docker_engine)
    assert docker_engine_answers() is True


def test_a_docker_client_without_an_engine_does_not_count(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/nothing-listens-here.sock")
    assert docker_engine_answers(timeout_s=1) is False
