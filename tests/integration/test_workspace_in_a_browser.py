"""The workspace in a real browser (Debian's chromium, driven by Playwright) over
the real stack: a finance liaison signs in with the development identity
provider, watches a customer's new email issue arrive without reloading,
acknowledges it, writes an internal note and replies to the customer (the reply
reaches them by email, the note never does), and hands it to operations; an
operations liaison signs in, accepts and resolves it;
the stall board and both scorecards change accordingly. Every page is checked
by axe-core (no serious or critical violation) and photographed into
screenshots/ (which git ignores) for a person to look at."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, async_playwright, expect

from conftest import text_of
from tests.integration.conftest import eventually
from tests.integration.test_reporters_hear_back import mail, mails_to, post_mail

pytestmark = pytest.mark.integration

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
# Debian's chromium, as root and with no network beyond this machine.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS = 30_000


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is needed: apt-get install chromium (.ci/run does)"
    async with async_playwright() as playwright:
        found = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield found
        await found.close()


async def checked(page: Page, name: str) -> None:
    """axe-core finds nothing serious or critical; a full-page screenshot for people."""
    results = await Axe().run(page)
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], f"{name}: {bad}"
    SHOTS.mkdir(exist_ok=True)
    await page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


async def signed_in(browser: Browser, stack, name: str) -> Page:
    """A fresh browser session, signed in by choosing ``name`` at the provider."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(stack.url("workspace") + "/")
    assert page.url.startswith(stack.idp.url), page.url  # sent to sign in
    await page.get_by_role("button", name=re.compile(f"^{name}")).first.click()
    await page.wait_for_url(re.compile(re.escape(stack.url("workspace")) + r"/(my-work|stalls)"))
    return page


def metric(html: str, row: str, name: str) -> int:
    """A number of the stall board's or a scorecard's row (``data-<kind>="<row>"``)."""
    found = re.search(
        rf'data-(?:department|person)="{re.escape(row)}">.*?data-metric="{name}">\s*'
        r"(?:<span[^>]*>)?(\d+)",
        html,
        re.S,
    )
    assert found, f"no {name} for {row}"
    return int(found.group(1))


def resolve_count(html: str, department: str) -> int:
    """How many resolutions the stall board's time-to-resolve chart counts."""
    found = re.search(rf"{department}: median [^()]*\((\d+)\)", html.split('id="res-d"')[1])
    assert found, f"no resolve count for {department}"
    return int(found.group(1))


async def availability(stack, http, person: str, **body: object) -> None:
    r = await http.put(
        f"{stack.url('ownership')}/v1/departments/finance/members/{person}/availability",
        json=body,
        headers=stack.as_("fin-head"),
    )
    assert r.status_code == 200, r.text


async def test_a_journey_through_the_workspace_in_a_browser(stack, http, browser):
    workspace = stack.url("workspace")
    reader = stack.as_("reader")

    async def html(path: str) -> str:
        async with httpx.AsyncClient(timeout=10, headers=reader) as client:
            r = await client.get(workspace + path)
        assert r.status_code == 200, r.text
        return r.text

    cards, board = await html("/scorecards"), await html("/stalls")
    before = {
        "finance out": metric(cards, "finance", "handoffs_out"),
        "operations in": metric(cards, "operations", "handoffs_in"),
        "operations resolved": metric(cards, "operations", "resolved"),
        "gita out": metric(cards, "fin-gita", "handoffs_out") if "fin-gita" in cards else 0,
        "ana resolved": metric(cards, "ops-ana", "resolved") if "ops-ana" in cards else 0,
        "board finance out": metric(board, "finance", "handoffs_out"),
        "board resolved": resolve_count(board, "Operations"),
    }
    # Hugo is away for this test: the new finance issue can only be Gita's.
    await availability(stack, http, "fin-hugo", on_duty=False)
    await availability(stack, http, "fin-gita", on_duty=True, capacity=1000)
    try:
        gita = await signed_in(browser, stack, "Gita Rao")
        await expect(gita.get_by_role("heading", name="My work")).to_be_visible()
        await checked(gita, "1-my-work-before")
        await gita.evaluate("window.sameDocument = true")

        n = uuid.uuid4().hex[:6]
        subject, ada = f"Charged twice for order {n}", f"ada-{n}@example.com"
        taken = await post_mail(stack, http, mail(
            f"Ada <{ada}>", subject, "I was charged twice; please refund one.",
            f"<first-{n}@example.com>",
        ))  # fmt: skip
        issue_id = taken["issue_id"]
        # It arrives without a reload (server-sent events).
        link = gita.get_by_role("link", name=subject)
        await expect(link).to_be_visible(timeout=WAIT_MS)
        assert await gita.evaluate("window.sameDocument === true"), "the page was reloaded"
        await checked(gita, "2-my-work-new-issue")

        await link.click()
        await gita.wait_for_url(f"{workspace}/issues/{issue_id}")
        await expect(gita.get_by_text("I was charged twice; please refund one.")).to_be_visible()
        await expect(gita.locator(".next")).to_contain_text("Acknowledge it by")
        await checked(gita, "3-issue-assigned")
        await gita.get_by_role("button", name="Acknowledge").click()
        await expect(gita.locator(".flash")).to_contain_text("Acknowledged")

        # An internal note, then a reply on the customer's email thread: both in the
        # conversation and the history at once; only the reply reaches the customer.
        note = f"Bank says the second charge {n} is only a hold."
        reply = f"The second charge {n} is a hold your bank releases within 3 days."
        await expect(gita.locator("#reply-how")).to_contain_text("by email, in the reporter")
        await gita.get_by_label("Your note").fill(note)
        await gita.get_by_role("button", name="Add the note").click()
        await expect(gita.locator(".flash")).to_contain_text("Internal note added")
        await gita.get_by_label("Your reply").fill(reply)
        await gita.get_by_role("button", name="Send the reply").click()
        await expect(gita.locator(".flash")).to_contain_text("Reply on its way to the reporter")
        talk = gita.locator("ol.conversation > li")
        await expect(talk.filter(has_text=note)).to_contain_text("internal note")
        await expect(talk.filter(has_text=reply)).to_contain_text("replied to the reporter")
        await expect(gita.locator(".history")).to_contain_text("Wrote an internal note")
        await expect(gita.locator(".history")).to_contain_text("Replied to the reporter")
        await checked(gita, "3b-issue-replied")
        await mails_to(stack, ada, containing=reply)
        assert not [m for m in stack.inbox.to(ada) if note in text_of(m)], "the note was sent"

        await gita.get_by_label("To department").select_option("operations")
        await gita.get_by_label("Note for them").fill("The parcel never left the warehouse.")
        await gita.get_by_role("button", name="Ask them to take it").click()
        await expect(gita.locator(".flash")).to_contain_text("Hand-off asked of Operations")
        await expect(gita.locator(".next")).to_contain_text("Waiting for Operations")
        await checked(gita, "4-issue-handoff-asked")

        # While operations has not answered, finance's hand-off waits on the stall board.
        async def waiting_on_board():
            return (
                metric(await html("/stalls"), "finance", "handoffs_out")
                > before["board finance out"]
                or None
            )

        await eventually(waiting_on_board, what="the waiting hand-off on the stall board")

        ana = await signed_in(browser, stack, "Ana Ortega")
        waiting = ana.locator("section[aria-labelledby=handoffs-h]").get_by_role(
            "link", name=subject
        )
        await expect(waiting).to_be_visible(timeout=WAIT_MS)
        await checked(ana, "5-my-work-handoff-waiting")
        await waiting.click()
        await ana.wait_for_url(f"{workspace}/issues/{issue_id}")
        await expect(ana.locator(".next")).to_contain_text("asks Operations to take this issue")
        await checked(ana, "6-issue-handoff-to-accept")
        await ana.get_by_role("button", name="Accept", exact=True).click()
        await expect(ana.locator(".flash")).to_contain_text("you own this issue now")

        await ana.get_by_label("Resolution").select_option("replaced")
        await ana.get_by_label("What was done").fill("Sent a new parcel by courier.")
        await ana.get_by_role("button", name="Resolve", exact=True).click()
        await expect(ana.locator(".flash")).to_contain_text("Resolved")

        # Once the events are back, the page tells the whole story.
        async def told():
            await ana.reload()
            return "Sent a new parcel by courier." in await ana.content() or None

        await eventually(told, what="the resolution on the issue's page")
        await expect(ana.get_by_role("img", name=re.compile("journey"))).to_be_visible()
        await expect(ana.locator(".history")).to_contain_text("Accepted the hand-off")
        # The reply came back as an event: shown once, beside the note, to the new owner.
        await expect(ana.locator("ol.conversation > li")).to_have_count(2)
        await expect(ana.locator(".conversation")).to_contain_text(note)
        await checked(ana, "7-issue-resolved")

        await ana.goto(f"{workspace}/departments/operations")
        await checked(ana, "8-department")

        # The stall board and both scorecards count the journey.
        async def counted():
            cards, board = await html("/scorecards"), await html("/stalls")
            now = {
                "finance out": metric(cards, "finance", "handoffs_out"),
                "operations in": metric(cards, "operations", "handoffs_in"),
                "operations resolved": metric(cards, "operations", "resolved"),
                "gita out": metric(cards, "fin-gita", "handoffs_out"),
                "ana resolved": metric(cards, "ops-ana", "resolved"),
                "board resolved": resolve_count(board, "Operations"),
            }
            return now if all(now[k] >= before[k] + 1 for k in now) else None

        await eventually(counted, what="the journey on the scorecards and the stall board")
        await ana.goto(f"{workspace}/stalls")
        await checked(ana, "9-stall-board")
        await ana.goto(f"{workspace}/scorecards")
        await expect(ana.locator('tr[data-person="ops-ana"]')).to_be_visible()
        # Interrupt load and internal requests, read from ownership as Ana: it answered.
        await expect(ana.locator('tr[data-load="operations"]')).to_be_visible()
        await expect(ana.locator('[data-missing="ownership"]')).to_have_count(0)
        await checked(ana, "10-scorecards")
    finally:
        await availability(stack, http, "fin-hugo", on_duty=True)
        await availability(stack, http, "fin-gita", capacity=25)
