"""Ownership's API, called on behalf of the signed-in person with their own
access token: ownership decides, as for any caller, whether they may."""

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


class Ownership:
    def __init__(self, base_url: str, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, timeout=10, transport=transport)

    async def close(self) -> None:
        await self._http.aclose()

    async def call(
        self, method: str, path: str, *, auth: dict[str, str], json: dict[str, Any] | None = None
    ) -> Answer:
        """``auth``: the headers that make the call the person's (their bearer token)."""
        try:
            answer = await self._http.request(method, path, json=json, headers=auth)
        except httpx.HTTPError:
            return Answer(
                503,
                {
                    "title": "Ownership cannot be reached",
                    "detail": "Nothing was changed. Try again in a moment.",
                },
            )
        try:
            body = answer.json()
        except ValueError:
            body = {"title": "Unexpected answer", "detail": answer.text[:300]}
        return Answer(answer.status_code, body)

    async def issue(self, issue_id: str, *, auth: dict[str, str]) -> Answer:
        return await self.call("GET", f"/v1/issues/{issue_id}", auth=auth)

    async def history(self, issue_id: str, *, auth: dict[str, str]) -> Answer:
        """Every change to the issue as ownership recorded it, internal notes included
        (they are never events: this is the only place they can be read)."""
        return await self.call("GET", f"/v1/issues/{issue_id}/history", auth=auth)

    async def members(self, department: str, *, auth: dict[str, str]) -> Answer:
        return await self.call("GET", f"/v1/departments/{department}/members", auth=auth)
