"""Answers kept a few seconds in this process: figures that move slowly and that
every employee's page asks for (30 days of scores, other services' scorecards)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Kept(Generic[K, V]):
    """``get`` answers what was made for ``key`` less than ``seconds`` ago, else
    makes it again; 0 seconds keeps nothing. ``keep`` says whether an answer is
    worth keeping (a refusal or a failure is not: the next page asks again)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._kept: dict[K, tuple[float, V]] = {}

    async def get(
        self, key: K, make: Callable[[], Awaitable[V]], *, keep: Callable[[V], bool] = bool
    ) -> V:
        kept = self._kept.get(key)
        if kept is not None and kept[0] > time.monotonic():
            return kept[1]
        made = await make()
        if self.seconds > 0 and keep(made):
            self._kept[key] = (time.monotonic() + self.seconds, made)
        return made
