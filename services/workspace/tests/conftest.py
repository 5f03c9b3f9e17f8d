"""The workspace over a real (SQLite) read model migrated by its own scripts, and
a real ownership service in the same process (over ASGI, header mode): events
are fed to the read model as the consumers would, ownership's staged events
(its outbox) are fed on as Kafka would carry them, and the clock stands still."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from baton_contracts import (
    DepartmentUpdated,
    Envelope,
    IssueReported,
    IssueRouted,
    Person,
    Reporter,
    parse_event,
)
from baton_ownership.app import create_app as create_ownership
from baton_ownership.assignment.handler import on_issue_routed
from baton_ownership.directory.handler import on_department_updated
from baton_ownership.settings import Settings as OwnershipSettings
from baton_runtime import migrations
from baton_runtime.outbox import OutboxMessage
from baton_workspace.app import create_app
from baton_workspace.commands import Notifications, Ownership
from baton_workspace.projection import service as projection
from baton_workspace.settings import Settings
from sqlmodel import col, select

WORKSPACE = Path(__file__).parents[1] / "src" / "baton_workspace" / "migrations"
OWNERSHIP = Path(create_ownership.__code__.co_filename).parent / "migrations"
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CATALOG = {
    "operations": (["ops-ana", "ops-ben"], "ops-head"),
    "finance": (["fin-gita", "fin-hugo"], "fin-head"),
    "it": (["it-kofi", "it-lena"], "it-head"),
    "customer_service": (["cs-maya"], "cs-head"),
}
NAMES = {"ops-ana": "Ana Ortega", "fin-gita": "Gita Rao", "fin-hugo": "Hugo Berg"}


def person(pid: str) -> Person:
    return Person(id=pid, name=NAMES.get(pid, pid.title()), email=f"{pid}@example.com")


def departments() -> list[Envelope]:
    return [
        wrap(
            DepartmentUpdated(
                department=name,
                liaisons=[person(p) for p in liaisons],
                head=person(head),
                updated_at=T0 - timedelta(days=1),
            )
        )
        for name, (liaisons, head) in CATALOG.items()
    ]


def wrap(data) -> Envelope:  # type: ignore[no-untyped-def]
    return Envelope.wrap(source="/tests", data=data)


def reported(issue_id: str, subject: str = "Charged twice", **kw) -> Envelope:  # type: ignore[no-untyped-def]
    return wrap(
        IssueReported(
            issue_id=issue_id,
            channel="email",
            reporter=Reporter(kind="customer", id="contact-42"),
            subject=subject,
            description=kw.pop("description", "I was charged twice for order 1234."),
            reported_at=kw.pop("at", T0),
            reference=f"BTN-{issue_id[:8].upper()}",
            **kw,
        )
    )


def routed(issue_id: str, department: str = "finance", at: datetime = T0) -> Envelope:
    liaisons, head = CATALOG[department]
    return wrap(
        IssueRouted(
            issue_id=issue_id,
            department=department,
            rule_id=f"{department}-rule",
            reason="matched 'charged'",
            liaisons=[person(p) for p in liaisons],
            head=person(head),
            routed_at=at + timedelta(seconds=1),
        )
    )


class Clock:
    def __init__(self, start: datetime | None = None) -> None:
        # Ownership assigns at the real now (its consumer has no clock to move):
        # the pages' clock starts there too, unless a test fixes it.
        self.now = start or datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


def as_(person_id: str, *roles: str, departments: str = "") -> dict[str, str]:
    """Header-mode identity (development): who, their roles, their departments."""
    if not departments:
        departments = next((d for d, (ls, h) in CATALOG.items() if person_id in [*ls, h]), "")
    return {
        "X-Baton-Actor": person_id,
        "X-Baton-Roles": ",".join(roles or ("liaison", "reader")),
        "X-Baton-Departments": departments,
    }


class World:
    """The workspace and ownership, and the events between them."""

    def __init__(self, workspace, ownership, http: httpx.AsyncClient, clock: Clock) -> None:
        self.workspace, self.ownership, self.http, self.clock = workspace, ownership, http, clock
        self.delivered: list[Envelope] = []  # everything fed to the read model

    async def feed(self, *envelopes: Envelope) -> None:
        """As the workspace's consumers would: one transaction per event."""
        db = self.workspace.state.runtime.db
        for envelope in envelopes:
            async with db.transaction() as session:
                if isinstance(envelope.payload(), DepartmentUpdated):
                    await projection.department_updated(session, envelope.payload())
                else:
                    await projection.record(session, envelope)
            self.delivered.append(envelope)

    async def route(self, issue_id: str, department: str = "finance", **kw) -> None:  # type: ignore[no-untyped-def]
        """Intake reports it and routing decides: ownership assigns, the workspace hears all."""
        at = self.clock.now - timedelta(seconds=5)
        decision = routed(issue_id, department, at=at)
        await on_issue_routed(decision, runtime=self.ownership.state.runtime)
        await self.feed(reported(issue_id, at=at, **kw), decision)
        await self.relay()

    async def relay(self) -> list[Envelope]:
        """Ownership's staged events, on to the workspace (as Kafka carries them)."""
        db = self.ownership.state.runtime.db
        async with db.transaction() as session:
            rows = (
                await session.exec(
                    select(OutboxMessage)
                    .where(col(OutboxMessage.published_at).is_(None))
                    .order_by(col(OutboxMessage.id))
                )
            ).all()
            for row in rows:
                row.published_at = datetime.now(UTC)
                session.add(row)
        events = [parse_event(r.payload.encode()) for r in rows if "reroute" not in r.topic]
        await self.feed(*events)
        return events

    async def page(self, path: str, who: dict[str, str], expect: int = 200) -> str:
        answer = await self.http.get(path, headers=who | {"accept": "text/html"})
        self.http.cookies.clear()  # each request is its own person's
        assert answer.status_code == expect, answer.text[:2000]
        return answer.text

    async def post(self, path: str, who: dict[str, str], **form: object) -> httpx.Response:
        answer = await self.http.post(path, data=form, headers=who | {"accept": "text/html"})
        self.http.cookies.clear()
        return answer

    async def act(self, path: str, who: dict[str, str], **form: object) -> str:
        """POST a form, then follow the redirect (with its one-time message) as a browser would."""
        answer = await self.http.post(path, data=form, headers=who | {"accept": "text/html"})
        assert answer.status_code == 303, answer.text[:2000]
        page = await self.http.get(
            answer.headers["location"], headers=who | {"accept": "text/html"}
        )
        self.http.cookies.clear()
        assert page.status_code == 200, page.text[:2000]
        await self.relay()
        return page.text


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def worlds(tmp_path) -> AsyncIterator[Callable[..., Awaitable[World]]]:
    """Factory: as many separate worlds (read model and ownership) as a test needs."""
    async with AsyncExitStack() as stack:
        made = 0

        async def make(clock: Clock | None = None) -> World:
            nonlocal made
            made += 1
            folder = tmp_path / f"world{made}"
            folder.mkdir()
            return await stack.enter_async_context(_world(folder, clock or Clock()))

        yield make


@pytest.fixture
async def world(worlds, clock) -> World:
    return await worlds(clock)


def no_notices(request: httpx.Request) -> httpx.Response:
    """Notifications' ``GET /v1/interrupts`` when nothing reached anyone."""
    return httpx.Response(
        200,
        json={
            "department": request.url.params["department"], "since": request.url.params["since"],
            "until": request.url.params["until"], "working_hours": 720.0,
            "hours_outside_working_hours": 0.0, "within_working_hours": 0,
            "outside_working_hours": 0, "per_working_hour": 0.0,
            "per_hour_outside_working_hours": None, "held_for_quiet_hours": 0, "people": [],
        },
    )  # fmt: skip


@asynccontextmanager
async def _world(tmp_path: Path, clock: Clock) -> AsyncIterator[World]:
    own_url = f"sqlite+aiosqlite:///{tmp_path}/ownership.db"
    migrations.upgrade(OWNERSHIP, own_url)
    ownership = create_ownership(OwnershipSettings(database_url=own_url, state_dir=str(tmp_path)))
    ownership.state.clock = clock
    for envelope in departments():
        await on_department_updated(envelope, runtime=ownership.state.runtime)
    ws_url = f"sqlite+aiosqlite:///{tmp_path}/workspace.db"
    migrations.upgrade(WORKSPACE, ws_url)
    workspace = create_app(
        Settings(database_url=ws_url, state_dir=str(tmp_path), workspace_ownership_url="http://o")
    )
    workspace.state.clock = clock
    workspace.state.ownership = Ownership(
        "http://ownership", transport=httpx.ASGITransport(app=ownership)
    )
    # Notifications is not started: its interrupt load answers empty (a test that
    # needs figures, or an outage, puts its own in place).
    workspace.state.notifications = Notifications(
        "http://notifications", transport=httpx.MockTransport(no_notices)
    )
    transport = httpx.ASGITransport(app=workspace)
    async with httpx.AsyncClient(transport=transport, base_url="http://workspace") as http:
        world = World(workspace, ownership, http, clock)
        await world.feed(*departments())
        yield world
    await workspace.state.runtime.db.dispose()
    await ownership.state.runtime.db.dispose()
