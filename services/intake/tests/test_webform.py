"""Web forms post application/x-www-form-urlencoded to POST /v1/issues; the
visitor's address stays in intake, the event carries a contact id."""

from urllib.parse import urlencode

from baton_contracts import IssueReported
from baton_intake.contacts.models import Contact
from sqlmodel import select

FORM = {
    "subject": "Broken checkout",
    "description": "The pay button does nothing.",
    "email": "Ada@Example.com",
    "csrf_token": "abc",  # what real forms also send: ignored
}
FORM_TYPE = {"content-type": "application/x-www-form-urlencoded"}


async def post_form(client, form: dict, **headers):
    return await client.post("/v1/issues", content=urlencode(form), headers=FORM_TYPE | headers)


async def test_a_web_form_reports_an_issue_on_the_web_form_channel(client):
    r = await post_form(client, FORM)
    assert r.status_code == 202, r.text
    [event] = await client.outbox()
    assert isinstance(event.data, IssueReported)
    assert event.data.channel == "web_form"
    assert event.data.subject == "Broken checkout"


async def test_the_email_address_stays_in_intake_and_the_event_carries_a_contact_id(client):
    await post_form(client, FORM)
    [row] = await client.outbox_rows()
    assert "example.com" not in row.payload.lower()
    async with client.runtime.db.session() as session:
        contact = (await session.exec(select(Contact))).one()
    assert contact.value == "ada@example.com"
    assert f'"id":"{contact.id}"' in row.payload


async def test_the_same_visitor_is_the_same_reporter_so_a_resubmit_is_a_near_duplicate(client):
    await post_form(client, FORM)
    again = await post_form(client, FORM | {"email": "ada@example.com"})
    assert again.json()["outcome"] == "duplicate_linked"


async def test_an_employee_form_is_an_internal_request(client):
    form = {"subject": "Laptop", "description": "Need one", "employee_id": "emp-1",
            "department": "sales"}  # fmt: skip
    r = await post_form(client, form)
    [event] = await client.outbox()
    assert event.data.internal is True
    assert event.data.reporter.department == "sales"
    assert r.status_code == 202


async def test_a_form_without_any_way_to_reach_the_visitor_is_a_422_problem(client):
    r = await post_form(client, {"subject": "x", "description": "y"})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"


async def test_a_form_retry_with_the_same_idempotency_key_creates_nothing(client):
    a = await post_form(client, FORM, **{"Idempotency-Key": "f1"})
    b = await post_form(client, FORM, **{"Idempotency-Key": "f1"})
    assert a.json() == b.json()
    assert len(await client.outbox()) == 1
