"""A department's calendar, on-call schedule and internal targets through the
catalog API: versioned like the rest, refused with a reason when they cannot
mean anything, and shared on the departments topic."""

import json

from baton_contracts import DepartmentUpdated, parse_event
from baton_routing.catalog.schemas import Catalog
from baton_runtime.outbox import OutboxMessage
from sqlmodel import select

from .test_catalog_api import ADMIN, client  # noqa: F401  (the fixture)

BERLIN = {
    "time_zone": "Europe/Berlin",
    "hours": {d: ["09:00-17:00"] for d in ("monday", "tuesday", "wednesday", "thursday", "friday")},
    "holidays": {"country": "DE", "subdivision": "BE"},
    "closures": [{"name": "Winter break", "start": "2026-12-28", "end": "2026-12-31"}],
}
ON_CALL = {
    "layers": [
        {"name": "primary", "people": ["it-kofi", "it-lena"], "first_handover": "2026-11-02T09:00"},
        {"name": "secondary", "people": ["it-head"], "first_handover": "2026-11-02T09:00"},
    ]
}


async def put(client, path: str, body, expect: int = 200) -> dict:  # noqa: F811
    r = await client.put(path, json=body, headers=ADMIN)
    assert r.status_code == expect, r.text
    return r.json()


async def test_a_calendar_is_a_new_catalog_version_and_travels_with_the_department(client):  # noqa: F811
    await put(client, "/v1/departments/it/calendar", BERLIN)
    assert (await client.get("/v1/departments/it/calendar")).json()["time_zone"] == "Europe/Berlin"
    versions = (await client.get("/v1/catalog/versions")).json()
    assert (versions[0]["change"], versions[0]["actor"]) == ("set calendar of it", "admin-7")
    app_db = client._transport.app.state.runtime.db  # type: ignore[attr-defined]
    async with app_db.session() as session:
        staged = (await session.exec(select(OutboxMessage))).all()
    it = [
        e.data
        for e in (parse_event(m.payload.encode()) for m in staged)
        if isinstance(e.data, DepartmentUpdated) and e.data.department == "it"
    ]
    assert it[-1].calendar is not None and it[-1].calendar.holidays.subdivision == "BE"


async def test_calendars_that_cannot_mean_anything_are_refused_by_name(client):  # noqa: F811
    wrong_zone = await put(client, "/v1/departments/it/calendar", BERLIN | {"time_zone": "Mars/X"},
                           expect=422)  # fmt: skip
    assert "IANA" in json.dumps(wrong_zone)
    no_region = BERLIN | {"holidays": {"country": "DE", "subdivision": "XX"}}
    refused = await put(client, "/v1/departments/it/calendar", no_region, expect=422)
    assert "no region 'XX'" in refused["detail"]
    no_hours = await put(client, "/v1/departments/it/calendar", BERLIN | {"hours": {}}, 422)
    assert "at least one weekday" in json.dumps(no_hours)


async def test_on_call_needs_a_calendar_and_the_departments_own_people(client):  # noqa: F811
    first = await put(client, "/v1/departments/it/on-call", ON_CALL, expect=422)
    assert "calendar first" in first["detail"]
    await put(client, "/v1/departments/it/calendar", BERLIN)
    stranger = {"layers": [ON_CALL["layers"][0] | {"people": ["it-kofi", "fin-gita"]}]}
    refused = await put(client, "/v1/departments/it/on-call", stranger, expect=422)
    assert "fin-gita" in refused["detail"]
    await put(client, "/v1/departments/it/on-call", ON_CALL)
    # Removing the calendar would leave on call covering nothing.
    r = await client.delete("/v1/departments/it/calendar", headers=ADMIN)
    assert r.status_code == 422


async def test_who_is_on_call_at_night_and_an_override_on_top(client):  # noqa: F811
    await put(client, "/v1/departments/it/calendar", BERLIN)
    await put(client, "/v1/departments/it/on-call", ON_CALL)
    # Tuesday 10 Nov 2026, 23:00 in Berlin: the second week of the rotation.
    night = "2026-11-10T22:00:00Z"
    now = (await client.get("/v1/departments/it/on-call/now", params={"at": night})).json()
    assert now["working_hours"] is False
    assert now["layers"] == [
        {"layer": "primary", "person_id": "it-lena"},
        {"layer": "secondary", "person_id": "it-head"},
    ]
    override = {"layer": "primary", "person_id": "it-kofi", "start": "2026-11-10T17:00:00Z",
                "end": "2026-11-11T08:00:00Z", "reason": "swap"}  # fmt: skip
    r = await client.post("/v1/departments/it/on-call/overrides", json=override, headers=ADMIN)
    assert r.status_code == 201, r.text
    now = (await client.get("/v1/departments/it/on-call/now", params={"at": night})).json()
    assert now["layers"][0] == {"layer": "primary", "person_id": "it-kofi"}
    day = "2026-11-10T10:00:00Z"
    assert (await client.get("/v1/departments/it/on-call/now", params={"at": day})).json()[
        "working_hours"
    ]


async def test_internal_targets_name_known_departments(client):  # noqa: F811
    wrong = await put(client, "/v1/departments/it/internal-targets",
                      [{"requester": "legal", "acknowledge_hours": 4}], expect=422)  # fmt: skip
    assert "unknown department 'legal'" in wrong["detail"]
    await put(client, "/v1/departments/it/internal-targets",
              [{"requester": "sales", "acknowledge_hours": 4, "resolve_hours": 16}])  # fmt: skip
    targets = (await client.get("/v1/departments/it/internal-targets")).json()
    assert targets == [{"requester": "sales", "acknowledge_hours": 4.0, "resolve_hours": 16.0}]


def test_catalog_versions_from_before_working_time_still_load():
    old = {
        "departments": [
            {"name": "customer_service", "description": "triage",
             "liaisons": [{"id": "a", "name": "A", "email": "a@example.com"}],
             "escalation_contact": {"id": "h", "name": "H", "email": "h@example.com"}}
        ],
        "rules": [],
    }  # fmt: skip
    department = Catalog.model_validate(old).departments[0]
    assert (department.calendar, department.on_call, department.internal_targets) == (
        None,
        None,
        [],
    )
