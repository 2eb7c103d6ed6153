"""Updates from different people are handled side by side; one person's, strictly in order.

python-telegram-bot handles updates one at a time unless told otherwise, so one person's slow
reply (Telegram asking us to wait, a retry after a dropped connection, a flood) would hold up
everyone. `PerPersonOrder` lets up to `MAX_CONCURRENT` updates run at once, but never two from
the same person (or chat): a person's answers are read and stored in the order they sent them,
as the conversation needs. This is safe because no store transaction spans an ``await``: each
verb's reads and writes run to the end before another update can run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from telegram import Update
from telegram.ext import BaseUpdateProcessor

MAX_CONCURRENT = 64


def person_key(update: object) -> int | None:
    """Return whose updates must stay in order with this one (None: any other update)."""
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None


class PerPersonOrder(BaseUpdateProcessor):
    """Run updates concurrently, one at a time per person, in the order they arrived."""

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int | None, asyncio.Lock] = {}
        self._waiting: dict[int | None, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[object]) -> None:
        """Wait for this person's earlier updates, then handle this one."""
        key = person_key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            # asyncio.Lock wakes waiters first come, first served: arrival order is kept.
            async with lock:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                # Nobody else is queued for this person: forget the lock, keep memory flat.
                del self._waiting[key]
                del self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""
