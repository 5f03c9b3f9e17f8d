"""Property-based fuzzing (Schemathesis) against notifications' own OpenAPI
document: no 5xx, every response as documented, every refusal problem details;
as an administrator who is also a recipient (past every gate, their own
preferences) and as a caller with no role."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from baton_notifications.app import create_app
from baton_notifications.deliveries.models import Delivery
from baton_notifications.deps import get_egress_policy
from baton_notifications.senders import egress
from baton_notifications.settings import Settings

from tests.openapi_fuzz import NO_ROLE, fuzz, fuzz_settings, schema_of

from .helpers import MIGRATIONS, TEST_KEY

ME = "fin-gita"
KNOWN = {"delivery_id": ["1", "2", "3"], "person_id": [ME, "ops-omar"]}


def run(api, headers: dict[str, str], examples: int) -> list[str]:
    return fuzz(api, headers, examples=examples, known=KNOWN, documented_errors=False)


async def resolve(host: str, port: int) -> list[str]:
    """No DNS while fuzzing: a name resolves to a public or a private address, or to
    nothing, by its length, so that saving preferences meets every answer."""
    return [[], ["93.184.215.14"], ["10.20.30.40"]][len(host) % 3] or _unknown(host)


def _unknown(host: str) -> list[str]:
    raise OSError(f"no such name {host}")


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    settings = Settings(
        **fuzz_settings(tmp_path_factory.mktemp("fuzz"), "notifications", MIGRATIONS),
        encryption_keys=TEST_KEY,
    )
    app = create_app(settings)
    app.dependency_overrides[get_egress_policy] = lambda: egress.Policy.of(settings, resolve)

    async def deliveries() -> None:
        # One of each status, so that a retry meets each of them.
        db = app.state.runtime.db
        async with db.transaction() as session:
            for n, status in enumerate(["pending", "sent", "failed"], start=1):
                session.add(
                    Delivery(
                        event_id=f"e-{n}", event_type="baton.issue.assigned.v1", issue_id="i-1",
                        recipient_id=ME, address="gita@example.com", channel="email",
                        status=status, attempts=n, failed_at=datetime.now(UTC),
                    )
                )  # fmt: skip
        await db.dispose()

    asyncio.run(deliveries())
    return schema_of(app)


def test_an_administrator_gets_no_5xx_and_answers_as_documented(api):
    labels = run(api, {"x-baton-actor": ME, "x-baton-roles": "administrator"}, 15)
    assert len(labels) == 5  # deliveries, retry, preferences (get, put), interrupts


def test_a_caller_without_a_role_is_refused_cleanly(api):
    run(api, NO_ROLE, 3)
