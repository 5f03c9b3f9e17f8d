"""Ownership's API (and notifications', for the scorecards' interrupt load),
called on behalf of the signed-in person with their own access token: the
service decides, as for any caller, whether they may."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any] | list[Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def conflict(self) -> bool:
        return self.status == 409

    def problem(self) -> tuple[str, str]:
        """(title, detail) of a refusal, in ownership's words."""
        body = self.body if isinstance(self.body, dict) else {}
        return str(body.get("title") or "Refused"), str(body.get("detail") or "")


class Api:
    name = "A service"

    def __init__(self, base_url: str, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, timeout=10, transport=transport)

    async def close(self) -> None:
        await self._http.aclose()

    async def call(
        self,
        method: str,
        path: str,
        *,
        auth: dict[str, str],
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        within_s: float | None = None,
    ) -> Answer:
        """``auth``: the headers that make the call the person's (their bearer token).
        ``within_s``: shorter than the default for what a page only shows."""
        extra: dict[str, Any] = {} if within_s is None else {"timeout": within_s}
        try:
            answer = await self._http.request(
                method, path, json=json, params=params, headers=auth, **extra
            )
        except httpx.HTTPError:
            return Answer(
                503,
                {
                    "title": f"{self.name} cannot be reached",
                    "detail": "Nothing was changed. Try again in a moment.",
                },
            )
        try:
            body = answer.json()
        except ValueError:
            body = {"title": "Unexpected answer", "detail": answer.text[:300]}
        return Answer(answer.status_code, body)


class Ownership(Api):
    name = "Ownership"

    async def issue(self, issue_id: str, *, auth: dict[str, str]) -> Answer:
        return await self.call("GET", f"/v1/issues/{issue_id}", auth=auth)

    async def history(self, issue_id: str, *, auth: dict[str, str]) -> Answer:
        """Every change to the issue as ownership recorded it, internal notes included
        (they are never events: this is the only place they can be read)."""
        return await self.call("GET", f"/v1/issues/{issue_id}/history", auth=auth)

    async def members(self, department: str, *, auth: dict[str, str]) -> Answer:
        return await self.call("GET", f"/v1/departments/{department}/members", auth=auth)

    async def scorecard(
        self, department: str, *, since: str, until: str, auth: dict[str, str], within_s: float
    ) -> Answer:
        """The department's scorecard: its interrupt load and internal requests."""
        return await self.call(
            "GET", f"/v1/departments/{department}/scorecard", auth=auth,
            params={"since": since, "until": until}, within_s=within_s,
        )  # fmt: skip


class Notifications(Api):
    name = "Notifications"

    async def interrupts(
        self, department: str, *, since: str, until: str, auth: dict[str, str], within_s: float
    ) -> Answer:
        """Notices that reached the department's people, within and outside working hours."""
        return await self.call(
            "GET", "/v1/interrupts", auth=auth, within_s=within_s,
            params={"department": department, "since": since, "until": until},
        )  # fmt: skip
