"""No route hops to a worker thread on its way in.

FastAPI runs a plain function (a dependency, or the endpoint itself) in its
thread pool: a thread switch, and a wait for a free thread, on every request
that needs it; on intake's ``POST /v1/issues`` that was an eighth of the
request's CPU. So every documented route of every service is called here, as an
administrator, and nothing may go to the pool on the way (``BLOCKING`` lists
what may, and why: nothing today)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import fastapi.dependencies.utils
import fastapi.routing
import httpx
import pytest

from tests.identity_provider import token
from tests.test_route_roles import SERVICES, app_of, concrete, idp, operations  # noqa: F401

# Plain functions that may run in the pool, and why (none today).
BLOCKING: set[str] = set()


@pytest.mark.parametrize("service", SERVICES)
async def test_no_dependency_or_endpoint_runs_in_the_thread_pool(
    service,
    tmp_path,
    idp,  # noqa: F811 (the fixture)
    monkeypatch,
):
    hops: set[str] = set()

    def recording(module: Any) -> None:
        pooled = module.run_in_threadpool

        async def run_in_threadpool(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            name = getattr(call, "__qualname__", repr(call))
            if name not in BLOCKING:
                hops.add(f"{call.__module__}.{name}")
            return await pooled(call, *args, **kwargs)

        monkeypatch.setattr(module, "run_in_threadpool", run_in_threadpool)

    recording(fastapi.dependencies.utils)
    recording(fastapi.routing)
    app = app_of(service, tmp_path, idp)
    headers = {"Authorization": f"Bearer {token(idp, sub='p-1', roles=['administrator'])}"}
    transport = httpx.ASGITransport(app=app)  # no lifespan: no Kafka needed
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        for method, path, _ in operations(app):
            await http.request(method, concrete(path), json={}, headers=headers)
    assert sorted(hops) == []
