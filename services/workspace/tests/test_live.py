"""My work follows new work without a reload: its event stream sends the list
again when an issue arrives."""

import asyncio

from .conftest import as_

NEW = "d0d0d0d0-0000-4000-8000-000000000001"


async def test_a_new_issue_is_sent_to_its_owners_open_page(world):
    settings = world.workspace.state.runtime.settings
    settings.workspace_live_max_seconds = 2.0
    settings.workspace_live_poll_seconds = 0.2
    gita = as_("fin-gita")
    # Hugo is away: the new issue can only be Gita's.
    await world.act(
        "/departments/finance/members/fin-hugo/availability",
        as_("fin-head", "head"),
        on_duty="false",
    )
    page = await world.page("/my-work", gita)
    seen = page.split("seen=")[1].split('"')[0]
    assert 'sse-connect="/my-work/live' in page

    async def arrives() -> None:
        await asyncio.sleep(0.5)
        await world.route(NEW, "finance", subject="Double charge on my card")
        world.workspace.state.changes.changed()

    stream, _ = await asyncio.gather(
        world.http.get(f"/my-work/live?seen={seen}", headers=gita), arrives()
    )
    assert stream.headers["content-type"].startswith("text/event-stream")
    events = [e for e in stream.text.split("\n\n") if e.startswith("event: work")]
    assert len(events) == 1, stream.text[:500]
    assert "Double charge on my card" in events[0]
    assert all(line.startswith(("event:", "data:")) for line in events[0].splitlines())


async def test_nothing_new_sends_nothing_but_a_keepalive(world):
    settings = world.workspace.state.runtime.settings
    settings.workspace_live_max_seconds = 0.5
    settings.workspace_live_poll_seconds = 0.1
    gita = as_("fin-gita")
    page = await world.page("/my-work", gita)
    seen = page.split("seen=")[1].split('"')[0]
    stream = await world.http.get(f"/my-work/live?seen={seen}", headers=gita)
    assert "event: work" not in stream.text and ": still here" in stream.text
