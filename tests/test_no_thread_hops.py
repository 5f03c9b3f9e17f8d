"""No route hops to a worker thread on its way in.

FastAPI runs a plain function (a dependency, or the endpoint itself) in its
thread pool: a thread switch, and a wait for a free thread, on every request
that needs it; on intake's ``POST /v1/issues`` that was an eighth of the
request's CPU. So every dependency and endpoint of every service is a coroutine
(or an async generator), unless it is listed here with why it blocks."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from tests.test_route_roles import SERVICES, app_of, idp  # noqa: F401 (a fixture)

# Plain functions that may run in the pool, and why (none today).
BLOCKING: set[str] = set()


def awaited(call: Callable[..., Any]) -> bool:
    """Whether FastAPI awaits ``call`` on the event loop (as it decides: a class,
    or a plain function or ``__call__``, goes to the pool)."""
    if inspect.isclass(call):
        return False
    target = call if inspect.isroutine(call) or hasattr(call, "func") else call.__call__  # type: ignore[operator]
    return inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target)


def plain(dependant: Dependant) -> list[str]:
    found = []
    call = dependant.call
    if call is not None and not awaited(call):
        found.append(f"{call.__module__}.{getattr(call, '__qualname__', call)}")
    for sub in dependant.dependencies:
        found += plain(sub)
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_no_dependency_or_endpoint_runs_in_the_thread_pool(service, tmp_path, idp):  # noqa: F811
    app = app_of(service, tmp_path, idp)
    hops = {
        f"{','.join(sorted(route.methods))} {route.path}: {name}"
        for route in app.routes
        if isinstance(route, APIRoute)
        for name in plain(route.dependant)
        if name not in BLOCKING
    }
    assert sorted(hops) == []
