"""Property-based fuzzing (Schemathesis) against ownership's own OpenAPI document:
no 5xx, every response as documented, every refusal problem details; as the
owner of seeded issues (past every gate) and as a caller with no role."""

from __future__ import annotations

import asyncio

import pytest
from baton_ownership.app import create_app
from baton_ownership.assignment import service as assignment
from baton_ownership.settings import Settings

from tests.openapi_fuzz import NO_ROLE, fuzz, fuzz_settings, schema_of

from .conftest import DEPARTMENTS, MIGRATIONS, seed

ISSUES = ["i-1", "i-2", "i-3"]
KNOWN = {
    "issue_id": ISSUES,
    "handoff_id": ["1", "2"],
    "help_id": ["1", "2"],
    "department": list(DEPARTMENTS),
    "person_id": ["ops-ana", "ops-ben", "ops-head"],
}


def run(api, headers: dict[str, str], examples: int) -> list[str]:
    return fuzz(api, headers, examples=examples, known=KNOWN, documented_errors=False)


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    app = create_app(
        Settings(**fuzz_settings(tmp_path_factory.mktemp("fuzz"), "ownership", MIGRATIONS))
    )

    async def issues() -> None:
        db = app.state.runtime.db
        await seed(db)
        for issue_id in ISSUES:
            async with db.transaction() as session:
                await assignment.assign(session=session, issue_id=issue_id, department="operations")
        await db.dispose()

    asyncio.run(issues())
    return schema_of(app)


def test_the_owner_gets_no_5xx_and_answers_as_documented(api):
    # ops-ana owns seeded issues, and acts as a liaison and head may.
    labels = run(api, {"x-baton-actor": "ops-ana", "x-baton-roles": "liaison head"}, 15)
    assert len(labels) == 17  # every operation, replies and notes included


def test_an_administrator_gets_no_5xx(api):
    run(api, {"x-baton-actor": "fuzz-admin", "x-baton-roles": "administrator"}, 5)


def test_a_caller_without_a_role_is_refused_cleanly(api):
    run(api, NO_ROLE, 3)
