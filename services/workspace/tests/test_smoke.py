import shutil

from playwright.async_api import async_playwright

from .conftest import as_

ISSUE = "11111111-0000-4000-8000-000000000001"


async def test_pages_render(world):
    await world.route(ISSUE)
    await world.route("22222222-0000-4000-8000-000000000002", subject="Parcel lost")
    r = await world.post(f"/issues/{ISSUE}/acknowledge", as_("fin-gita"), version=1)
    print(r.status_code, r.headers.get("location"))
    await world.relay()
    world.clock.advance(minutes=30)
    r = await world.post(f"/issues/{ISSUE}/handoff", as_("fin-gita"), version=2, to_department="operations", note="The parcel never left the warehouse; please check the courier.")
    await world.relay()
    world.clock.advance(minutes=50)
    r = await world.post(f"/issues/{ISSUE}/handoffs/1/accept", as_("ops-ana", departments="operations"), version=3)
    print(r.status_code, r.headers.get("location"))
    await world.relay()
    world.clock.advance(minutes=70)
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox", "--headless"])
        for who, hdr in [("gita", as_("fin-gita")), ("ana", as_("ops-ana", departments="operations"))]:
            ctx = await b.new_context(viewport={"width": 1280, "height": 900}, extra_http_headers=hdr)
            page = await ctx.new_page()

            async def serve(route, request):
                r = await world.http.request(request.method, request.url.replace("http://ws", ""), headers=dict(request.headers), content=request.post_data_buffer)
                await route.fulfill(status=r.status_code, headers=dict(r.headers), body=r.content)

            await page.route("http://ws/**", serve)
            for path in ["/my-work", f"/issues/{ISSUE}", "/departments/finance", "/stalls", "/scorecards"]:
                await page.goto("http://ws" + path)
                await page.screenshot(path=f"/tmp/shots/{who}{path.replace('/', '_')}.png", full_page=True)
            await ctx.close()
        await b.close()
