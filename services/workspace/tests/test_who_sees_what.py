"""Who sees what, on the server: a person sees the issues of their departments
(each department that held the issue, was asked to take it or to help); heads
manage their members; an administrator sees everything; the stall board and
scorecards are open to every employee, and carry no customer's words."""

from .conftest import as_

FIN = "f1f1f1f1-0000-4000-8000-000000000001"
IT = "e2e2e2e2-0000-4000-8000-000000000002"


async def test_a_person_sees_the_issues_of_their_departments_only(world):
    await world.route(FIN, "finance", subject="Charged twice")
    await world.route(IT, "it", subject="Cannot sign in")
    assert "Charged twice" in await world.page(f"/issues/{FIN}", as_("fin-gita"))
    await world.page(f"/issues/{IT}", as_("fin-gita"), expect=404)
    await world.page(f"/issues/{FIN}", as_("it-kofi", departments="it"), expect=404)
    # An administrator sees everything.
    admin = as_("admin", "administrator", "reader", departments="")
    assert "Cannot sign in" in await world.page(f"/issues/{IT}", admin)
    # A department's page is its members' (and an administrator's).
    await world.page("/departments/it", as_("fin-gita"), expect=404)
    assert "Kofi" in await world.page("/departments/it", admin)


async def test_a_hand_off_opens_the_issue_to_the_receiving_department(world):
    await world.route(FIN, "finance")
    ops = as_("ops-ana", departments="operations")
    await world.page(f"/issues/{FIN}", ops, expect=404)
    owner = await owner_of(world, FIN)
    await world.act(
        f"/issues/{FIN}/handoff",
        as_(owner),
        version=1,
        to_department="operations",
        note="Warehouse",
    )
    assert "Accept the hand-off" in await world.page(f"/issues/{FIN}", ops)


async def test_contact_details_are_for_the_owning_department(world):
    await world.route(FIN, "finance")
    owner = await owner_of(world, FIN)
    assert "contact-42" in await world.page(f"/issues/{FIN}", as_(owner))
    await world.act(
        f"/issues/{FIN}/help",
        as_(owner),
        version=1,
        department="it",
        question="Did the payment fail?",
    )
    helper = await world.page(f"/issues/{FIN}", as_("it-kofi", departments="it"))
    assert "Did the payment fail?" in helper and "contact-42" not in helper
    assert "shown to Finance only" in helper


async def test_the_stall_board_and_scorecards_are_open_to_everyone_without_customer_words(world):
    await world.route(FIN, "finance", subject="Charged twice", description="Card 4111 1111")
    reader = as_("reader", "reader", departments="")
    for path in ("/stalls", "/scorecards"):
        html = await world.page(path, reader)
        assert "Charged twice" not in html and "4111" not in html and "contact-42" not in html
    assert 'data-department="finance"' in await world.page("/stalls", reader)
    # ... but not their queues, nor the issues.
    await world.page("/my-work", reader, expect=403)
    await world.page(f"/issues/{FIN}", reader, expect=403)


async def test_only_the_head_changes_other_members_availability(world):
    liaison, head = as_("fin-gita"), as_("fin-head", "head", "reader")
    refused = await world.post(
        "/departments/finance/members/fin-hugo/availability", liaison, on_duty="false"
    )
    assert refused.status_code == 403
    page = await world.act(
        "/departments/finance/members/fin-hugo/availability", head, on_duty="false"
    )
    assert "Hugo Berg is away" in page
    # Each member may change their own.
    page = await world.act(
        "/departments/finance/members/fin-gita/availability", liaison, capacity="3"
    )
    assert "Capacity 3 open issues" in page


async def test_a_signed_out_browser_is_sent_to_sign_in_and_a_script_gets_a_problem(world):
    browser = await world.http.get("/my-work", headers={"accept": "text/html"})
    assert browser.status_code == 303
    assert browser.headers["location"] == "/login?next=/my-work"
    script = await world.http.get("/my-work")
    assert script.status_code == 401
    assert script.headers["content-type"] == "application/problem+json"


async def owner_of(world, issue_id: str) -> str:
    from baton_workspace.projection.models import IssueView

    async with world.workspace.state.runtime.db.session() as session:
        return (await session.get(IssueView, issue_id)).owner_id
