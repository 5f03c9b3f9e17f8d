"""Chat transcripts, phone call records and social posts: realistic samples,
each taken in once; a chat conversation later is an update."""

from baton_contracts import ISSUE_REPORTED_V1, IssueReported, IssueUpdated

TRANSCRIPT = {
    "conversation_id": "conv-881",
    "customer": {"email": "ada@example.com"},
    "messages": [
        {"from": "bot", "text": "Hi! How can I help?", "at": "2026-11-23T10:00:00Z"},
        {"from": "customer", "text": "My parcel never arrived.\nOrder 1234.",
         "at": "2026-11-23T10:00:30Z"},
        {"from": "agent", "text": "Sorry! Let me check.", "at": "2026-11-23T10:01:00Z"},
    ],
}  # fmt: skip
LATER = {"from": "customer", "text": "Any news?", "at": "2026-11-24T09:00:00Z"}
CALL = {
    "call_id": "call-5521",
    "caller": {"phone": "+44 20 7946 0958"},
    "started_at": "2026-11-23T09:30:00Z",
    "duration_s": 312,
    "agent_id": "agent-12",
    "notes": "Invoice shows the wrong VAT rate.\nCustomer wants a corrected one.",
    "transcript": "Caller: my invoice has 25% VAT, it should be 20%.",
}
POST = {
    "platform": "mastodon",
    "handle": "@ada@example.social",
    "post_url": "https://example.social/@ada/1122334455",
    "text": "@shop my order 1234 arrived broken, nobody answers!",
    "posted_at": "2026-11-23T08:15:00Z",
}


async def test_a_chat_transcript_becomes_an_issue_subjected_by_the_customers_first_words(client):
    r = await client.post("/v1/channels/chat", json=TRANSCRIPT)
    assert r.status_code == 202, r.text
    [event] = await client.outbox()
    assert isinstance(event.data, IssueReported)
    assert event.data.channel == "chat"
    assert event.data.subject == "My parcel never arrived."
    assert "agent: Sorry! Let me check." in event.data.description
    assert "@" not in event.model_dump_json()


async def test_the_same_conversation_later_is_an_update_with_only_the_new_messages(client):
    issue_id = (await client.post("/v1/channels/chat", json=TRANSCRIPT)).json()["issue_id"]
    later = TRANSCRIPT | {"messages": [*TRANSCRIPT["messages"], LATER]}
    r = await client.post("/v1/channels/chat", json=later)
    assert (r.json()["outcome"], r.json()["issue_id"]) == ("updated", issue_id)
    update = (await client.outbox())[-1]
    assert isinstance(update.data, IssueUpdated)
    assert update.data.text == "customer: Any news?"


async def test_the_same_transcript_sent_twice_changes_nothing(client):
    await client.post("/v1/channels/chat", json=TRANSCRIPT)
    r = await client.post("/v1/channels/chat", json=TRANSCRIPT)
    assert r.status_code == 200
    assert [e.type for e in await client.outbox()] == [ISSUE_REPORTED_V1]


async def test_an_employee_chatting_is_an_internal_request(client):
    body = TRANSCRIPT | {"customer": {"kind": "employee", "id": "emp-3", "department": "hr"}}
    await client.post("/v1/channels/chat", json=body)
    [event] = await client.outbox()
    assert event.data.internal is True
    assert event.data.reporter.model_dump() == {
        "kind": "employee",
        "id": "emp-3",
        "department": "hr",
        "reachable": False,  # an employee known by id alone: no chat connector configured
    }


async def test_a_call_record_becomes_an_issue_and_the_phone_number_stays_in_intake(client):
    r = await client.post("/v1/channels/phone", json=CALL)
    assert r.status_code == 202, r.text
    [row] = await client.outbox_rows()
    assert "7946" not in row.payload
    [event] = await client.outbox()
    assert event.data.channel == "phone"
    assert event.data.subject == "Invoice shows the wrong VAT rate."
    assert "Transcript:\nCaller: my invoice has 25% VAT" in event.data.description
    assert event.data.external_ref == "call-5521"


async def test_the_same_call_twice_is_one_issue(client):
    a = await client.post("/v1/channels/phone", json=CALL)
    b = await client.post("/v1/channels/phone", json=CALL)
    assert b.json()["issue_id"] == a.json()["issue_id"]
    assert len(await client.outbox()) == 1


async def test_a_social_post_becomes_an_issue_without_the_handle_in_the_event(client):
    r = await client.post("/v1/channels/social", json=POST)
    assert r.status_code == 202, r.text
    [row] = await client.outbox_rows()
    assert "@ada" not in row.payload  # not "ada": a random hex id may hold it
    [event] = await client.outbox()
    assert event.data.channel == "social"
    assert event.data.subject == "@shop my order 1234 arrived broken, nobody answers!"


async def test_the_same_post_twice_is_one_issue(client):
    await client.post("/v1/channels/social", json=POST)
    r = await client.post("/v1/channels/social", json=POST)
    assert r.status_code == 200
    assert len(await client.outbox()) == 1


async def test_json_doors_refuse_other_content_types_415(client):
    for door in ("chat", "phone", "social"):
        r = await client.post(
            f"/v1/channels/{door}", content=b"a=b", headers={"content-type": "text/plain"}
        )
        assert r.status_code == 415, door


async def test_a_caller_nobody_can_reach_is_a_422_problem(client):
    r = await client.post("/v1/channels/phone", json=CALL | {"caller": {}})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "caller"


async def test_channel_doors_need_a_write_key(anonymous):
    r = await anonymous.post("/v1/channels/chat", json=TRANSCRIPT)
    assert r.status_code == 401


async def test_every_endpoint_has_an_example_in_the_openapi_document(client):
    spec = (await client.get("/openapi.json")).json()
    for path in ("/v1/issues", "/v1/channels/email", "/v1/channels/chat",
                 "/v1/channels/phone", "/v1/channels/social"):  # fmt: skip
        body = spec["paths"][path]["post"]["requestBody"]["content"]
        for content in body.values():
            schema = content.get("schema", {})
            ref = schema.get("$ref", "").rsplit("/", 1)[-1]
            examples = spec["components"]["schemas"].get(ref, schema).get("examples")
            assert content.get("example") or examples, (path, content)
    for name in ("IssueAccepted", "IssuePublic"):  # what the doors and GET /v1/issues/{id} answer
        assert spec["components"]["schemas"][name]["examples"], name


async def test_an_id_made_only_of_control_characters_is_a_422_problem_not_a_500(client):
    r = await client.post("/v1/channels/phone", json=CALL | {"caller": {"id": "\x1f"}})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
