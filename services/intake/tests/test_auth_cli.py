"""The operator's key commands, run as an operator runs them: create, list, revoke."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from baton_intake.app import create_app
from baton_intake.settings import Settings
from httpx import ASGITransport, AsyncClient


def keys(tmp_path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BATON_STATE_DIR": str(tmp_path), "DATABASE_URL": ""}
    return subprocess.run(
        [sys.executable, "-m", "baton_intake.auth", *args],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


async def test_a_revoked_key_is_listed_as_such_and_refused_by_the_api(tmp_path, issue):
    created = keys(tmp_path, "create", "--name", "crm", "--scope", "intake:write")
    assert created.returncode == 0, created.stderr
    plain = created.stdout.strip()
    key_id = plain.removeprefix("baton_").split("_")[0]
    listed = keys(tmp_path, "list").stdout.splitlines()
    assert listed[1].split("\t")[:3] == [key_id, "crm", "intake:write"]
    assert listed[1].endswith("\t-")

    assert await report_with(tmp_path, plain, issue) == 202

    revoked = keys(tmp_path, "revoke", key_id)
    assert revoked.returncode == 0 and key_id in revoked.stdout
    assert not keys(tmp_path, "list").stdout.splitlines()[1].endswith("\t-")
    assert await report_with(tmp_path, plain, issue) == 401


async def report_with(tmp_path, key: str, issue: dict) -> int:
    """The API's answer over the same database (no lifespan: no Kafka needed)."""
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/intake.db"))
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as http:
        r = await http.post("/v1/issues", json=issue, headers={"Authorization": f"Bearer {key}"})
    await app.state.runtime.db.dispose()
    return r.status_code


def test_revoking_an_unknown_key_fails_and_says_how_to_find_one(tmp_path):
    result = keys(tmp_path, "revoke", "nope")
    assert result.returncode != 0
    assert "no API key with id 'nope'" in result.stderr


@pytest.mark.parametrize("command", [["list"], ["create", "--name", "x"]])
def test_the_commands_need_no_running_service(tmp_path, command):
    assert keys(tmp_path, *command).returncode == 0
