"""Every action is a form sent to ownership's API as the person: the page shows
ownership's answer at once (before the event comes back through Kafka), and a
409 says what changed, with the fresh state."""

import time

from baton_workspace.cookies import Session

from .conftest import as_
from .test_who_sees_what import owner_of

ISSUE = "c0c0c0c0-0000-4000-8000-000000000001"


async def test_a_journey_through_the_forms(world):
    await world.route(ISSUE, "finance", subject="Refund not received")
    gita = as_(await owner_of(world, ISSUE))
    page = await world.page(f"/issues/{ISSUE}", gita)
    assert "Acknowledge it by" in page
    page = await world.act(f"/issues/{ISSUE}/acknowledge", gita, version=1)
    assert "Acknowledged" in page and "It is now acknowledged" in page
    page = await world.act(
        f"/issues/{ISSUE}/handoff",
        gita,
        version=2,
        to_department="operations",
        note="The warehouse has it",
    )
    assert "Hand-off asked of Operations" in page and "Waiting for Operations" in page
    ana = as_("ops-ana", departments="operations")
    assert ISSUE in await world.page("/my-work", ana)  # waiting for her answer
    page = await world.act(f"/issues/{ISSUE}/handoffs/1/accept", ana, version=3)
    assert "you own this issue now" in page
    page = await world.act(
        f"/issues/{ISSUE}/help",
        ana,
        version=4,
        department="it",
        question="Was the refund sent?",
        due_in_hours="4",
    )
    kofi = as_("it-kofi", departments="it")
    assert "Was the refund sent?" in await world.page("/my-work", kofi)
    page = await world.act(f"/issues/{ISSUE}/help/1/answer", kofi, version=5, answer="It was not")
    assert "Answered" in page
    page = await world.act(
        f"/issues/{ISSUE}/resolve", ana, version=6, category="refunded", note="Refunded by hand"
    )
    assert "Resolved" in page and "It is now resolved" in page
    history = await world.page(f"/issues/{ISSUE}", ana)  # its events have come back
    assert "Refunded or credited: Refunded by hand" in history
    for said in (
        "Assigned to",
        "Acknowledged it",
        "Asked Operations to take it",
        "Accepted the hand-off",
        "Asked IT for help",
        "Answered for IT",
        "Resolved it",
    ):
        assert said in history, said
    page = await world.act(f"/issues/{ISSUE}/reopen", ana, version=7, reason="Not refunded")
    assert "Reopened" in page


async def test_ownerships_answer_shows_at_once_before_its_event_arrives(world):
    await world.route(ISSUE, "finance")
    gita = as_(await owner_of(world, ISSUE))
    answer = await world.http.post(
        f"/issues/{ISSUE}/acknowledge", data={"version": 1}, headers=gita | {"accept": "text/html"}
    )
    # Not relayed yet: the read model still says "assigned"; the page says what ownership said.
    page = await world.http.get(answer.headers["location"], headers=gita | {"accept": "text/html"})
    world.http.cookies.clear()
    assert "as ownership just answered" in page.text
    assert '<span class="badge acknowledged">acknowledged</span>' in page.text


async def test_a_stale_form_is_a_clear_message_with_the_fresh_state(world):
    await world.route(ISSUE, "finance")
    gita = as_(await owner_of(world, ISSUE))
    await world.act(f"/issues/{ISSUE}/acknowledge", gita, version=1)
    # A second tab still showing version 1 tries to hand it off.
    page = await world.act(
        f"/issues/{ISSUE}/handoff", gita, version=1, to_department="it", note="?"
    )
    assert "Not done: stale version" in page
    assert "It is now acknowledged" in page and "(version 2)" in page


async def test_a_form_without_the_persons_csrf_token_is_refused(world):
    await world.route(ISSUE, "finance")
    owner = await owner_of(world, ISSUE)
    jar = world.workspace.state.jar
    session = Session(
        person_id=owner,
        name=owner,
        roles=["liaison"],
        departments=["finance"],
        access_token="t",
        expires_at=time.time() + 600,
    )
    from fastapi.responses import Response

    carrier = Response()
    jar.keep_session(carrier, session)
    cookie = carrier.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    world.http.cookies.set("baton_session", cookie.split(";")[0].split("=", 1)[1])
    forged = await world.http.post(
        f"/issues/{ISSUE}/acknowledge", data={"version": 1}, headers={"accept": "text/html"}
    )
    assert forged.status_code == 403 and "Form expired" in forged.text
    ours = await world.http.post(
        f"/issues/{ISSUE}/acknowledge",
        data={"version": 1, "csrf": session.csrf},
        headers={"accept": "text/html"},
    )
    world.http.cookies.clear()
    assert ours.status_code == 303
