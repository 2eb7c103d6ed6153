"""Durable updates: kept before Telegram is told they arrived, handled once, poison set aside.

python-telegram-bot confirms a batch of updates (by asking for the next offset) before its
handlers have run, so a crash mid-batch would lose them. Here every update is written to the
store as it comes off the wire, before it can be confirmed; handling it marks it done (in the
same transaction as the answers it stores); what is left at start-up is handled first; a
repeat of a handled update changes nothing; an update that cannot be read, or keeps failing,
is set aside in the dead-letter table and never blocks anyone else. `keep_updates` does the
keeping for getUpdates here and for the webhook (`bot/telegram/webhook.py`).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

from bot.telegram.commits import GroupCommit
from storage import Store
from storage.inbox import handling

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # an update whose handling fails this often is set aside
# Handled updates are kept this long to recognise a repeat; Telegram keeps unconfirmed ones
# for about a day, and picks new ids at random only after a week without updates.
RETENTION = timedelta(days=8)
ERROR_LOG_EVERY = 60.0  # seconds: the same error is logged in full at most this often
# Set while the updates left from before a stop are handled (they came at a person's pace).
_REPLAYING: ContextVar[bool] = ContextVar("replaying", default=False)


class InboxRequest(BaseRequest):
    """Wrap the getUpdates transport: keep each update before python-telegram-bot sees it."""

    def __init__(self, inner: BaseRequest, store: Store, commits: GroupCommit) -> None:
        self.inner = inner
        self.store = store
        self.commits = commits

    @property
    def read_timeout(self) -> float | None:
        """Return the wrapped transport's read timeout."""
        return self.inner.read_timeout

    async def initialize(self) -> None:
        """Initialise the wrapped transport."""
        await self.inner.initialize()

    async def shutdown(self) -> None:
        """Shut the wrapped transport down."""
        await self.inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Pass the request on; keep the updates of a getUpdates answer before returning it."""
        status, payload = await self.inner.do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )
        if status != 200 or not url.endswith("/getUpdates"):
            return status, payload
        return status, self._keep(payload)

    def _keep(self, payload: bytes) -> bytes:
        try:
            body = json.loads(payload)
            updates = body["result"]
        except (ValueError, KeyError, TypeError):
            return payload  # not an answer we can read: python-telegram-bot reports it
        if not isinstance(updates, list):
            return payload
        # A failure to keep them fails this getUpdates, which is then asked again.
        safe = keep_updates(self.store, updates, self.commits)
        if safe == updates:
            return payload  # nothing set aside: the answer as it came, not encoded again
        body["result"] = safe
        return json.dumps(body).encode()


def keep_updates(
    store: Store, updates: Sequence[object], commits: GroupCommit | None
) -> list[dict[str, Any]]:
    """Keep readable updates in the inbox, set poison ones aside; return what to hand on.

    Shared by getUpdates (`InboxRequest`) and the webhook: what is returned is safe for
    python-telegram-bot to parse, and everything in it is committed to the store first
    (with any group of writes still open, so before getUpdates can confirm it or the
    webhook answer 200). A poison update comes back as an empty update with its id (already
    done, so it is skipped); one without a whole-number id is dropped, as it cannot be an
    update from Telegram.
    """
    safe: list[dict[str, Any]] = []
    kept: list[dict[str, Any]] = []
    for raw in updates:
        problem = _unreadable(raw)
        if problem is None and isinstance(raw, dict):
            kept.append(raw)
            safe.append(raw)
            continue
        update_id = raw.get("update_id") if isinstance(raw, dict) else None
        if not isinstance(update_id, int):
            log.error("dropped an update without an id: %s", problem)
            continue
        store.set_aside(update_id, raw if isinstance(raw, dict) else None, str(problem))
        log.error("set aside update %s: %s", update_id, problem)
        # An empty update with the same id keeps Telegram's offset moving past it.
        safe.append({"update_id": update_id})
    store.receive_updates(kept)
    if commits is not None and not commits.commit_now():
        raise RuntimeError("a store block was under way while updates arrived")
    return safe


def _unreadable(raw: object) -> str | None:
    """Say why python-telegram-bot could not read this update, or None if it can."""
    if not isinstance(raw, dict) or not isinstance(raw.get("update_id"), int):
        return "not an update object with a whole-number update_id"
    try:
        Update.de_json(raw, None)
    except Exception as error:  # any failure to parse makes it a poison update
        return f"{type(error).__name__}: {error}"
    return None


class DurableApplication(Application):  # type: ignore[type-arg]
    """An Application that handles each update once and sets aside the ones that keep failing."""

    store: Store | None = None
    commits: GroupCommit | None = None
    failed: set[int]
    before_shutdown: list[Callable[[], None]]
    """Run at shutdown while the store is still open, to write down what is kept in memory."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.failed = set()
        self.before_shutdown = []
        self._last_logged: dict[str, float] = {}

    async def initialize(self) -> None:
        """Initialise as usual, then group the store's commits while the bot runs."""
        await super().initialize()
        if self.commits is not None:
            self.commits.start()

    async def shutdown(self) -> None:
        """Write down what is kept in memory, commit it, then shut down as usual."""
        for write_down in self.before_shutdown:
            try:
                write_down()
            except Exception:  # a stop must finish; what was lost is only a hint
                log.exception("could not write down state kept in memory at shutdown")
        if self.commits is not None:
            try:
                self.commits.stop()
            except Exception:  # not kept: those updates are handled again at the next start
                log.exception("could not commit the last group of updates at shutdown")
        await super().shutdown()

    async def process_update(self, update: object) -> None:
        """Handle an update unless it was already handled; mark it done once it is."""
        if self.store is None or not isinstance(update, Update):
            await super().process_update(update)
            return
        update_id = update.update_id
        if self.store.update_done(update_id):
            log.debug("update %s was handled before: not again", update_id)
            return
        with handling(update_id) as handled:
            await super().process_update(update)
        if update_id in self.failed:
            self.failed.discard(update_id)
            attempts = self.store.record_failure(update_id, update.to_dict())
            if attempts >= MAX_ATTEMPTS:
                self.store.set_aside(update_id, None, f"handling failed {attempts} times")
                log.error("set aside update %s after %s failed attempts", update_id, attempts)
            return
        if not handled.marked_done:
            # A transaction that stored answers marked it already; otherwise this commit does.
            self.store.mark_update_done(update_id)

    def note_failure(self, update: object, error: BaseException | None) -> bool:
        """Remember that this update's handling failed; tell whether to log it in full."""
        if isinstance(update, Update):
            self.failed.add(update.update_id)
        key = f"{type(error).__name__}: {error}"
        now = time.monotonic()
        last = self._last_logged.get(key)
        if last is not None and now - last < ERROR_LOG_EVERY:
            return False
        self._last_logged[key] = now
        return True


def replaying() -> bool:
    """Tell whether the update being handled is one left from before a stop."""
    return _REPLAYING.get()


async def handle_waiting(application: Application) -> int:  # type: ignore[type-arg]
    """Handle, first thing at start-up, the updates kept but not handled before a stop."""
    store = getattr(application, "store", None)
    if store is None:
        return 0
    store.forget_handled_updates(RETENTION, store.now())
    waiting = store.waiting_updates()
    token = _REPLAYING.set(True)
    try:
        for raw in waiting:
            await application.process_update(Update.de_json(raw, application.bot))
    finally:
        _REPLAYING.reset(token)
    if waiting:
        log.info("handled %s update(s) left from before the restart", len(waiting))
    return len(waiting)
