"""Property-based fuzzing (Schemathesis) against the workspace's own OpenAPI
document (its pages and forms; not sign-in, health or static files): no 5xx,
every refusal an HTML page (the workspace answers people), every redirect on
this site; as a liaison of finance (development header mode, past the gates,
over seeded issues), as a signed-in liaison (a session cookie: their forms need
the CSRF token the fuzzer does not have) and as a browser with nobody signed in
(sent to sign in). Ownership and notifications are not there: their address
answers nobody, as when they are down."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from baton_contracts import DepartmentUpdated
from baton_workspace.app import create_app
from baton_workspace.cookies import SESSION, Session
from baton_workspace.projection import service as projection
from baton_workspace.settings import Settings
from fastapi.responses import Response

from tests.openapi_fuzz import fuzz, fuzz_settings, refuses_invalid_data, schema_of

from .conftest import WORKSPACE, departments, reported, routed

NOBODY_LISTENS = "http://127.0.0.1:1"
# The pages and forms: sign-in, sign-out and the provider's callback are the
# provider's conversation, not a form to fuzz; health, metrics and static files are
# not for people.
PAGES = r"^/(?!(healthz|readyz|metrics|login|logout|signed-out|auth/|static/))"
FINANCE = ["fin-1", "fin-2", "fin-3"]  # issues a finance liaison sees
KNOWN = {"issue_id": [*FINANCE, "it-1"], "name": ["finance", "it"], "person_id": ["fin-gita"]}
HTML = {"Accept": "text/html"}  # as a browser: pages, not problem details
LIAISON = {"x-baton-actor": "fin-gita", "x-baton-roles": "liaison,reader"}
LIAISON |= {"x-baton-departments": "finance"} | HTML


def on_this_site(ctx, response, case) -> None:
    """A refusal is a page a person reads; a redirect stays on this site."""
    where = f"{case.method} {case.formatted_path} -> {response.status_code}"
    assert response.status_code < 500, f"{where}: {response.text[:500]}"
    if 300 <= response.status_code < 400:
        target = response.headers.get("location", [""])[0]
        assert target.startswith("/") and not target.startswith("//"), f"{where}: to {target}"
    if 400 <= response.status_code < 500:
        kind = response.headers.get("content-type", [""])[0]
        assert kind.startswith("text/html"), f"{where}: not a page ({kind})"
        assert "<h1" in response.text, f"{where}: a page that says nothing"


def to_sign_in(response) -> bool:  # type: ignore[no-untyped-def]
    target = response.headers.get("location", [""])[0]
    return response.status_code == 303 and target.startswith("/login?next=")


def page_or_refused(ctx, response, case) -> None:
    """``on_this_site``, and invalid input refused, unless the caller was sent to sign
    in first (a token that is not one: who they are comes before what they sent)."""
    on_this_site(ctx, response, case)
    if not to_sign_in(response):
        refuses_invalid_data(ctx, response, case)


def sent_to_sign_in(ctx, response, case) -> None:
    """Nobody signed in: sent to sign in (and back here after), or a page saying
    what is wrong with the request itself; never a page of someone's work."""
    on_this_site(ctx, response, case)
    where = f"{case.method} {case.formatted_path} -> {response.status_code}"
    assert response.status_code >= 300, f"{where}: answered nobody"
    if response.status_code < 400:
        assert to_sign_in(response), f"{where}: to {response.headers.get('location')}"


def run(  # type: ignore[no-untyped-def]
    api, headers: dict[str, str], examples: int, refusal=page_or_refused
) -> list[str]:
    return fuzz(
        api, headers, examples=examples, known=KNOWN, refusal=refusal,
        documented_answers=False, refuses_invalid=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def app(tmp_path_factory):  # type: ignore[no-untyped-def]
    where = tmp_path_factory.mktemp("fuzz")
    settings = Settings(
        **fuzz_settings(where, "workspace", WORKSPACE),
        state_dir=str(where),
        workspace_ownership_url=NOBODY_LISTENS,
        workspace_notifications_url=NOBODY_LISTENS,
        workspace_session_key="fuzz-" + "k" * 32,
        # A live list's stream ends at once: the fuzzer reads it to the end.
        workspace_live_max_seconds=0.05,
        workspace_live_poll_seconds=0.01,
    )
    made = create_app(settings)

    async def seed() -> None:
        # As the consumers would: the departments, and issues routed to finance
        # (which the liaison sees) and to IT (which they do not).
        db = made.state.runtime.db
        issues = [(i, "finance") for i in FINANCE] + [("it-1", "it")]
        events = [*departments()]
        events += [e for i, d in issues for e in (reported(i), routed(i, d))]
        for envelope in events:
            async with db.transaction() as session:
                if isinstance(envelope.payload(), DepartmentUpdated):
                    await projection.department_updated(session, envelope.payload())
                else:
                    await projection.record(session, envelope)
        await db.dispose()

    asyncio.run(seed())
    return made


def ask(app, method: str, path: str, headers: dict[str, str]) -> httpx.Response:  # type: ignore[no-untyped-def]
    """One request, to show the fuzzer starts where it should (past the gates, or not)."""

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://workspace") as http:
            answer = await http.request(method, path, headers=headers, data={"version": "1"})
        await app.state.runtime.db.dispose()  # its connections belong to this loop
        return answer

    return asyncio.run(send())


@pytest.fixture(scope="module")
def api(app):  # type: ignore[no-untyped-def]
    return schema_of(app, path_regex=PAGES)


def test_a_liaison_gets_no_5xx_and_refusals_are_pages(app, api):
    assert ask(app, "GET", "/issues/fin-1", LIAISON).status_code == 200
    assert ask(app, "GET", "/issues/it-1", LIAISON).status_code == 404  # not finance's
    acted = ask(app, "POST", "/issues/fin-1/acknowledge", LIAISON)
    assert acted.status_code == 303 and acted.headers["location"] == "/issues/fin-1"
    flash = acted.headers["set-cookie"].split(";")[0]  # the page after it says why
    page = ask(app, "GET", "/issues/fin-1", LIAISON | {"Cookie": flash})
    assert "Not done: ownership cannot be reached" in page.text
    assert "Nothing was changed" in page.text
    labels = run(api, LIAISON, 8)
    assert len(labels) == 19  # home, my work (and live), the issue and its 10 forms, ...
    assert not any(label.split(" ", 1)[1].startswith(("/healthz", "/login")) for label in labels)


def test_a_signed_in_liaison_without_the_csrf_token_is_refused_with_a_page(app, api):
    session = Session(
        person_id="fin-gita", name="Gita Rao", roles=["liaison", "reader"],
        departments=["finance"], access_token="not-a-token", expires_at=time.time() + 3600,
    )  # fmt: skip

    kept = Response()
    app.state.jar.keep_session(kept, session)  # as signing in does
    cookie = kept.headers["set-cookie"].split(";")[0]
    assert cookie.startswith(f"{SESSION}=")
    # No X-Baton-Actor: the session is who acts.
    signed_in = {"Cookie": cookie, "x-baton-actor": ""} | HTML
    assert ask(app, "GET", "/my-work", signed_in).status_code == 200
    refused = ask(app, "POST", "/issues/fin-1/acknowledge", signed_in)
    assert refused.status_code == 403 and "Form expired" in refused.text
    run(api, signed_in, 3)


def test_nobody_signed_in_is_sent_to_sign_in(api):
    run(api, {"x-baton-actor": ""} | HTML, 3, sent_to_sign_in)


def test_a_nul_character_is_refused_with_a_page_for_a_browser(app):
    """Found by fuzzing: the kernel refuses it before any route, as problem details."""
    page = ask(app, "GET", "/stalls?department=%00", LIAISON)
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert "NUL character" in page.text
    script = ask(app, "GET", "/stalls?department=%00", {"accept": "application/json"})
    assert script.headers["content-type"].startswith("application/problem+json")
