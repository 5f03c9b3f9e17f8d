import pytest
from baton_runtime.db import async_url
from baton_runtime.settings import ServiceSettings
from pydantic import ValidationError


class DemoSettings(ServiceSettings):
    service = "demo"


def test_defaults_to_an_embedded_sqlite_file_and_a_schema_named_after_the_service(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    s = DemoSettings()
    assert s.database_url == "sqlite+aiosqlite:///.run/demo.db"
    assert s.database_schema == "demo"


def test_conventional_variables_and_topic_prefix(monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db/baton")
    monkeypatch.setenv("BATON_TOPIC_PREFIX", "staging.")
    s = DemoSettings()
    assert s.kafka_bootstrap_servers == "kafka:9092"
    assert s.topic("issues.reported") == "staging.issues.reported"
    assert s.group_id() == "staging.baton-demo"


def test_schema_must_be_a_plain_identifier(monkeypatch):
    monkeypatch.setenv("BATON_DATABASE_SCHEMA", 'x"; drop table y; --')
    with pytest.raises(ValidationError):
        DemoSettings()


def test_plain_database_urls_get_their_async_driver():
    assert async_url("postgresql://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert async_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    assert async_url("postgresql+asyncpg://u@h/db") == "postgresql+asyncpg://u@h/db"


def test_the_log_level_is_a_setting_and_an_unknown_one_is_refused(monkeypatch):
    import logging

    from baton_runtime.service import configure_logging

    monkeypatch.setenv("BATON_LOG_LEVEL", "warning")
    root = logging.getLogger()
    was = root.level, root.handlers[:]
    try:
        configure_logging(DemoSettings())
        assert root.level == logging.WARNING
        monkeypatch.setenv("BATON_LOG_LEVEL", "debug")
        configure_logging(DemoSettings())
        assert root.level == logging.DEBUG
    finally:
        root.setLevel(was[0])
        root.handlers[:] = was[1]
    monkeypatch.setenv("BATON_LOG_LEVEL", "loud")
    with pytest.raises(ValidationError, match="log_level"):
        DemoSettings()


def test_the_producer_s_linger_is_a_setting_and_reaches_the_producer(monkeypatch, tmp_path):
    from baton_runtime.service import Runtime

    monkeypatch.setenv("BATON_PRODUCER_LINGER_MS", "20")
    runtime = Runtime(name="t", settings=DemoSettings(), migrations_dir=tmp_path)
    assert runtime.producer.linger_ms == 20
    monkeypatch.setenv("BATON_PRODUCER_LINGER_MS", "-1")
    with pytest.raises(ValidationError):
        DemoSettings()
    monkeypatch.delenv("BATON_PRODUCER_LINGER_MS")
    assert DemoSettings().producer_linger_ms == 0  # each hop sends at once
