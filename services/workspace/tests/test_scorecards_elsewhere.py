"""The scorecards' ratings come from the read model (one per issue, for whoever
resolved it); the interrupt load and internal requests are read live from
ownership and notifications as the signed-in person, and the page still renders,
saying what is missing, when they cannot be reached."""

from datetime import timedelta

import httpx
from baton_contracts import (
    DepartmentUpdated,
    InternalTarget,
    IssueAcknowledged,
    IssueRated,
    IssueResolved,
)
from baton_workspace.commands import Notifications, Ownership

from .conftest import CATALOG, T0, Clock, as_, person, reported, routed, wrap
from .test_projection import assigned

ISSUE = "cccccccc-0000-4000-8000-000000000003"
READER = as_("riley", "reader", departments="")


def resolved_journey() -> list:
    at = T0 + timedelta(minutes=30)
    return [
        reported(ISSUE),
        routed(ISSUE, "finance"),
        assigned(ISSUE, "fin-gita", 1, 1),
        wrap(IssueAcknowledged(issue_id=ISSUE, department="finance", owner_id="fin-gita",
                               actor_id="fin-gita", version=2, at=at)),
        wrap(IssueResolved(issue_id=ISSUE, department="finance", owner_id="fin-gita",
                           actor_id="fin-gita", version=3, at=at + timedelta(minutes=10),
                           resolution="Refunded")),
    ]  # fmt: skip


def rated(rating: int, minutes: float, comment: str | None = None):  # type: ignore[no-untyped-def]
    return wrap(
        IssueRated(
            issue_id=ISSUE, rating=rating, comment=comment,
            rated_at=T0 + timedelta(minutes=minutes),
        )
    )  # fmt: skip


def cells(page: str, marker: str) -> str:
    assert marker in page, marker
    return page.split(marker)[1].split("</tr>")[0]


async def test_a_rating_counts_once_for_the_department_and_liaison_that_resolved(worlds):
    fixed = T0 + timedelta(hours=3)
    first = rated(2, 60, "Slow")
    pages = []
    # In order; and the rating before the resolution, replayed, with a second
    # (later) answer that does not replace the first.
    for events in (
        [*resolved_journey(), first],
        [first, *resolved_journey(), first, rated(5, 90), first],
    ):
        world = await worlds(Clock(fixed))
        await world.feed(*events)
        pages.append(await world.page("/scorecards", READER))
    for page in pages:
        for marker in ('data-department="finance"', 'data-person="fin-gita"'):
            row = cells(page, marker)
            assert "2.0" in row and "1 rating<" in row, row
            assert 'data-metric="comments">1<' in row
        assert "—" in cells(page, 'data-department="it"').split('"rating">')[1]
    finance = await world.page("/scorecards?department=finance", READER)
    assert 'data-person="fin-gita"' in finance and "2.0" in cells(finance, 'data-person="fin-gita"')


def stub(seen: list[httpx.Request]) -> httpx.MockTransport:
    """Ownership's scorecard and notifications' interrupt load, as they answer."""

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/v1/interrupts":
            department = request.url.params["department"]
            people = [{"person_id": "it-kofi", "within_working_hours": 7,
                       "outside_working_hours": 2, "per_working_hour": 0.05}]  # fmt: skip
            return httpx.Response(200, json={
                "department": department, "within_working_hours": 7 if department == "it" else 0,
                "outside_working_hours": 2 if department == "it" else 0,
                "per_working_hour": 0.042 if department == "it" else 0.0,
                "people": people if department == "it" else [],
            })  # fmt: skip
        department = request.url.path.split("/")[3]
        requests = {
            "count": 3, "resolved": 2, "targets_met": 2, "targets_missed": 1,
            "working_time_to_acknowledge": {"count": 3, "median_minutes": 45.0, "p90_minutes": 90},
            "working_time_to_resolve": {"count": 2, "median_minutes": 125.0, "p90_minutes": 300},
            "by_department": [{"department": "finance", "count": 3, "resolved": 2,
                               "median_working_minutes_to_resolve": 125.0}],
        }  # fmt: skip
        if department == "finance":  # finance's people asked IT
            made = {
                **requests,
                "by_department": [{**requests["by_department"][0], "department": "it"}],
            }
            return httpx.Response(
                200, json={"department": department, "internal_requests_made": made}
            )
        if department != "it":
            return httpx.Response(200, json={"department": department})
        return httpx.Response(200, json={
            "department": "it",
            "interrupts": {
                "issues_within_working_hours": 11, "issues_outside_working_hours": 4,
                "issues_per_working_hour": 0.065,
                "people": [{"person_id": "it-kofi", "issues_within_working_hours": 6,
                            "issues_outside_working_hours": 3, "issues_per_working_hour": 0.036}],
            },
            "internal_requests_served": requests,
            "internal_requests_made": {**requests, "count": 0, "resolved": 0, "targets_met": 0,
                                       "targets_missed": 0, "by_department": []},
        })  # fmt: skip

    return httpx.MockTransport(answer)


async def test_interrupt_load_and_internal_requests_come_from_the_services(world):
    liaisons, head = CATALOG["it"]
    await world.feed(
        wrap(
            DepartmentUpdated(
                department="it", liaisons=[person(p) for p in liaisons], head=person(head),
                updated_at=T0,
                internal_targets=[InternalTarget(requester="finance", acknowledge_hours=4,
                                                 resolve_hours=8)],
            )
        )
    )  # fmt: skip
    seen: list[httpx.Request] = []
    world.workspace.state.ownership = Ownership("http://o", transport=stub(seen))
    world.workspace.state.notifications = Notifications("http://n", transport=stub(seen))
    page = await world.page("/scorecards", READER)

    it = cells(page, 'data-load="it"')
    for metric, value in [("issues_within", "11"), ("issues_rate", "0.065"),
                          ("issues_outside", "4"), ("notices_within", "7"),
                          ("notices_rate", "0.042"), ("notices_outside", "2")]:  # fmt: skip
        assert f'data-metric="{metric}">{value}<' in it, (metric, it)
    kofi = cells(page, 'data-load-person="it-kofi"')
    assert 'data-metric="issues_within">6<' in kofi and 'data-metric="notices_outside">2<' in kofi
    assert "<td>IT</td>" in kofi
    served = cells(page, 'data-internal="it" data-direction="served"')
    assert ">3<" in served and "45m" in served and "2h 05m" in served
    assert "2 met, 1 missed" in served
    pair = cells(page, 'data-pair="it:served:finance"')
    assert "Finance" in pair and "acknowledge 4.0h, resolve 8.0h" in pair
    # Finance made them of IT: IT's target for finance is theirs too.
    made = cells(page, 'data-pair="finance:made:it"')
    assert ">IT<" in made and "acknowledge 4.0h, resolve 8.0h" in made
    # None made by IT's people: no row for nothing.
    assert 'data-internal="it" data-direction="made"' not in page
    assert 'data-missing="' not in page
    # Asked as the signed-in person, for the page's period, once per department and service.
    asked = {(r.url.path, r.url.params.get("department")) for r in seen}
    assert ("/v1/departments/it/scorecard", None) in asked and ("/v1/interrupts", "it") in asked
    assert len(seen) == 2 * len(CATALOG)
    assert all(r.headers["X-Baton-Actor"] == "riley" for r in seen)
    assert all(r.url.params["since"].endswith("Z") for r in seen)


async def test_the_page_says_what_is_missing_when_the_services_cannot_be_reached(world):
    await world.feed(*resolved_journey(), rated(5, 60))

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    world.workspace.state.ownership = Ownership("http://o", transport=httpx.MockTransport(down))
    world.workspace.state.notifications = Notifications(
        "http://n", transport=httpx.MockTransport(down)
    )
    page = await world.page("/scorecards?department=finance", READER)
    assert 'data-missing="ownership"' in page and 'data-missing="notifications"' in page
    assert "Ownership did not answer for Finance" in page
    assert 'data-metric="issues_within">—<' in cells(page, 'data-load="finance"')
    # What the workspace counts itself is all there.
    assert "5.0" in cells(page, 'data-department="finance"')
