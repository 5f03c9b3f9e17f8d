"""A baseline kept as data builds exactly the tables it was written from."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations
from baton_runtime.migrations.baseline import baseline, dumps, service_tables, snapshot
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime


def every_kind_of_table() -> sa.MetaData:
    metadata = sa.MetaData()
    sa.Table(
        "tickets",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", AutoString(length=16), nullable=False),
        sa.Column("title", sa.Text, nullable=True),
        sa.Column("open", sa.Boolean, nullable=False),
        sa.Column("score", sa.Float, nullable=True),
        sa.Column("tags", sa.JSON, nullable=False, server_default="[]"),
        sa.Column("opened_at", UTCDateTime, nullable=False, index=True),
        sa.UniqueConstraint("code"),
        sa.UniqueConstraint("title", "score", name="uq_tickets_title_score"),
        sa.Index(
            "uq_tickets_one_open",
            "code",
            unique=True,
            postgresql_where=sa.text("open"),
            sqlite_where=sa.text("open"),
        ),
    )
    sa.Table(
        "marks",
        metadata,
        sa.Column("ticket_id", sa.Integer, primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
    )
    return metadata


def build(script, engine: sa.Engine, step: str) -> None:
    upgrade, downgrade = baseline(str(script))
    with engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        (upgrade if step == "upgrade" else downgrade)()


def test_the_tables_built_from_a_snapshot_are_those_it_was_written_from(tmp_path):
    metadata = every_kind_of_table()
    (tmp_path / "0001_baseline.json").write_text(dumps(snapshot(metadata.sorted_tables)))
    engine = sa.create_engine(f"sqlite:///{tmp_path}/db.sqlite")
    build(tmp_path / "0001_baseline.py", engine, "upgrade")
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        inspector = sa.inspect(conn)
        partial = {i["name"]: i for i in inspector.get_indexes("tickets")}["uq_tickets_one_open"]
        default = {c["name"]: c for c in inspector.get_columns("tickets")}["tags"]["default"]
    assert partial["unique"] and str(partial["dialect_options"]["sqlite_where"]) == "open"
    assert default == "'[]'"
    build(tmp_path / "0001_baseline.py", engine, "downgrade")
    assert sa.inspect(engine).get_table_names() == []


def test_the_snapshot_reads_as_a_schema_one_column_a_line():
    written = dumps(snapshot(every_kind_of_table().sorted_tables))
    assert '    {"name": "code", "type": "string", "length": 16},' in written.splitlines()
    assert '    {"name": "title", "type": "text", "nullable": true},' in written.splitlines()
    assert json.loads(written)["tables"][0]["primary_key"] == ["ticket_id", "seq"]


def test_a_type_the_snapshot_has_no_name_for_is_refused_naming_the_column():
    metadata = sa.MetaData()
    sa.Table(
        "t", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("b", sa.LargeBinary)
    )
    with pytest.raises(ValueError, match=r"t\.b: a snapshot has no name for LargeBinary"):
        snapshot(metadata.sorted_tables)


def test_a_service_snapshot_leaves_the_kernel_tables_to_the_kernel_branch():
    names = {t.name for t in service_tables("baton_routing")}
    assert "routing_decisions" in names and not names & {"outbox", "processed_events"}


def test_the_snapshot_command_prints_a_service_snapshot():
    printed = subprocess.run(
        [sys.executable, "-m", "baton_runtime.migrations", "snapshot", "baton_routing"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "routing_decisions" in {t["name"] for t in json.loads(printed)["tables"]}


def test_an_ordinary_alembic_script_after_a_baseline_migrates_on_from_it(tmp_path):
    """The next schema change after a squash is a plain Alembic script whose
    down_revision is the baseline's: both run, in order, beside the kernel's branch."""
    from baton_runtime import migrations

    scripts = tmp_path / "migrations"
    (scripts / "versions").mkdir(parents=True)
    (scripts / "env.py").write_text(
        "from baton_runtime.migrations import run_env\n"
        "from sqlalchemy import MetaData\n\n"
        "run_env(MetaData())\n"
    )
    metadata = every_kind_of_table()
    (scripts / "versions/0001_baseline.json").write_text(dumps(snapshot(metadata.sorted_tables)))
    (scripts / "versions/0001_baseline.py").write_text(
        "from baton_runtime.migrations.baseline import baseline\n\n"
        'revision = "0001"\n'
        "down_revision = None\n"
        "upgrade, downgrade = baseline(__file__)\n"
    )
    (scripts / "versions/0002_ticket_owner.py").write_text(
        "import sqlalchemy as sa\n"
        "from alembic import op\n\n"
        'revision = "0002"\n'
        'down_revision = "0001"\n\n\n'
        "def upgrade() -> None:\n"
        '    with op.batch_alter_table("tickets") as batch_op:\n'
        '        batch_op.add_column(sa.Column("owner", sa.String(64), nullable=True))\n\n\n'
        "def downgrade() -> None:\n"
        '    with op.batch_alter_table("tickets") as batch_op:\n'
        '        batch_op.drop_column("owner")\n'
    )
    url = f"sqlite:///{tmp_path}/db.sqlite"
    migrations.upgrade(scripts, url)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        columns = [c["name"] for c in inspector.get_columns("tickets")]
        tables = set(inspector.get_table_names())
        versions = {r[0] for r in conn.execute(sa.text("SELECT version_num FROM alembic_version"))}
    engine.dispose()
    assert columns[-1] == "owner" and "code" in columns
    assert {"tickets", "marks", "outbox", "processed_events"} <= tables
    assert versions == {"0002", "k0001"}
