"""The migration job's command, run as the chart runs it (a subprocess, env only)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

SERVICES = ["intake", "routing", "ownership", "notifications", "workspace"]


@pytest.mark.parametrize("service", SERVICES)
def test_migrate_entrypoint_creates_the_service_tables_from_database_url(service, tmp_path: Path):
    db = tmp_path / f"{service}.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{db}"}
    subprocess.run(
        [sys.executable, "-m", "baton_runtime.migrations", f"baton_{service}"],
        env=env,
        check=True,
        cwd=tmp_path,
        timeout=60,
    )
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
    assert "alembic_version" in tables
    assert len(tables - {"alembic_version"}) >= 1


def test_migrate_entrypoint_refuses_to_run_without_a_service(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-m", "baton_runtime.migrations"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode != 0
    assert "usage" in result.stderr
