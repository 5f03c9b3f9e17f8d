"""Live lists: each page that follows new work waits here, and the consumers say
when they committed something. Another replica's consumers cannot wake this
process, so waiting also ends after a while (the page then looks again)."""

from __future__ import annotations

import asyncio
import contextlib


class Changes:
    def __init__(self) -> None:
        self._waiting: set[asyncio.Event] = set()

    def changed(self) -> None:
        for waiter in self._waiting:
            waiter.set()

    async def wait(self, timeout_s: float) -> None:
        waiter = asyncio.Event()
        self._waiting.add(waiter)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter.wait(), timeout=timeout_s)
        finally:
            self._waiting.discard(waiter)
