"""The owner answers the reporter and writes internal notes from the issue's page:
the forms are shown to whom ownership lets write (the owner, the owning
department's head, an administrator), go to ownership as that person with their
CSRF token, and both appear at once in the conversation and the history, in
order with the reporter's own words; a reply comes back as an event, a note never
does. Every refusal is a clear message, never a 500."""

import time
from datetime import timedelta

import httpx
from baton_contracts import IssueReported, IssueUpdated, Reporter
from baton_ownership.assignment.handler import on_issue_routed
from baton_workspace.commands import Ownership
from baton_workspace.cookies import Session
from baton_workspace.projection.models import IssueEvent
from fastapi.responses import Response
from sqlmodel import select

from .conftest import as_, routed, wrap
from .test_who_sees_what import owner_of

ISSUE = "d0d0d0d0-0000-4000-8000-000000000001"
REPLY = "We have refunded the second charge today."
NOTE = "Card ends 4242: checked with the bank, the refund left on Monday."


async def emailed(world, issue_id: str = ISSUE, *, reachable: bool = True) -> str:
    """A customer's email, routed to finance and assigned: its owner."""
    at = world.clock.now - timedelta(seconds=5)
    decision = routed(issue_id, "finance", at=at)
    await on_issue_routed(decision, runtime=world.ownership.state.runtime)
    report = IssueReported(
        issue_id=issue_id, channel="email", subject="Charged twice",
        reporter=Reporter(kind="customer", id="contact-42", reachable=reachable),
        description="I was charged twice for order 1234.", reported_at=at,
    )  # fmt: skip
    await world.feed(wrap(report), decision)
    await world.relay()
    return await owner_of(world, issue_id)


def conversation(page: str) -> str:
    return page.split('id="conversation-h"')[1].split('id="journey-h"')[0]


def history(page: str) -> str:
    return page.split('id="history-h"')[1]


async def test_a_reply_and_a_note_appear_at_once_in_order_with_the_reporters_words(world):
    owner = as_(await emailed(world))
    page = await world.page(f"/issues/{ISSUE}", owner)
    assert "Reply to the reporter" in page and "Internal note" in page
    assert "It goes out by email, in the reporter&#39;s own thread" in page

    world.clock.advance(minutes=1)
    page = await world.act(f"/issues/{ISSUE}/reply", owner, text=REPLY)
    # Ownership took it: shown before its event comes back through Kafka.
    assert "Reply on its way to the reporter" in page and REPLY in conversation(page)
    await world.feed(
        wrap(IssueUpdated(issue_id=ISSUE, channel="email", text="Thanks, when will I see it?",
                          updated_at=world.clock.now + timedelta(minutes=2)))
    )  # fmt: skip
    world.clock.advance(minutes=5)
    page = await world.act(f"/issues/{ISSUE}/note", owner, text=NOTE)
    assert "Internal note added" in page and "never sent" in page

    talk = conversation(await world.page(f"/issues/{ISSUE}", owner))
    # Once each (the reply's event is back: it is not shown twice), oldest first.
    assert [talk.count(t) for t in (REPLY, "when will I see it?", NOTE)] == [1, 1, 1]
    assert talk.index(REPLY) < talk.index("when will I see it?") < talk.index(NOTE)
    assert "replied to the reporter (email)" in talk and "internal note" in talk
    lines = history(await world.page(f"/issues/{ISSUE}", owner))
    assert lines.index("Replied to the reporter") < lines.index("Wrote an internal note")

    # The reply is an event the read model keeps; the note never is.
    async with world.workspace.state.runtime.db.session() as session:
        kinds = {e.kind: e.data for e in (await session.exec(select(IssueEvent))).all()}
    assert kinds["replied"]["text"] == REPLY
    assert not any(NOTE in str(e.model_dump()) for e in world.delivered)


async def test_the_forms_are_for_the_owner_the_head_and_administrators(world):
    owner = await emailed(world)
    other = "fin-hugo" if owner == "fin-gita" else "fin-gita"
    shown = {
        owner: as_(owner),
        "fin-head": as_("fin-head", "head", "reader"),
        "admin": as_("admin", "administrator", "reader", departments=""),
    }
    for who, headers in shown.items():
        assert 'action="/issues/' + ISSUE + '/reply"' in await world.page(
            f"/issues/{ISSUE}", headers
        ), who
    # A colleague in the department, and a department asked for help, read the
    # conversation (notes included) but have no forms: ownership would refuse them.
    await world.act(f"/issues/{ISSUE}/note", as_(owner), text=NOTE)
    await world.act(f"/issues/{ISSUE}/help", as_(owner), version=1, department="it",
                    question="Did the payment fail?")  # fmt: skip
    for headers in (as_(other), as_("it-kofi", departments="it")):
        page = await world.page(f"/issues/{ISSUE}", headers)
        assert NOTE in conversation(page)
        assert "/reply" not in page and "/note" not in page


async def test_the_forms_after_a_note_carry_ownerships_version_not_the_read_models(world):
    owner = as_(await emailed(world))
    acknowledged = await world.post(f"/issues/{ISSUE}/acknowledge", owner, version=1)
    assert acknowledged.status_code == 303  # its event not back yet: the read model says 1
    page = await world.act(f"/issues/{ISSUE}/note", owner, text=NOTE)
    assert 'name="version" value="2"' in page and 'name="version" value="1"' not in page


async def test_a_reporter_intake_cannot_reach_is_told_of_before_the_reply(world):
    owner = as_(await emailed(world, reachable=False))
    page = await world.page(f"/issues/{ISSUE}", owner)
    assert "sent to nobody. Tell them yourself." in page and "Record the reply" in page
    page = await world.act(f"/issues/{ISSUE}/reply", owner, text=REPLY)
    assert "Reply kept in the history" in page and REPLY in conversation(page)


async def test_refusals_are_clear_messages_not_errors(world):
    owner = await emailed(world)
    other = "fin-hugo" if owner == "fin-gita" else "fin-gita"
    # 403 from ownership: not theirs to answer, though they may see the issue.
    page = await world.act(f"/issues/{ISSUE}/reply", as_(other), text=REPLY)
    assert "Not done: not yours to change" in page and "or the head of finance" in page
    assert REPLY not in conversation(page)
    # 422 from ownership: only blanks (it strips them).
    page = await world.act(f"/issues/{ISSUE}/note", as_(owner), text="   ")
    assert "Not done: invalid request" in page and "Fix these fields: text" in page
    # 422 from the workspace: no text at all, or longer than ownership takes.
    for text in ("", "x" * 10_001):
        refused = await world.post(f"/issues/{ISSUE}/reply", as_(owner), text=text)
        assert refused.status_code == 422 and "Some fields need another look" in refused.text
    # 404: an issue the person may not see (or that does not exist).
    refused = await world.post(f"/issues/{ISSUE}/reply", as_("it-kofi", departments="it"),
                               text=REPLY)  # fmt: skip
    assert refused.status_code == 404 and "Not found" in refused.text
    # 404 from ownership: the read model knows the issue, ownership has not assigned it.
    unassigned = "d0d0d0d0-0000-4000-8000-000000000002"
    await world.feed(routed(unassigned, "finance"))
    page = await world.act(f"/issues/{unassigned}/reply", as_("fin-head", "head"), text=REPLY)
    assert "Not done: issue not found" in page


def stub(answers: dict[tuple[str, str], httpx.Response]) -> Ownership:
    """Ownership answering as told; anything else cannot be reached."""

    def answer(request: httpx.Request) -> httpx.Response:
        key = (request.method, request.url.path.rsplit("/", 1)[-1])
        if key not in answers:
            raise httpx.ConnectError("down", request=request)
        return answers[key]

    return Ownership("http://ownership", transport=httpx.MockTransport(answer))


async def test_a_conflict_says_what_the_issue_is_now(world):
    owner = await emailed(world)
    state = {"issue_id": ISSUE, "state": "resolved", "owner_id": owner, "department": "finance",
             "version": 3}  # fmt: skip
    world.workspace.state.ownership = stub({
        ("POST", "replies"): httpx.Response(
            409, json={"title": "Wrong state", "detail": "It moved on."}
        ),
        ("GET", ISSUE): httpx.Response(200, json=state),
        ("GET", "history"): httpx.Response(200, json=[]),
    })  # fmt: skip
    page = await world.act(f"/issues/{ISSUE}/reply", as_(owner), text=REPLY)
    assert "Not done: wrong state" in page and "It moved on." in page
    assert "It is now resolved" in page and "(version 3)" in page


async def test_ownership_out_of_reach_is_said_on_the_page_and_after_a_form(world):
    owner = await emailed(world)
    world.workspace.state.ownership = stub({})
    page = await world.page(f"/issues/{ISSUE}", as_(owner))
    assert "Internal notes cannot be shown just now (ownership cannot be reached)" in page
    page = await world.act(f"/issues/{ISSUE}/note", as_(owner), text=NOTE)
    assert "Not done: ownership cannot be reached" in page and "Nothing was changed" in page


async def test_a_reply_without_the_persons_csrf_token_is_refused(world):
    owner = await emailed(world)
    session = Session(
        person_id=owner, name=owner, roles=["liaison"], departments=["finance"],
        access_token="t", expires_at=time.time() + 600,
    )  # fmt: skip
    carrier = Response()
    world.workspace.state.jar.keep_session(carrier, session)
    world.http.cookies.set("baton_session", carrier.headers["set-cookie"].split(";")[0][14:])
    for path in ("reply", "note"):
        forged = await world.http.post(
            f"/issues/{ISSUE}/{path}", data={"text": REPLY}, headers={"accept": "text/html"}
        )
        assert forged.status_code == 403 and "Form expired" in forged.text
    ours = await world.http.post(
        f"/issues/{ISSUE}/reply", data={"text": REPLY, "csrf": session.csrf},
        headers={"accept": "text/html"},
    )  # fmt: skip
    world.http.cookies.clear()
    assert ours.status_code == 303
