"""The OpenAPI document says what the workspace answers: pages are HTML, actions
send the browser on (303) to the page that shows their result, and the live list
is an event stream — not the JSON FastAPI assumes."""


def answers(spec: dict, method: str, path: str) -> dict[str, list[str]]:
    responses = spec["paths"][path][method]["responses"]
    return {status: list(r.get("content", {})) for status, r in responses.items() if status < "400"}


async def test_pages_are_html_actions_see_other_and_the_live_list_an_event_stream(world):
    spec = world.workspace.openapi()
    for page in ("/my-work", "/issues/{issue_id}", "/departments", "/stalls", "/scorecards"):
        assert answers(spec, "get", page) == {"200": ["text/html"]}, page
    actions = [
        (method, path)
        for path, operations in spec["paths"].items()
        for method in operations
        if method == "post"
    ]
    assert len(actions) >= 11
    for method, path in actions:
        assert answers(spec, method, path) == {"303": []}, path
    assert answers(spec, "get", "/") == {"303": []}
    assert answers(spec, "get", "/my-work/live") == {"200": ["text/event-stream"]}
