"""The `Store`: every read and write of the bot's SQLite database, as domain verbs."""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from storage.inbox import CURRENT_UPDATE, InboxVerbs, note_marked_done
from storage.migrations import migrations
from storage.models import Answer, Evaluation, ExportRow, NotFoundError, SearchGap
from storage.rounds import RoundVerbs
from storage.timestamps import from_text as _from_text
from storage.timestamps import to_text as _to_text

Clock = Callable[[], datetime]

STANDARD, EASY_READ = "standard", "easy"
IN_PROGRESS = "in_progress"
FINISHED = "finished"
MIN_RATING = 1
MAX_RATING = 5

_EVALUATION_SELECT = """
    SELECT e.id, e.participant_id, e.organisation, e.status, e.started_at, e.finished_at,
        (SELECT COUNT(*) FROM answers a
         WHERE a.evaluation_id = e.id AND (a.rating IS NOT NULL OR a.skipped = 1)) AS answered,
        e.round_id,
        (SELECT COUNT(*) FROM answers a WHERE a.evaluation_id = e.id AND a.skipped = 1) AS skipped
    FROM evaluations e
"""

# The subquery gives a new row the next place in its evaluation; on conflict it is ignored,
# so changing an answer keeps the place the statement was first answered in.
_NEXT_ORDER = (
    "(SELECT COALESCE(MAX(answered_order), 0) + 1 FROM answers WHERE evaluation_id = :evaluation)"
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


# An update (in ``raw``) sent by participant :p: its payload's sender or private chat is them.
_SENT_BY = (
    "EXISTS (SELECT 1 FROM json_each(raw) AS part WHERE json_valid(part.value) AND "
    "CAST(COALESCE(json_extract(part.value, '$.from.id'), "
    "json_extract(part.value, '$.chat.id')) AS TEXT) = "
    "(SELECT user_key FROM participants WHERE id = :p))"
)


class CommitFailed(RuntimeError):
    """A deferred group of writes could not be committed: none of them is kept."""


class _Database(Database):
    """sqlite-utils' Database: one savepoint name, and commits that can wait for a group.

    With `grouping` set (the running bot, see `Store.group_commits`), a transaction begun
    while the event loop runs is left open when its block ends: the blocks of every update
    handled in the same turn of the loop go in as savepoints, and `commit_group` commits them
    with one disk sync. Each block is still all-or-nothing (its savepoint rolls back alone).
    """

    grouping: Callable[[], bool] | None = None
    """Asked before a transaction begins; True: leave it open for `commit_group`."""
    depth = 0  # blocks under way: a group is committed only between them
    grouped = False  # the open transaction is a group that `commit_group` ends
    lost = False  # an error ended the group's transaction: the other blocks went with it

    @contextmanager
    def atomic(self) -> Iterator[Database]:
        """Run the block as a transaction, or as a savepoint inside the one under way."""
        if not self.conn.in_transaction:
            if self.grouping is None or not self.grouping():
                self.depth += 1
                try:
                    with super().atomic():
                        yield self
                finally:
                    self.depth -= 1
                return
            self.conn.execute("BEGIN")
            self.grouped = True
        # sqlite-utils names each savepoint at random, so every nested verb prepared new SQL
        # and pushed useful statements out of sqlite3's cache. Savepoints nest by name (the
        # newest of a name is the one released), so one fixed name is enough.
        self.depth += 1
        self.conn.execute("SAVEPOINT nested")
        try:
            yield self
        except BaseException:
            # An error such as a RAISE(ROLLBACK) trigger may have ended the transaction.
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK TO SAVEPOINT nested")
                self.conn.execute("RELEASE SAVEPOINT nested")
            elif self.grouped:
                self.grouped, self.lost = False, True
            raise
        else:
            self.conn.execute("RELEASE SAVEPOINT nested")
        finally:
            self.depth -= 1

    def commit_group(self) -> bool:
        """Commit the open group of blocks; return False while a block is still under way."""
        if self.depth:
            return False
        if self.lost:
            # Blocks begun since the error went into a new transaction, but the calls waiting
            # on this group include theirs and will fail: they must not be kept either.
            self.lost = False
            if self.grouped:
                self.grouped = False
                self.conn.execute("ROLLBACK")
            raise CommitFailed("an error ended the transaction: the group's writes are lost")
        if not self.grouped:
            return True
        self.grouped = False
        try:
            self.conn.execute("COMMIT")
        except BaseException as error:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise CommitFailed(f"the group's writes could not be committed: {error}") from error
        return True


class StoreUnavailable(RuntimeError):
    """The database file cannot be opened (missing folder rights, not a database, ...)."""

    def __init__(self, path: Path, error: BaseException) -> None:
        self.path = path
        reason = getattr(error, "strerror", None) or str(error)
        super().__init__(f"cannot open the database at {path}: {reason}")


class Store(RoundVerbs, InboxVerbs):
    """Keep participants, evaluations, answers, positions and team rounds in SQLite."""

    db: _Database

    def __init__(self, db: _Database, clock: Clock) -> None:
        self.db = db
        self._clock = clock

    @classmethod
    def open(cls, path: str | Path, *, clock: Clock | None = None) -> Store:
        """Open (creating if needed) the database at `path` and bring its schema up to date."""
        if str(path) == ":memory:":
            db = _Database(memory=True, execute_plugins=False)
        else:
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                db = _Database(Path(path), execute_plugins=False)
                # WAL lets a CLI export read while the bot writes.
                db.enable_wal()
            except (OSError, sqlite3.Error) as error:
                raise StoreUnavailable(Path(path), error) from error
            # Every commit reaches the disk before the bot says an answer was saved (SQLite's
            # default, stated so nobody trades it for speed without seeing the promise).
            db.execute("PRAGMA synchronous = FULL")
        # Off by default in SQLite and per connection, so it is set on every open.
        db.execute("PRAGMA foreign_keys = ON")
        migrations.apply(db)
        return cls(db, clock or _utc_now)

    def close(self) -> None:
        """Commit any group of writes still open, then close the database connection."""
        self.group_commits(None)
        self.db.close()

    def group_commits(self, grouping: Callable[[], bool] | None) -> None:
        """Let transactions wait to be committed together (`commit_group`) while `grouping()`.

        The running bot passes a callable that is true while its event loop runs and that
        makes sure `commit_group` is called soon; None commits what is open and ends grouping.
        """
        if grouping is None and self.db.grouped:
            self.db.commit_group()
        self.db.grouping = grouping

    def _outermost(self) -> bool:
        # No verb under way: a block begun now is kept (or grouped) whole, not a savepoint.
        return not self.db.depth

    def commit_group(self) -> bool:
        """Commit every write waiting in the group (raising `CommitFailed` if none is kept).

        Returns False, committing nothing, while a verb is still under way.
        """
        return self.db.commit_group()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the enclosed verbs as one transaction: all of them are kept, or none.

        The update being handled, if any, is marked done in the same transaction, so the
        answers it stored and the mark that it was handled are kept together or not at all.
        """
        update_id = CURRENT_UPDATE.get()
        outermost = self._outermost()
        with self.db.atomic():
            yield
            if update_id is not None:
                self._mark_done(update_id)
        if update_id is not None and outermost:
            # Kept (or grouped to be kept) as a whole, not a savepoint inside a verb that may
            # yet roll back: the update needs no separate done mark, and so no second write.
            note_marked_done(update_id)

    # -- participants ------------------------------------------------------------------------

    def participant_for(self, user_key: str) -> str:
        """Return the pseudonymous participant id for a Telegram user, creating it once."""
        if not user_key:
            raise ValueError("user_key must be a non-empty string")
        # Read first, outside any transaction: nearly every call finds the person already.
        row = self.db.execute(
            "SELECT id FROM participants WHERE user_key = ?", [user_key]
        ).fetchone()
        if row is not None:
            return str(row[0])
        with self.db.atomic():
            row = self.db.execute(
                "SELECT id FROM participants WHERE user_key = ?", [user_key]
            ).fetchone()
            if row is not None:
                return str(row[0])
            participant_id = self._new_participant_id()
            self.db.execute(
                "INSERT INTO participants (id, user_key, organisation, created_at) "
                "VALUES (?, ?, NULL, ?)",
                [participant_id, user_key, self._now()],
            )
            return participant_id

    def organisation(self, participant_id: str) -> str | None:
        """Return the organisation the participant last named, or None."""
        row = self.db.execute(
            "SELECT organisation FROM participants WHERE id = ?", [participant_id]
        ).fetchone()
        return None if row is None or row[0] is None else str(row[0])

    def set_organisation(self, participant_id: str, organisation: str) -> None:
        """Remember the participant's organisation for their next evaluation."""
        with self.db.atomic():
            cursor = self.db.execute(
                "UPDATE participants SET organisation = ? WHERE id = ?",
                [organisation, participant_id],
            )
            if cursor.rowcount == 0:
                raise NotFoundError("participant", participant_id)

    def reading(self, participant_id: str) -> str:
        """Return how the person reads the guide: "standard" or "easy"."""
        row = self.db.execute(
            "SELECT reading FROM participants WHERE id = ?", [participant_id]
        ).fetchone()
        return STANDARD if row is None else str(row[0])

    def set_reading(self, participant_id: str, reading: str) -> None:
        """Remember the person's choice of standard wording or easy read."""
        if reading not in (STANDARD, EASY_READ):
            raise ValueError(f"reading must be {STANDARD!r} or {EASY_READ!r}; got {reading!r}")
        with self.db.atomic():
            cursor = self.db.execute(
                "UPDATE participants SET reading = ? WHERE id = ?", [reading, participant_id]
            )
            if cursor.rowcount == 0:
                raise NotFoundError("participant", participant_id)

    def forget(self, participant_id: str) -> list[int]:
        """Delete a person's answers, notes, places and memberships; return rounds closed.

        The participant row stays, with its Telegram id replaced, so rounds and agreed
        ratings that name it as their maker still hold together; nothing left can be traced
        back to the person. A round whose only organiser they were is closed.
        """
        closed: list[int] = []
        with self.db.atomic():
            self._require_participant(participant_id)
            for (round_id,) in self.db.execute(
                "SELECT round_id FROM memberships WHERE participant_id = ? AND role = 'organiser'",
                [participant_id],
            ).fetchall():
                others = self.db.execute(
                    "SELECT COUNT(*) FROM memberships WHERE round_id = ? AND role = 'organiser' "
                    "AND participant_id != ?",
                    [round_id, participant_id],
                ).fetchone()[0]
                if not others:
                    self.set_round_open(round_id, False)
                    closed.append(round_id)
            mine = "(SELECT id FROM evaluations WHERE participant_id = :p)"
            for sql in (
                f"DELETE FROM answers WHERE evaluation_id IN {mine}",
                f"DELETE FROM parked_positions WHERE evaluation_id IN {mine}",
                "DELETE FROM evaluations WHERE participant_id = :p",
                "DELETE FROM positions WHERE participant_id = :p",
                "DELETE FROM memberships WHERE participant_id = :p",
                "DELETE FROM pending_inputs WHERE participant_id = :p",
                # A private chat's id is the person's Telegram id, kept as user_key.
                "DELETE FROM undelivered WHERE CAST(chat_id AS TEXT) = "
                "(SELECT user_key FROM participants WHERE id = :p)",
                # The messages they sent, kept a few days to recognise repeats: the ids stay
                # (a repeat is still recognised), what they wrote goes. Updates still waiting
                # to be handled keep theirs, or they could not be handled.
                f"UPDATE updates SET raw = '{{}}' WHERE (done = 1 OR update_id = :u) "
                f"AND {_SENT_BY}",
                f"UPDATE dead_letters SET raw = '{{}}' WHERE {_SENT_BY}",
                "UPDATE participants SET user_key = 'forgotten:' || id, organisation = NULL "
                "WHERE id = :p",
            ):
                self.db.execute(sql, {"p": participant_id, "u": CURRENT_UPDATE.get()})
        return closed

    # -- evaluations -------------------------------------------------------------------------

    def start_evaluation(
        self, participant_id: str, organisation: str | None, *, round_id: int | None = None
    ) -> int:
        """Start a new in-progress evaluation (alone, or in a team round) and return its id."""
        with self.db.atomic():
            self._require_participant(participant_id)
            cursor = self.db.execute(
                "INSERT INTO evaluations (participant_id, organisation, status, started_at, "
                "round_id) VALUES (?, ?, ?, ?, ?)",
                [participant_id, organisation, IN_PROGRESS, self._now(), round_id],
            )
            assert cursor.lastrowid is not None  # an INSERT into a rowid table always sets it
            return cursor.lastrowid

    def set_evaluation_organisation(self, evaluation_id: int, organisation: str) -> None:
        """Change which organisation an evaluation is about."""
        with self.db.atomic():
            cursor = self.db.execute(
                "UPDATE evaluations SET organisation = ? WHERE id = ?",
                [organisation, evaluation_id],
            )
            if cursor.rowcount == 0:
                raise NotFoundError("evaluation", evaluation_id)

    def finish_evaluation(self, evaluation_id: int) -> None:
        """Mark the evaluation finished; finishing it again keeps the first finish time."""
        with self.db.atomic():
            self._require_evaluation(evaluation_id)
            self.db.execute(
                "UPDATE evaluations SET status = ?, finished_at = ? WHERE id = ? AND status != ?",
                [FINISHED, self._now(), evaluation_id, FINISHED],
            )

    def evaluation(self, evaluation_id: int) -> Evaluation | None:
        """Return the evaluation with this id, or None."""
        row = self.db.execute(_EVALUATION_SELECT + "WHERE e.id = ?", [evaluation_id]).fetchone()
        return None if row is None else _evaluation(row)

    def evaluations_for(self, participant_id: str) -> list[Evaluation]:
        """Return the participant's evaluations, newest first."""
        rows = self.db.execute(
            _EVALUATION_SELECT + "WHERE e.participant_id = ? ORDER BY e.started_at DESC, e.id DESC",
            [participant_id],
        ).fetchall()
        return [_evaluation(row) for row in rows]

    # -- answers -----------------------------------------------------------------------------

    def record_rating(self, evaluation_id: int, statement_id: str, rating: int | None) -> None:
        """Record (or change) the rating for a statement; None records a skip."""
        # bool is an int subclass: True would otherwise be stored as a rating of 1.
        valid = rating is None or (
            isinstance(rating, int)
            and not isinstance(rating, bool)
            and MIN_RATING <= rating <= MAX_RATING
        )
        if not valid:
            raise ValueError(
                f"rating must be a whole number from {MIN_RATING} to {MAX_RATING}, "
                f"or None to skip; got {rating!r}"
            )
        _require_statement_id(statement_id)
        with self.db.atomic():
            self._require_evaluation(evaluation_id)
            self.db.execute(
                "INSERT INTO answers (evaluation_id, statement_id, rating, skipped, note, "
                "answered_at, answered_order) "
                f"VALUES (:evaluation, :statement, :rating, :skipped, NULL, :now, {_NEXT_ORDER}) "
                "ON CONFLICT (evaluation_id, statement_id) DO UPDATE SET "
                "rating = excluded.rating, skipped = excluded.skipped, "
                "answered_at = excluded.answered_at",
                {
                    "evaluation": evaluation_id,
                    "statement": statement_id,
                    "rating": rating,
                    "skipped": int(rating is None),
                    "now": self._now(),
                },
            )

    def record_note(self, evaluation_id: int, statement_id: str, note: str | None) -> None:
        """Attach a note to a statement's answer; None or blank text clears it."""
        _require_statement_id(statement_id)
        if note is not None and not note.strip():
            note = None
        with self.db.atomic():
            self._require_evaluation(evaluation_id)
            # A note may come before any rating: the row then holds the note alone.
            self.db.execute(
                "INSERT INTO answers (evaluation_id, statement_id, rating, skipped, note, "
                "answered_at, answered_order) "
                f"VALUES (:evaluation, :statement, NULL, 0, :note, :now, {_NEXT_ORDER}) "
                "ON CONFLICT (evaluation_id, statement_id) DO UPDATE SET note = excluded.note",
                {
                    "evaluation": evaluation_id,
                    "statement": statement_id,
                    "note": note,
                    "now": self._now(),
                },
            )

    def answers_for(self, evaluation_id: int) -> dict[str, Answer]:
        """Return the evaluation's answers by statement id, in the order first answered."""
        rows = self.db.execute(
            "SELECT statement_id, rating, skipped, note, answered_at FROM answers "
            "WHERE evaluation_id = ? ORDER BY answered_order",
            [evaluation_id],
        ).fetchall()
        return {
            row[0]: Answer(
                statement_id=row[0],
                rating=row[1],
                skipped=bool(row[2]),
                note=row[3],
                answered_at=_from_text(row[4]),
            )
            for row in rows
        }

    def answer_count(self) -> int:
        """Return how many answers are stored, everyone's."""
        return int(self.db.execute("SELECT COUNT(*) FROM answers").fetchone()[0])

    # -- conversation position ---------------------------------------------------------------

    def save_position(self, participant_id: str, position: Mapping[str, Any]) -> None:
        """Replace the participant's saved place in the conversation."""
        try:
            state = json.dumps(dict(position), ensure_ascii=False, sort_keys=True)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"position for participant {participant_id!r} must be JSON-serialisable: {exc}"
            ) from exc
        with self.db.atomic():
            self._require_participant(participant_id)
            self.db.execute(
                "INSERT INTO positions (participant_id, state, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (participant_id) DO UPDATE SET "
                "state = excluded.state, updated_at = excluded.updated_at",
                [participant_id, state, self._now()],
            )

    def load_position(self, participant_id: str) -> dict[str, Any] | None:
        """Return the participant's saved place in the conversation, or None."""
        row = self.db.execute(
            "SELECT state FROM positions WHERE participant_id = ?", [participant_id]
        ).fetchone()
        if row is None:
            return None
        state: dict[str, Any] = json.loads(row[0])
        return state

    def clear_position(self, participant_id: str) -> None:
        """Forget the participant's saved place in the conversation."""
        with self.db.atomic():
            self.db.execute("DELETE FROM positions WHERE participant_id = ?", [participant_id])

    # -- search gaps -------------------------------------------------------------------------

    def record_search_miss(self, terms: Sequence[str]) -> None:
        """Count a search that found nothing, keeping only its words."""
        words = [word.strip().lower() for word in terms if word.strip()]
        if not words:
            return
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO search_misses (terms, count, last_seen) VALUES (?, 1, ?) "
                "ON CONFLICT (terms) DO UPDATE SET "
                "count = count + 1, last_seen = excluded.last_seen",
                [" ".join(words), self._now()],
            )

    def search_gaps(self, limit: int = 50) -> list[SearchGap]:
        """Return the searches that most often found nothing, most frequent first."""
        rows = self.db.execute(
            "SELECT terms, count, last_seen FROM search_misses "
            "ORDER BY count DESC, last_seen DESC, terms LIMIT ?",
            [limit],
        ).fetchall()
        return [SearchGap(terms=r[0], count=r[1], last_seen=_from_text(r[2])) for r in rows]

    # -- export ------------------------------------------------------------------------------

    def export_rows(self, participant_id: str | None = None) -> list[ExportRow]:
        """Return every answer for one participant, or for everyone when None."""
        sql = (
            "SELECT e.id, e.organisation, e.participant_id, a.statement_id, a.rating, "
            "a.note, a.answered_at, e.status, a.skipped "
            "FROM answers a JOIN evaluations e ON e.id = a.evaluation_id "
        )
        params: list[str] = []
        if participant_id is not None:
            sql += "WHERE e.participant_id = ? "
            params.append(participant_id)
        sql += "ORDER BY e.id, a.answered_order"
        return [
            ExportRow(
                evaluation_id=r[0],
                organisation=r[1],
                participant=r[2],
                statement_id=r[3],
                rating=r[4],
                note=r[5],
                answered_at=_from_text(r[6]),
                evaluation_status=r[7],
                skipped=bool(r[8]),
            )
            for r in self.db.execute(sql, params).fetchall()
        ]

    # -- helpers -----------------------------------------------------------------------------

    def _now(self) -> str:
        moment = self.now()
        return _to_text(moment)

    def now(self) -> datetime:
        """Return the store's current moment (an aware UTC datetime)."""
        moment = self._clock()
        if moment.tzinfo is None:
            raise ValueError(f"the store's clock must return an aware datetime; got {moment!r}")
        return moment

    def _new_participant_id(self) -> str:
        # 48 random bits: a clash is very unlikely, but cheap to rule out.
        while True:
            candidate = f"p-{secrets.token_hex(6)}"
            if not self._exists("participants", candidate):
                return candidate

    def _require_participant(self, participant_id: str) -> None:
        if not self._exists("participants", participant_id):
            raise NotFoundError("participant", participant_id)

    def _require_evaluation(self, evaluation_id: int) -> None:
        if not self._exists("evaluations", evaluation_id):
            raise NotFoundError("evaluation", evaluation_id)

    def _exists(self, table: str, key: object) -> bool:
        # `table` is always one of our own literals above, never user input.
        row = self.db.execute(f"SELECT 1 FROM {table} WHERE id = ?", [key]).fetchone()
        return row is not None


def _require_statement_id(statement_id: str) -> None:
    if not isinstance(statement_id, str) or not statement_id:
        raise ValueError(f"statement_id must be a non-empty string; got {statement_id!r}")


def _evaluation(row: Sequence[Any]) -> Evaluation:
    return Evaluation(
        id=row[0],
        participant_id=row[1],
        organisation=row[2],
        status=row[3],
        started_at=_from_text(row[4]),
        finished_at=None if row[5] is None else _from_text(row[5]),
        answered=row[6],
        round_id=row[7],
        skipped=row[8],
    )
