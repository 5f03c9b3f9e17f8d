"""Nothing is lost in a fault. Under steady load, each service is killed (SIGKILL)
and started again, the workspace too, then the broker is restarted, then
PostgreSQL. Afterwards every issue intake accepted has exactly one owner, its
owner was told exactly once, the workspace shows it with that owner, and the DLQs
hold nothing but the poison message sent on purpose.

The broker and the database are this test's own (their own ports and state), so
restarting them disturbs no other test. The figures are written to
``.run/test/faults/figures.json`` and printed; the README quotes a run's."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx
import pytest
from baton_contracts.topics import TOPICS, dlq
from baton_runtime.db import Database
from baton_runtime.kafka import EventProducer
from baton_workspace.projection.models import IssueView
from sqlmodel import col, select

from conftest import free_port, running_smtp_server
from tests.integration.conftest import read_topic, service_env, workspace_env
from tests.integration.stack import (
    STATE,
    Infra,
    Service,
    _script,
    create_api_key,
    start_service,
    stop_services,
    wait_ready,
)

pytestmark = pytest.mark.integration

# The services an issue travels through, and the workspace, which reads what they say.
SERVICES = ("intake", "routing", "ownership", "notifications")
EVERY = (*SERVICES, "workspace")

HERE = STATE / "faults"
KAFKA_PORT = int(os.environ.get("BATON_TEST_KAFKA_PORT", "19092")) + 30
PG_PORT = int(os.environ.get("BATON_TEST_PG_PORT", "55433")) + 1
RATE = 4.0  # issues a second, for the whole run
# (seconds into the run, what happens): each service killed once, then the broker
# and the database restarted, while issues keep coming.
FAULTS = [
    (6, "kill intake"),
    (12, "kill routing"),
    (18, "kill ownership"),
    (24, "kill notifications"),
    (28, "kill workspace"),
    (32, "restart kafka"),
    (44, "restart postgres"),
]
LOAD_S = 56
# A notice the SMTP server accepted this long before notifications was killed may
# not have had its outcome committed: the README's one exception to "told once".
IN_FLIGHT_S = 2.0


def kafka_env() -> dict[str, str]:
    return {
        "BATON_STATE_DIR": str(HERE),
        "BATON_KAFKA_PORT": str(KAFKA_PORT),
        "BATON_KAFKA_CONTROLLER_PORT": str(KAFKA_PORT + 1),
    }


def pg_env() -> dict[str, str]:
    return {"BATON_STATE_DIR": str(HERE), "BATON_PG_PORT": str(PG_PORT), "DATABASE_URL": ""}


@dataclass
class Run:
    accepted: list[str] = field(default_factory=list)
    refused: int = 0  # POSTs that got no 202 (intake down, or its database): never accepted
    faults: list[tuple[float, str]] = field(default_factory=list)


async def load(intake: dict[str, Service], api_key: str, run: Run, started: float) -> None:
    """POST distinct refund issues at RATE until LOAD_S; a refused POST is retried
    later by a real client, so here it only counts as not accepted."""
    async with httpx.AsyncClient(timeout=5) as http:
        n = 0
        while (now := time.monotonic() - started) < LOAD_S:
            n += 1
            try:
                r = await http.post(
                    f"{intake['intake'].url}/v1/issues",
                    json={
                        "channel": "agent",
                        "reporter": {"kind": "customer", "id": f"faults-{uuid.uuid4().hex[:10]}"},
                        "subject": f"Charged twice for order {n}",
                        "description": "I want a refund, please.",
                    },
                    headers={"Authorization": f"Bearer {api_key}"},
                )
                if r.status_code == 202:
                    run.accepted.append(r.json()["issue_id"])
                else:
                    run.refused += 1
            except httpx.HTTPError:
                run.refused += 1
            await asyncio.sleep(max(0.0, n / RATE - (time.monotonic() - started)))
        del now


async def keep_running(
    services: dict[str, Service], envs: dict[str, dict[str, str]], stop: asyncio.Event
) -> int:
    """As an orchestrator (or `make run`) does: start again any service that exited,
    killed or failing to start while a dependency is away. Says how many restarts."""
    restarts = 0
    while not stop.is_set():
        for name, service in list(services.items()):
            if service.process.poll() is not None:
                services[name] = start_service(name, service.port, envs[name])
                restarts += 1
        await asyncio.sleep(0.5)
    return restarts


async def faults(
    services: dict[str, Service], envs: dict[str, dict[str, str]], run: Run, started: float
) -> None:
    for at, what in FAULTS:
        await asyncio.sleep(max(0.0, at - (time.monotonic() - started)))
        run.faults.append((round(time.monotonic() - started, 1), what))
        verb, target = what.split()
        if verb == "kill":
            services[target].process.send_signal(signal.SIGKILL)  # ``keep_running`` restarts it
        elif target == "kafka":
            await asyncio.to_thread(_script, "kafka.sh", "stop", kafka_env())
            await asyncio.to_thread(_script, "kafka.sh", "start", kafka_env())
        else:
            await asyncio.to_thread(_script, "postgres.sh", "stop", pg_env())
            await asyncio.to_thread(_script, "postgres.sh", "start", pg_env())


async def wait_until_ready(services: dict[str, Service], timeout_s: float = 120) -> None:
    """Every service answers /readyz (the keeper may still be restarting one)."""
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(timeout=2) as http:
        for name in EVERY:
            while True:
                try:
                    if (await http.get(f"{services[name].url}/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, f"{name} not ready again"
                await asyncio.sleep(0.5)


async def workspace_owners(db: Database, issue_ids: list[str]) -> dict[str, str | None]:
    """The owner the workspace's lists show for each of these issues it knows."""
    async with db.session() as session:
        found = await session.exec(
            select(IssueView.issue_id, IssueView.owner_id).where(
                col(IssueView.issue_id).in_(issue_ids)
            )
        )
        return {issue_id: owner for issue_id, owner in found.all()}


async def test_nothing_is_lost_or_doubled_when_services_the_broker_and_the_database_fail(infra):
    HERE.mkdir(parents=True, exist_ok=True)
    _script("kafka.sh", "start", kafka_env())
    out = _script("postgres.sh", "start", pg_env())
    database_url = next(
        line.split("=", 1)[1] for line in out.splitlines() if line.startswith("DATABASE_URL=")
    )
    own = Infra(kafka=f"127.0.0.1:{KAFKA_PORT}", database_url=database_url, idp=infra.idp)
    prefix = f"faults{uuid.uuid4().hex[:6]}."
    services: dict[str, Service] = {}
    try:
        with running_smtp_server() as inbox:
            ports = {name: free_port() for name in EVERY}
            envs = {
                name: service_env(
                    prefix,
                    own,
                    name,
                    BATON_SMTP_PORT=str(inbox.port),
                    **workspace_env(own, ports),
                )
                for name in EVERY
            }
            api_key = create_api_key(envs["intake"])
            for name in EVERY:
                services[name] = start_service(name, ports[name], envs[name])
            await wait_ready(list(services.values()))

            producer = EventProducer(own.kafka, client_id="faults-poison")
            await producer.start()
            poison_topic = f"{prefix}issues.reported"
            await producer.send_raw(poison_topic, key="poison", value=b"not an event")
            await producer.stop()

            run = Run()
            started = time.monotonic()
            stop = asyncio.Event()
            keeper = asyncio.create_task(keep_running(services, envs, stop))
            await asyncio.gather(
                load(services, api_key, run, started), faults(services, envs, run, started)
            )
            await wait_until_ready(services)

            admin = infra.idp.as_("admin")
            owners: dict[str, str] = {}
            shown: dict[str, str | None] = {}  # the workspace's owner of each issue
            workspace_db = Database(database_url, schema=envs["workspace"]["BATON_DATABASE_SCHEMA"])
            converged_at = None
            async with httpx.AsyncClient(timeout=5, headers=admin) as http:
                deadline = time.monotonic() + 180
                while time.monotonic() < deadline:
                    for issue_id in run.accepted:
                        if issue_id not in owners:
                            r = await http.get(
                                f"{services['ownership'].url}/v1/issues/{issue_id}/owner"
                            )
                            if r.status_code == 200:
                                owners[issue_id] = r.json()["owner"]["id"]
                    told = Counter(
                        m["X-Baton-Issue"]
                        for m in inbox.messages
                        if m["X-Baton-Kind"] == "assigned"
                    )
                    shown = await workspace_owners(workspace_db, run.accepted)
                    if (
                        len(owners) == len(run.accepted)
                        and all(told[i] >= 1 for i in run.accepted)
                        and shown == owners
                    ):
                        converged_at = time.monotonic() - started
                        break
                    await asyncio.sleep(1)
            await asyncio.sleep(3)  # a late duplicate would show by now
            stop.set()
            restarts = await keeper
            copies: dict[str, list[float]] = {}  # each owner notice's arrivals, in s from the start
            for m, at in zip(inbox.messages, inbox.arrived, strict=True):
                if m["X-Baton-Kind"] == "assigned":
                    copies.setdefault(m["X-Baton-Issue"], []).append(at - started)
            told = Counter({issue: len(times) for issue, times in copies.items()})
            letters = {
                topic: await read_topic(own.kafka, dlq(f"{prefix}{topic}")) for topic in TOPICS
            }
            dead = {topic: len(records) for topic, records in letters.items()}
            await workspace_db.dispose()
    finally:
        stop_services(list(services.values()))
        _script("kafka.sh", "stop", kafka_env())
        _script("postgres.sh", "stop", pg_env())

    # The one exception the README documents: a notice the SMTP server accepted in the
    # instant before notifications was killed, before its outcome was committed, is
    # sent again when its lease runs out. Any other second notice is a defect.
    killed_at = next(at for at, what in run.faults if what == "kill notifications")
    in_flight = [
        i for i in run.accepted
        if told[i] == 2 and killed_at - IN_FLIGHT_S <= copies[i][0] <= killed_at + 0.1
    ]  # fmt: skip
    figures = {
        "offered_per_s": RATE,
        "load_s": LOAD_S,
        "faults": run.faults,
        "restarts": restarts,
        "accepted": len(run.accepted),
        "refused_while_down": run.refused,
        "with_one_owner": len(owners),
        "owners_told_once": sum(1 for i in run.accepted if told[i] == 1),
        "owners_told_twice_or_more": sum(1 for i in run.accepted if told[i] > 1),
        "of_them_sent_as_notifications_was_killed": len(in_flight),
        "never_told": sum(1 for i in run.accepted if told[i] == 0),
        "workspace_shows_the_owner": sum(1 for i in run.accepted if shown.get(i) == owners.get(i)),
        "all_settled_after_s": round(converged_at, 1) if converged_at else None,
        "dead_letters": dead,
    }
    (HERE / "figures.json").write_text(json.dumps(figures, indent=2))
    print("faults figures:", json.dumps(figures))
    assert run.accepted, "no issue was accepted at all"
    assert len(owners) == len(run.accepted), figures  # every accepted issue has its owner
    # ... and was told once, but for a notice in flight when its sender was killed.
    assert figures["owners_told_once"] + len(in_flight) == len(run.accepted), figures
    # The workspace, killed too, shows each of them with that owner.
    assert figures["workspace_shows_the_owner"] == len(run.accepted), figures
    # Only the poison message sent on purpose is dead-lettered: once by each service
    # that consumes its topic (routing, notifications and the workspace).
    poison = [r for records in letters.values() for r in records]
    assert {r.key for r in poison} == {b"poison"}, figures
    by = sorted(dict(r.headers)["baton.dlq.service"].decode() for r in poison)
    assert by == ["notifications", "routing", "workspace"], figures
