"""Each service's Alembic scripts build exactly the tables its models declare:
a model change without its migration fails here, not in production."""

import importlib
from pathlib import Path

import pytest
import sqlalchemy
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from baton_runtime import migrations
from baton_runtime.migrations import baseline
from sqlmodel import SQLModel

SERVICES = ["intake", "routing", "ownership", "notifications", "workspace"]


def service_tables(service: str) -> set[str]:
    """The tables the service's env.py registers, and the kernel's its branch builds."""
    return {t.name for t in baseline.service_tables(f"baton_{service}")} | baseline.KERNEL_TABLES


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_build_what_the_models_declare(service, tmp_path):
    url = f"sqlite:///{tmp_path}/{service}.db"
    package = Path(importlib.import_module(f"baton_{service}").__file__).parent
    migrations.upgrade(package / "migrations", url)
    tables = service_tables(service)
    assert tables, f"{service} declares no tables?"
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        present = set(sqlalchemy.inspect(conn).get_table_names()) - {"alembic_version"}
    engine.dispose()
    assert present == tables
    # Other services' tables share the process-wide metadata: judge only this service's.
    ours = [d for d in diffs if _table_of(d) in tables]
    assert ours == [], f"{service}: models and migrations differ: {ours}"


def _table_of(diff) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:]:
        table = getattr(part, "table", None)
        if table is not None:
            return table.name
        name = getattr(part, "name", None)
        if isinstance(part, sqlalchemy.Table):
            return name
    return item[2] if len(item) > 2 and isinstance(item[2], str) else None


@pytest.mark.parametrize("service", SERVICES)
def test_a_database_from_before_the_kernel_owned_its_tables_upgrades_in_place(service, tmp_path):
    """Such a database already has the outbox and processed events (its service's
    old scripts built them) and is at the revision the baseline now carries: the
    kernel's branch leaves those tables as they are and records its own head."""
    url = f"sqlite:///{tmp_path}/{service}.db"
    package = Path(importlib.import_module(f"baton_{service}").__file__).parent
    engine = sqlalchemy.create_engine(url)
    tables = [SQLModel.metadata.tables[t] for t in service_tables(service)]
    SQLModel.metadata.create_all(engine, tables=tables)
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text("INSERT INTO processed_events VALUES ('e1', '2026-01-01')"))
    config = migrations.alembic_config(package / "migrations", url)
    baseline = ScriptDirectory.from_config(config).get_heads()
    service_head = [h for h in baseline if not h.startswith("k")]
    command.stamp(config, service_head)

    migrations.upgrade(package / "migrations", url)

    with engine.connect() as conn:
        versions = {r[0] for r in conn.execute(sqlalchemy.text("SELECT * FROM alembic_version"))}
        kept = conn.execute(sqlalchemy.text("SELECT event_id FROM processed_events")).all()
    engine.dispose()
    assert versions == set(baseline) and "k0001" in versions
    assert kept == [("e1",)]
