"""Property-based fuzzing (Schemathesis) against intake's own OpenAPI document:
no 5xx, and every response conforms to the documented schema. Bounded examples
so that it runs in every CI build."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import schemathesis
from baton_intake.app import create_app
from baton_intake.auth import service as keys
from baton_intake.settings import Settings
from baton_runtime.db import Database

from tests.openapi_fuzz import NO_ROLE, fuzz, fuzz_settings, schema_of

MIGRATIONS = Path(__file__).parents[1] / "src" / "baton_intake" / "migrations"
EXAMPLES = 25


def _key(db: Database) -> str:
    async def create() -> str:
        async with db.transaction() as session:
            _, plain = await keys.create(
                session=session, name="fuzz", scopes=["intake:write", "intake:read"]
            )
        await db.dispose()
        return plain

    return asyncio.run(create())


@schemathesis.serializer("message/rfc822")
def _rfc822(_ctx, value) -> bytes:
    # The email door takes any bytes; the fuzzer makes strings (or other JSON values).
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else str(value).encode()


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    app = create_app(
        Settings(
            **fuzz_settings(tmp_path_factory.mktemp("fuzz"), "intake", MIGRATIONS),
            max_body_bytes=64 * 1024,
        )
    )
    return schema_of(app), _key(app.state.runtime.db)


def test_no_5xx_and_every_response_matches_the_documented_schema(api):
    api, key = api
    labels = fuzz(api, {"authorization": f"Bearer {key}"}, examples=EXAMPLES)
    assert len(labels) == 6  # POST /v1/issues, GET /v1/issues/{id}, four channel doors


def test_a_person_without_a_role_is_refused_cleanly(api):
    api, _ = api
    fuzz(api, NO_ROLE, examples=3)
