"""Team rounds: the verbs for rounds, codes, memberships, agreed ratings and pending input.

A mixin of `Store`, kept in its own module so each file has one subject; it uses the store's
connection and clock.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from storage.models import (
    JOIN,
    ORGANISER,
    ORGANISER_INVITE,
    PARTICIPANT,
    ROUND_CLOSED,
    ROUND_OPEN,
    AgreedRating,
    Member,
    NotFoundError,
    Pending,
    Round,
    RoundCode,
    TeamAnswer,
)
from storage.timestamps import from_text, optional, to_text

# Codes are typed by people on phones: lower case only, from Crockford's base-32 alphabet (no
# i, l, o or u to mistake for 1, 0 or v). 16 of them carry 80 random bits, and fit Telegram's
# deep-link rule ([A-Za-z0-9_-], up to 64 characters).
CODE_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
CODE_LENGTH = 16

_MEMBER_SELECT = """
    SELECT m.round_id, m.participant_id, m.role, m.display_name, m.joined_at, m.reminders,
        m.last_reminded_at, e.id AS evaluation_id, e.status AS evaluation_status,
        (SELECT COUNT(*) FROM answers a
         WHERE a.evaluation_id = e.id AND (a.rating IS NOT NULL OR a.skipped = 1)) AS answered
    FROM memberships m
    LEFT JOIN evaluations e ON e.round_id = m.round_id AND e.participant_id = m.participant_id
"""


class RoundVerbs:
    """Create rounds, hand out and check codes, keep members, agreed ratings and reminders."""

    db: Database

    def _now(self) -> str:
        raise NotImplementedError

    def now(self) -> datetime:
        """Return the store's current moment."""
        raise NotImplementedError

    def _require_participant(self, participant_id: str) -> None:
        raise NotImplementedError

    # -- rounds --------------------------------------------------------------------------------

    def create_round(
        self,
        organiser: str,
        *,
        organisation: str,
        name: str,
        statement_ids: Sequence[str],
        display_name: str,
    ) -> Round:
        """Create an open round with its organiser and a first join code."""
        if not statement_ids:
            raise ValueError("a round needs at least one statement")
        with self.db.atomic():
            self._require_participant(organiser)
            now = self._now()
            cursor = self.db.execute(
                "INSERT INTO rounds (organisation, name, statement_ids, status, shared, "
                "created_by, created_at) VALUES (?, ?, ?, ?, 0, ?, ?)",
                [organisation, name, json.dumps(list(statement_ids)), ROUND_OPEN, organiser, now],
            )
            round_id = cursor.lastrowid
            assert round_id is not None  # an INSERT into a rowid table always sets it
            self.db.execute(
                "INSERT INTO memberships (round_id, participant_id, role, display_name, "
                "joined_at) VALUES (?, ?, ?, ?, ?)",
                [round_id, organiser, ORGANISER, display_name, now],
            )
            self._new_code(round_id, JOIN)
        found = self.round(round_id)
        assert found is not None
        return found

    def round(self, round_id: int) -> Round | None:
        """Return the round with this id, or None."""
        rows = list(self.db.query("SELECT * FROM rounds WHERE id = ?", [round_id]))
        return _round(rows[0]) if rows else None

    def rounds(self) -> list[Round]:
        """Return every round, newest first (for admins and the command line)."""
        return [_round(r) for r in self.db.query("SELECT * FROM rounds ORDER BY id DESC")]

    def rounds_of(self, participant_id: str) -> list[Round]:
        """Return the rounds a person organises or takes part in, newest first."""
        rows = self.db.query(
            "SELECT r.* FROM rounds r JOIN memberships m ON m.round_id = r.id "
            "WHERE m.participant_id = ? ORDER BY r.id DESC",
            [participant_id],
        )
        return [_round(r) for r in rows]

    def set_round_open(self, round_id: int, is_open: bool) -> None:
        """Close a round (no joining, no rating) or open it again."""
        with self.db.atomic():
            cursor = self.db.execute(
                "UPDATE rounds SET status = ?, closed_at = ? WHERE id = ?",
                [
                    ROUND_OPEN if is_open else ROUND_CLOSED,
                    None if is_open else self._now(),
                    round_id,
                ],
            )
            if cursor.rowcount == 0:
                raise NotFoundError("round", round_id)

    def set_round_shared(self, round_id: int, shared: bool) -> None:
        """Let participants see the team's aggregate results, or stop them."""
        with self.db.atomic():
            cursor = self.db.execute(
                "UPDATE rounds SET shared = ? WHERE id = ?", [int(shared), round_id]
            )
            if cursor.rowcount == 0:
                raise NotFoundError("round", round_id)

    def round_evaluation(self, round_id: int, participant_id: str) -> int | None:
        """Return the id of the person's evaluation in this round, or None."""
        row = self.db.execute(
            "SELECT id FROM evaluations WHERE round_id = ? AND participant_id = ?",
            [round_id, participant_id],
        ).fetchone()
        return None if row is None else int(row[0])

    # -- codes ---------------------------------------------------------------------------------

    def join_code(self, round_id: int) -> str | None:
        """Return the round's working join code, or None."""
        row = self.db.execute(
            "SELECT code FROM round_codes WHERE round_id = ? AND purpose = ? "
            "AND retired_at IS NULL ORDER BY created_at DESC LIMIT 1",
            [round_id, JOIN],
        ).fetchone()
        return None if row is None else str(row[0])

    def replace_join_code(self, round_id: int) -> str:
        """Retire the round's join code at once and return a new one."""
        with self.db.atomic():
            self.db.execute(
                "UPDATE round_codes SET retired_at = ? "
                "WHERE round_id = ? AND purpose = ? AND retired_at IS NULL",
                [self._now(), round_id, JOIN],
            )
            return self._new_code(round_id, JOIN)

    def new_organiser_invite(self, round_id: int) -> str:
        """Return a code that makes whoever uses it first a co-organiser."""
        with self.db.atomic():
            return self._new_code(round_id, ORGANISER_INVITE)

    def find_code(self, code: str) -> RoundCode | None:
        """Return what a code is for (working or retired), or None for a made-up one."""
        rows = list(self.db.query("SELECT * FROM round_codes WHERE code = ?", [code]))
        if not rows:
            return None
        row = rows[0]
        return RoundCode(
            code=row["code"],
            round_id=row["round_id"],
            purpose=row["purpose"],
            created_at=from_text(row["created_at"]),
            retired_at=optional(row["retired_at"]),
        )

    def _new_code(self, round_id: int, purpose: str) -> str:
        while True:
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            exists = self.db.execute("SELECT 1 FROM round_codes WHERE code = ?", [code])
            if exists.fetchone() is None:
                break
        self.db.execute(
            "INSERT INTO round_codes (code, round_id, purpose, created_at) VALUES (?, ?, ?, ?)",
            [code, round_id, purpose, self._now()],
        )
        return code

    # -- members -------------------------------------------------------------------------------

    def join_round(self, round_id: int, participant_id: str, display_name: str) -> Member:
        """Add a participant to a round (a member already there keeps their role)."""
        with self.db.atomic():
            self._require_participant(participant_id)
            self.db.execute(
                "INSERT INTO memberships (round_id, participant_id, role, display_name, "
                "joined_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (round_id, participant_id) DO UPDATE SET "
                "display_name = excluded.display_name",
                [round_id, participant_id, PARTICIPANT, display_name, self._now()],
            )
        member = self.member(round_id, participant_id)
        assert member is not None
        return member

    def accept_organiser_invite(self, code: str, participant_id: str, display_name: str) -> bool:
        """Use a one-time invite: make the person an organiser; False if it was already used."""
        with self.db.atomic():
            self._require_participant(participant_id)
            cursor = self.db.execute(
                "UPDATE round_codes SET retired_at = ? "
                "WHERE code = ? AND purpose = ? AND retired_at IS NULL",
                [self._now(), code, ORGANISER_INVITE],
            )
            if cursor.rowcount == 0:
                return False
            round_id = self.db.execute(
                "SELECT round_id FROM round_codes WHERE code = ?", [code]
            ).fetchone()[0]
            self.db.execute(
                "INSERT INTO memberships (round_id, participant_id, role, display_name, "
                "joined_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (round_id, participant_id) DO UPDATE SET role = excluded.role, "
                "display_name = excluded.display_name",
                [round_id, participant_id, ORGANISER, display_name, self._now()],
            )
            return True

    def member(self, round_id: int, participant_id: str) -> Member | None:
        """Return the person's membership of the round, or None if they are not in it."""
        rows = list(
            self.db.query(
                _MEMBER_SELECT + "WHERE m.round_id = ? AND m.participant_id = ?",
                [round_id, participant_id],
            )
        )
        return _member(rows[0]) if rows else None

    def members(self, round_id: int) -> list[Member]:
        """Return the round's members in the order they joined."""
        rows = self.db.query(
            _MEMBER_SELECT + "WHERE m.round_id = ? ORDER BY m.joined_at, m.display_name",
            [round_id],
        )
        return [_member(r) for r in rows]

    def user_key(self, participant_id: str) -> str | None:
        """Return the Telegram id behind a participant (to message them), or None."""
        row = self.db.execute(
            "SELECT user_key FROM participants WHERE id = ?", [participant_id]
        ).fetchone()
        return None if row is None else str(row[0])

    # -- reminders -----------------------------------------------------------------------------

    def set_reminders(self, round_id: int, participant_id: str, on: bool) -> bool:
        """Turn a member's reminders on or off; False if they are not in the round."""
        with self.db.atomic():
            cursor = self.db.execute(
                "UPDATE memberships SET reminders = ? WHERE round_id = ? AND participant_id = ?",
                [int(on), round_id, participant_id],
            )
            return cursor.rowcount > 0

    def claim_reminder(self, round_id: int, participant_id: str, every: timedelta) -> bool:
        """Record a reminder as sent now, unless one went out within ``every`` or they opted out."""
        now = self.now()
        with self.db.atomic():
            cursor = self.db.execute(
                "UPDATE memberships SET last_reminded_at = ? "
                "WHERE round_id = ? AND participant_id = ? AND reminders = 1 "
                "AND (last_reminded_at IS NULL OR last_reminded_at <= ?)",
                [to_text(now), round_id, participant_id, to_text(now - every)],
            )
            return cursor.rowcount > 0

    # -- answers and agreed ratings ------------------------------------------------------------

    def team_answers(self, round_id: int) -> list[TeamAnswer]:
        """Return every member's answers in the round, in the order members joined."""
        rows = self.db.query(
            "SELECT e.participant_id, m.display_name, a.statement_id, a.rating, a.skipped, "
            "a.note, a.answered_at, e.id AS evaluation_id, e.status "
            "FROM answers a JOIN evaluations e ON e.id = a.evaluation_id "
            "JOIN memberships m ON m.round_id = e.round_id AND m.participant_id = e.participant_id "
            "WHERE e.round_id = ? ORDER BY m.joined_at, e.id, a.answered_order",
            [round_id],
        )
        return [
            TeamAnswer(
                participant_id=r["participant_id"],
                display_name=r["display_name"],
                statement_id=r["statement_id"],
                rating=r["rating"],
                skipped=bool(r["skipped"]),
                note=r["note"],
                answered_at=from_text(r["answered_at"]),
                evaluation_id=r["evaluation_id"],
                evaluation_status=r["status"],
            )
            for r in rows
        ]

    def agree_rating(self, round_id: int, statement_id: str, rating: int, agreed_by: str) -> None:
        """Record the team's agreed rating for a statement (keeping any reason given)."""
        if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
            raise ValueError(f"an agreed rating must be a whole number from 1 to 5; got {rating!r}")
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO agreed_ratings (round_id, statement_id, rating, reason, agreed_by, "
                "agreed_at) VALUES (?, ?, ?, NULL, ?, ?) "
                "ON CONFLICT (round_id, statement_id) DO UPDATE SET rating = excluded.rating, "
                "agreed_by = excluded.agreed_by, agreed_at = excluded.agreed_at",
                [round_id, statement_id, rating, agreed_by, self._now()],
            )

    def set_agreed_reason(self, round_id: int, statement_id: str, reason: str | None) -> bool:
        """Attach the reason to an agreed rating; False if there is no agreed rating."""
        reason = reason.strip() if reason and reason.strip() else None
        with self.db.atomic():
            cursor = self.db.execute(
                "UPDATE agreed_ratings SET reason = ? WHERE round_id = ? AND statement_id = ?",
                [reason, round_id, statement_id],
            )
            return cursor.rowcount > 0

    def clear_agreed(self, round_id: int, statement_id: str) -> None:
        """Forget the agreed rating for a statement."""
        with self.db.atomic():
            self.db.execute(
                "DELETE FROM agreed_ratings WHERE round_id = ? AND statement_id = ?",
                [round_id, statement_id],
            )

    def agreed_ratings(self, round_id: int) -> dict[str, AgreedRating]:
        """Return the round's agreed ratings by statement id."""
        rows = self.db.query("SELECT * FROM agreed_ratings WHERE round_id = ?", [round_id])
        return {
            r["statement_id"]: AgreedRating(
                round_id=r["round_id"],
                statement_id=r["statement_id"],
                rating=r["rating"],
                reason=r["reason"],
                agreed_by=r["agreed_by"],
                agreed_at=from_text(r["agreed_at"]),
            )
            for r in rows
        }

    # -- parked positions and pending input ----------------------------------------------------

    def park_position(self, evaluation_id: int, state: dict[str, Any]) -> None:
        """Keep where a person stopped in an evaluation they are setting aside."""
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO parked_positions (evaluation_id, state, updated_at) "
                "VALUES (?, ?, ?) ON CONFLICT (evaluation_id) DO UPDATE SET "
                "state = excluded.state, updated_at = excluded.updated_at",
                [evaluation_id, json.dumps(state, sort_keys=True), self._now()],
            )

    def parked_position(self, evaluation_id: int) -> dict[str, Any] | None:
        """Return where a person stopped in a set-aside evaluation, or None."""
        row = self.db.execute(
            "SELECT state FROM parked_positions WHERE evaluation_id = ?", [evaluation_id]
        ).fetchone()
        if row is None:
            return None
        state: dict[str, Any] = json.loads(row[0])
        return state

    def drop_parked(self, evaluation_id: int) -> None:
        """Forget a parked position (it has become the current one again)."""
        with self.db.atomic():
            self.db.execute("DELETE FROM parked_positions WHERE evaluation_id = ?", [evaluation_id])

    def set_pending(self, participant_id: str, kind: str, data: dict[str, Any]) -> None:
        """Remember what the person's next typed message is for."""
        with self.db.atomic():
            self._require_participant(participant_id)
            self.db.execute(
                "INSERT INTO pending_inputs (participant_id, kind, data, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (participant_id) DO UPDATE SET "
                "kind = excluded.kind, data = excluded.data, updated_at = excluded.updated_at",
                [participant_id, kind, json.dumps(data, sort_keys=True), self._now()],
            )

    def pending(self, participant_id: str) -> Pending | None:
        """Return what the person's next typed message is for, or None."""
        row = self.db.execute(
            "SELECT kind, data FROM pending_inputs WHERE participant_id = ?", [participant_id]
        ).fetchone()
        if row is None:
            return None
        return Pending(kind=str(row[0]), data=json.loads(row[1]))

    def clear_pending(self, participant_id: str) -> None:
        """Stop waiting for typed input from the person."""
        with self.db.atomic():
            self.db.execute("DELETE FROM pending_inputs WHERE participant_id = ?", [participant_id])


def _round(row: dict[str, Any]) -> Round:
    return Round(
        id=row["id"],
        organisation=row["organisation"],
        name=row["name"],
        statement_ids=tuple(json.loads(row["statement_ids"])),
        status=row["status"],
        shared=bool(row["shared"]),
        created_by=row["created_by"],
        created_at=from_text(row["created_at"]),
        closed_at=optional(row["closed_at"]),
    )


def _member(row: dict[str, Any]) -> Member:
    return Member(
        round_id=row["round_id"],
        participant_id=row["participant_id"],
        role=row["role"],
        display_name=row["display_name"],
        joined_at=from_text(row["joined_at"]),
        reminders=bool(row["reminders"]),
        last_reminded_at=optional(row["last_reminded_at"]),
        evaluation_id=row["evaluation_id"],
        answered=row["answered"] or 0,
        finished=row["evaluation_status"] == "finished",
    )
