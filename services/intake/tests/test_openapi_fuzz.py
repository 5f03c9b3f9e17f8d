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
from baton_runtime import migrations
from baton_runtime.db import Database
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

MIGRATIONS = Path(__file__).parents[1] / "src" / "baton_intake" / "migrations"


def _key(url: str) -> str:
    async def create() -> str:
        db = Database(url)
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


def without_lifespan(app):
    """The app minus its lifespan (which starts Kafka clients): the fuzzer's
    client runs the lifespan, and nothing here may reach a broker."""

    async def wrapped(scope, receive, send):
        if scope["type"] == "lifespan":
            while (await receive())["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await app(scope, receive, send)

    return wrapped


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('fuzz')}/intake.db"
    migrations.upgrade(MIGRATIONS, url)
    key = _key(url)
    app = create_app(
        Settings(
            database_url=url,
            kafka_bootstrap_servers="127.0.0.1:1",  # never used; never someone else's broker
            topic_prefix="fuzz.",
            max_body_bytes=64 * 1024,
        )
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", without_lifespan(app))
    return schema.include(path_regex="^/v1/"), key


def test_no_5xx_and_every_response_matches_the_documented_schema(api):
    api, key = api
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) == 6  # POST /v1/issues, GET /v1/issues/{id}, four channel doors
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        def fuzz(case):
            case.call_and_validate(
                headers={"Authorization": f"Bearer {key}"},
                # Schema-valid input may still be refused on purpose (a reused
                # Idempotency-Key, text that is only markup): a 422, not a defect.
                excluded_checks=[positive_data_acceptance],
            )

        fuzz()
