"""The update inbox: every update Telegram sends is kept until handled, exactly once.

A mixin of `Store`. The update being handled is named in a context variable, so any
transaction that stores answers also marks that update done: the answers and the mark are
kept together, or neither is.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from storage.timestamps import from_text, to_text

# The update whose handling is under way, if any (set by the Telegram layer around each one).
CURRENT_UPDATE: ContextVar[int | None] = ContextVar("current_update", default=None)


@dataclass
class Handling:
    """The update being handled, and whether a committed transaction has marked it done."""

    update_id: int | None
    marked_done: bool = False


_HANDLING: ContextVar[Handling | None] = ContextVar("handling", default=None)


@dataclass(frozen=True)
class DeadLetter:
    """An update set aside because it could not be read or kept failing."""

    update_id: int
    raw: str
    error: str
    attempts: int
    set_aside_at: datetime


@contextmanager
def handling(update_id: int | None) -> Iterator[Handling]:
    """Name the update being handled, for the transactions made while handling it."""
    state = Handling(update_id)
    token = CURRENT_UPDATE.set(update_id)
    state_token = _HANDLING.set(state)
    try:
        yield state
    finally:
        _HANDLING.reset(state_token)
        CURRENT_UPDATE.reset(token)


def note_marked_done(update_id: int) -> None:
    """Record that a committed transaction marked the update being handled done."""
    state = _HANDLING.get()
    if state is not None and state.update_id == update_id:
        state.marked_done = True


class InboxVerbs:
    """Receive updates, tell which are done, count failures, set poison ones aside."""

    db: Database

    def _now(self) -> str:
        raise NotImplementedError

    def _outermost(self) -> bool:
        raise NotImplementedError

    def receive_updates(self, raws: Sequence[dict[str, Any]]) -> None:
        """Keep updates as they arrive (a repeat of one already kept changes nothing)."""
        if not raws:
            return
        now = self._now()
        with self.db.atomic():
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO updates (update_id, raw, received_at) VALUES (?, ?, ?)",
                [(int(raw["update_id"]), json.dumps(raw, ensure_ascii=False), now) for raw in raws],
            )

    def update_done(self, update_id: int) -> bool:
        """Tell whether this update was already handled (or set aside)."""
        row = self.db.execute(
            "SELECT EXISTS (SELECT 1 FROM updates WHERE update_id = :u AND done = 1) "
            "OR EXISTS (SELECT 1 FROM dead_letters WHERE update_id = :u)",
            {"u": update_id},
        ).fetchone()
        return bool(row[0])

    def mark_update_done(self, update_id: int) -> None:
        """Record that an update has been handled."""
        outermost = self._outermost()
        with self.db.atomic():
            self._mark_done(update_id)
        if outermost:
            note_marked_done(update_id)

    def _mark_done(self, update_id: int) -> None:
        # An update that never went through the inbox (the terminal chat, the tests) is
        # recorded here too, so a repeat of it is still recognised.
        self.db.execute(
            "INSERT INTO updates (update_id, raw, received_at, done) VALUES (?, '{}', ?, 1) "
            "ON CONFLICT (update_id) DO UPDATE SET done = 1",
            [update_id, self._now()],
        )

    def waiting_updates(self) -> list[dict[str, Any]]:
        """Return the updates kept but not yet handled, oldest first (to handle at start-up)."""
        rows = self.db.execute(
            "SELECT raw FROM updates WHERE done = 0 AND update_id NOT IN "
            "(SELECT update_id FROM dead_letters) ORDER BY received_at, update_id"
        ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def record_failure(self, update_id: int, raw: dict[str, Any]) -> int:
        """Count one more failed attempt at an update (keeping it to retry); return the count."""
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO updates (update_id, raw, received_at, attempts) VALUES (?, ?, ?, 1) "
                "ON CONFLICT (update_id) DO UPDATE SET attempts = attempts + 1",
                [update_id, json.dumps(raw, ensure_ascii=False), self._now()],
            )
            row = self.db.execute(
                "SELECT attempts FROM updates WHERE update_id = ?", [update_id]
            ).fetchone()
        return 0 if row is None else int(row[0])

    def set_aside(self, update_id: int, raw: dict[str, Any] | None, error: str) -> None:
        """Put an update in the dead-letter table, so it never blocks anyone again."""
        with self.db.atomic():
            kept = self.db.execute(
                "SELECT raw, attempts FROM updates WHERE update_id = ?", [update_id]
            ).fetchone()
            text = json.dumps(raw, ensure_ascii=False) if raw is not None else None
            self.db.execute(
                "INSERT OR REPLACE INTO dead_letters (update_id, raw, error, attempts, "
                "set_aside_at) VALUES (?, ?, ?, ?, ?)",
                [
                    update_id,
                    text or (kept[0] if kept else "{}"),
                    error,
                    kept[1] if kept else 1,
                    self._now(),
                ],
            )

    def dead_letters(self) -> list[DeadLetter]:
        """Return the updates set aside, newest first."""
        rows = self.db.execute(
            "SELECT update_id, raw, error, attempts, set_aside_at FROM dead_letters "
            "ORDER BY set_aside_at DESC, update_id DESC"
        ).fetchall()
        return [DeadLetter(r[0], r[1], r[2], r[3], from_text(r[4])) for r in rows]

    def forget_handled_updates(self, older_than: timedelta, now: datetime) -> int:
        """Drop handled updates past the retention window; return how many went."""
        with self.db.atomic():
            cursor = self.db.execute(
                "DELETE FROM updates WHERE done = 1 AND received_at < ?",
                [to_text(now - older_than)],
            )
        return cursor.rowcount

    def note_undelivered(self, chat_id: int) -> None:
        """Remember that a reply to this chat could not be delivered (kept until cleared)."""
        with self.db.atomic():
            self.db.execute(
                "INSERT OR IGNORE INTO undelivered (chat_id, since) VALUES (?, ?)",
                [chat_id, self._now()],
            )

    def undelivered(self) -> list[tuple[int, datetime]]:
        """Return the chats still owed a "that did not reach you" notice, oldest first."""
        rows = self.db.execute(
            "SELECT chat_id, since FROM undelivered ORDER BY since, chat_id"
        ).fetchall()
        return [(int(row[0]), from_text(row[1])) for row in rows]

    def clear_undelivered(self, chat_id: int) -> None:
        """Forget that a chat is owed a notice (it was told, or can no longer be)."""
        with self.db.atomic():
            self.db.execute("DELETE FROM undelivered WHERE chat_id = ?", [chat_id])
