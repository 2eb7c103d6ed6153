"""Group commit: the writes of every update handled in one turn of the event loop, one disk sync.

Each update's answers, place and done mark go to SQLite in one block, and with
``synchronous=FULL`` a commit waits for the disk: about what python-telegram-bot spends on a
whole update. While the bot runs, a block begun in a turn of the event loop is left open as a
savepoint in a transaction shared by the turn (`Store.group_commits`); `GroupCommit` commits it
at the start of the next turn, with one sync for all of them.

The promise stays whole: `settle` is awaited before every Bot API call (the rate limiter calls
it), so nothing the bot says is sent before what it says was saved is on disk. A group that
fails to commit fails every call waiting on it, so nobody is told "saved" for a write that is
not there; those updates are not marked done either (their marks were in the group) and are
handled again. Blocks never span an ``await`` (`bot/telegram/ordering.py`), so a turn boundary
never falls inside one.
"""

from __future__ import annotations

import asyncio
import logging

from storage import Store

log = logging.getLogger(__name__)


class GroupCommit:
    """Commit the store's open group at the next turn of the loop; let calls wait for it."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._done: asyncio.Future[None] | None = None

    def start(self) -> None:
        """Group the store's transactions from now on (while an event loop runs)."""
        self.store.group_commits(self._begin)

    def stop(self) -> None:
        """Commit what is open and go back to one commit per transaction."""
        self.commit_now()
        self.store.group_commits(None)

    def _begin(self) -> bool:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False  # no loop (a CLI command, a test between chats): commit at once
        if self._done is None:
            self._done = loop.create_future()
            # Marked retrieved: a failure reaches every call waiting in `settle`; a group
            # nobody waits for is logged in `_commit_soon` instead of at garbage collection.
            self._done.add_done_callback(lambda done: done.cancelled() or done.exception())
            loop.call_soon(self._commit_soon)
        return True

    def _commit_soon(self) -> None:
        try:
            if not self.commit_now():
                # A block is under way (it never should be, between turns): next turn, then.
                asyncio.get_running_loop().call_soon(self._commit_soon)
        except Exception:
            log.exception("could not commit a group of updates; they will be handled again")

    def commit_now(self) -> bool:
        """Commit the open group now; False (nothing done) while a block is under way."""
        done = self._done
        try:
            if not self.store.commit_group():
                return False
        except Exception as error:
            self._done = None
            if done is not None and not done.done():
                done.set_exception(error)
            raise
        self._done = None
        if done is not None and not done.done():
            done.set_result(None)
        return True

    async def settle(self) -> None:
        """Wait until every write made so far is on disk (raising if it could not be)."""
        if self._done is not None:
            await asyncio.shield(self._done)
