"""Limits, each a clear problem: size 413, content type 415, lengths 422; control
characters and markup never reach the normalized text."""

import pytest
from baton_contracts import IssueReported


async def test_a_body_over_the_limit_is_a_413_problem(issue, client):
    big = issue | {"description": "x" * (70 * 1024)}
    r = await client.post("/v1/issues", json=big)
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    assert await client.outbox() == []


async def test_a_streamed_body_over_the_limit_is_a_413_problem_too(client):
    async def chunks():
        for _ in range(70):
            yield b"x" * 1024

    r = await client.post(
        "/v1/issues", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", None])
async def test_another_content_type_is_a_415_problem(client, content_type):
    headers = {"content-type": content_type} if content_type else {}
    r = await client.post("/v1/issues", content=b"{}", headers=headers)
    assert r.status_code == 415
    assert r.headers["content-type"] == "application/problem+json"


async def test_a_field_over_its_length_is_a_422_problem_naming_it(issue, client):
    r = await client.post("/v1/issues", json=issue | {"description": "x" * 20_001})
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["description"]


async def test_control_characters_and_markup_are_removed_from_the_normalized_text(issue, client):
    body = issue | {
        "subject": "Refund\x01 <b>now</b>\x1b",
        "description": (
            "<p>Hi,</p><script>alert('x')</script><style>p{}</style>"
            "&lt;script&gt;steal()&lt;/script&gt;<img src=x onerror=alert(1)>thanks\x07"
        ),
    }
    r = await client.post("/v1/issues", json=body)
    assert r.status_code == 202
    [event] = await client.outbox()
    assert isinstance(event.data, IssueReported)
    assert event.data.subject == "Refund now"
    assert event.data.description == "Hi,\nthanks"
    for forbidden in ("<", ">", "script", "alert", "\x01", "\x07"):
        assert forbidden not in event.data.description + event.data.subject


async def test_a_nul_character_is_refused_before_anything_is_taken_in(issue, client):
    # The kernel refuses NUL at the door (PostgreSQL cannot store it in text).
    r = await client.post("/v1/issues", json=issue | {"subject": "Refund\x00 now"})
    assert r.status_code == 422 and "NUL" in r.json()["detail"]
    assert await client.outbox() == []


async def test_text_that_is_only_markup_is_a_422_problem(issue, client):
    r = await client.post("/v1/issues", json=issue | {"subject": "<b></b><script>x</script>"})
    assert r.status_code == 422
    assert "subject" in [e["field"] for e in r.json()["errors"]]


async def test_a_json_door_given_bytes_that_are_not_json_text_answers_its_documented_400(client):
    # Found by fuzzing: FastAPI answers such a body 400, which the document did not say.
    r = await client.post(
        "/v1/channels/chat", content=b"\xff\x0f", headers={"content-type": "application/json"}
    )
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    documented = (await client.get("/openapi.json")).json()["paths"]["/v1/channels/chat"]["post"]
    assert "400" in documented["responses"]
