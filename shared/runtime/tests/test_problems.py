import httpx
from baton_runtime.problems import PROBLEM_JSON, Problem, install_problem_handlers
from fastapi import FastAPI
from pydantic import BaseModel


class Thing(BaseModel):
    name: str
    size: int


def app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/things")
    async def create(thing: Thing) -> Thing:
        return thing

    @app.get("/things/{name}")
    async def read(name: str) -> Thing:
        raise Problem(404, f"No thing {name!r}.", title="Thing not found")

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    return app


async def request(method: str, url: str, **kw) -> httpx.Response:
    transport = httpx.ASGITransport(app=app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.request(method, url, **kw)


async def test_validation_error_is_a_422_problem_naming_the_field():
    r = await request("POST", "/things", json={"name": "x", "size": "big"})
    assert r.status_code == 422
    assert r.headers["content-type"] == PROBLEM_JSON
    body = r.json()
    assert body["status"] == 422 and body["title"] == "Invalid request"
    assert body["errors"][0]["field"] == "size"
    assert "size" in body["detail"]


async def test_raised_problem_keeps_its_status_title_and_detail():
    r = await request("GET", "/things/nope")
    assert r.status_code == 404
    assert r.json() == {
        "type": "about:blank",
        "title": "Thing not found",
        "status": 404,
        "detail": "No thing 'nope'.",
        "instance": "/things/nope",
    }


async def test_unknown_route_is_a_problem_too():
    r = await request("GET", "/nowhere")
    assert r.status_code == 404
    assert r.headers["content-type"] == PROBLEM_JSON


async def test_unexpected_error_hides_internals():
    r = await request("GET", "/boom")
    assert r.status_code == 500
    assert "secret internals" not in r.text
