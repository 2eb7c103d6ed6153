"""Schema changes, applied in order by `sqlite_utils.Migrations`; never edit a shipped one."""

from __future__ import annotations

from sqlite_utils import Database, Migrations

MIGRATION_SET = "workforce_guide"

migrations = Migrations(MIGRATION_SET)


@migrations(name="0001_initial")
def initial(db: Database) -> None:
    """Create participants, evaluations, answers, positions and search misses."""
    statements = [
        # user_key is the Telegram id: kept only to find the participant again, never exported.
        """CREATE TABLE participants (
            id TEXT PRIMARY KEY,
            user_key TEXT NOT NULL UNIQUE,
            organisation TEXT,
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE evaluations (
            id INTEGER PRIMARY KEY,
            participant_id TEXT NOT NULL REFERENCES participants(id),
            organisation TEXT,
            status TEXT NOT NULL CHECK (status IN ('in_progress', 'finished')),
            started_at TEXT NOT NULL,
            finished_at TEXT
        )""",
        "CREATE INDEX idx_evaluations_participant ON evaluations (participant_id, started_at)",
        # A row is either rated, skipped, or (rating NULL, skipped 0) a note on its own.
        """CREATE TABLE answers (
            evaluation_id INTEGER NOT NULL REFERENCES evaluations(id),
            statement_id TEXT NOT NULL,
            rating INTEGER CHECK (rating BETWEEN 1 AND 5),
            skipped INTEGER NOT NULL DEFAULT 0 CHECK (skipped IN (0, 1)),
            note TEXT,
            answered_at TEXT NOT NULL,
            answered_order INTEGER NOT NULL,
            PRIMARY KEY (evaluation_id, statement_id),
            CHECK (NOT (skipped = 1 AND rating IS NOT NULL))
        )""",
        "CREATE INDEX idx_answers_order ON answers (evaluation_id, answered_order)",
        """CREATE TABLE positions (
            participant_id TEXT PRIMARY KEY REFERENCES participants(id),
            state TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        # Words only: nothing here may identify who searched.
        """CREATE TABLE search_misses (
            terms TEXT PRIMARY KEY,
            count INTEGER NOT NULL,
            last_seen TEXT NOT NULL
        )""",
    ]
    for sql in statements:
        db.execute(sql)


@migrations(name="0002_team_rounds")
def team_rounds(db: Database) -> None:
    """Add team rounds, their join codes, memberships, agreed ratings and parked positions."""
    statements = [
        # statement_ids is a JSON list, in the order the round asks them.
        """CREATE TABLE rounds (
            id INTEGER PRIMARY KEY,
            organisation TEXT NOT NULL,
            name TEXT NOT NULL,
            statement_ids TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
            shared INTEGER NOT NULL DEFAULT 0 CHECK (shared IN (0, 1)),
            created_by TEXT NOT NULL REFERENCES participants(id),
            created_at TEXT NOT NULL,
            closed_at TEXT
        )""",
        # A join code works until it is replaced; an organiser invite works once.
        """CREATE TABLE round_codes (
            code TEXT PRIMARY KEY,
            round_id INTEGER NOT NULL REFERENCES rounds(id),
            purpose TEXT NOT NULL CHECK (purpose IN ('join', 'organiser')),
            created_at TEXT NOT NULL,
            retired_at TEXT
        )""",
        "CREATE INDEX idx_round_codes_round ON round_codes (round_id, purpose)",
        """CREATE TABLE memberships (
            round_id INTEGER NOT NULL REFERENCES rounds(id),
            participant_id TEXT NOT NULL REFERENCES participants(id),
            role TEXT NOT NULL CHECK (role IN ('organiser', 'participant')),
            display_name TEXT NOT NULL,
            joined_at TEXT NOT NULL,
            reminders INTEGER NOT NULL DEFAULT 1 CHECK (reminders IN (0, 1)),
            last_reminded_at TEXT,
            PRIMARY KEY (round_id, participant_id)
        )""",
        "CREATE INDEX idx_memberships_participant ON memberships (participant_id)",
        """CREATE TABLE agreed_ratings (
            round_id INTEGER NOT NULL REFERENCES rounds(id),
            statement_id TEXT NOT NULL,
            rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
            reason TEXT,
            agreed_by TEXT NOT NULL REFERENCES participants(id),
            agreed_at TEXT NOT NULL,
            PRIMARY KEY (round_id, statement_id)
        )""",
        # Solo evaluations keep round_id NULL; a person has one evaluation per round.
        "ALTER TABLE evaluations ADD COLUMN round_id INTEGER REFERENCES rounds(id)",
        "CREATE UNIQUE INDEX idx_evaluations_round ON evaluations (round_id, participant_id) "
        "WHERE round_id IS NOT NULL",
        # Where a person stopped in an evaluation they have set aside to work on another one.
        """CREATE TABLE parked_positions (
            evaluation_id INTEGER PRIMARY KEY REFERENCES evaluations(id),
            state TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        # A typed answer the team screens are waiting for (a round name, a display name...).
        """CREATE TABLE pending_inputs (
            participant_id TEXT PRIMARY KEY REFERENCES participants(id),
            kind TEXT NOT NULL,
            data TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
    ]
    for sql in statements:
        db.execute(sql)


@migrations(name="0003_reading_preference")
def reading_preference(db: Database) -> None:
    """Remember whether each person reads the standard wording or easy read."""
    db.execute(
        "ALTER TABLE participants ADD COLUMN reading TEXT NOT NULL DEFAULT 'standard' "
        "CHECK (reading IN ('standard', 'easy'))"
    )


@migrations(name="0004_update_inbox")
def update_inbox(db: Database) -> None:
    """Keep every update from Telegram until it is handled, and set aside poison ones."""
    statements = [
        # Raw JSON as Telegram sent it; done once handled (with the answers it stored).
        """CREATE TABLE updates (
            update_id INTEGER PRIMARY KEY,
            raw TEXT NOT NULL,
            received_at TEXT NOT NULL,
            done INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
            attempts INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX idx_updates_waiting ON updates (done, received_at)",
        """CREATE TABLE dead_letters (
            update_id INTEGER PRIMARY KEY,
            raw TEXT NOT NULL,
            error TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            set_aside_at TEXT NOT NULL
        )""",
    ]
    for sql in statements:
        db.execute(sql)


@migrations(name="0005_undelivered_notices")
def undelivered_notices(db: Database) -> None:
    """Remember chats a reply could not reach, to tell them once Telegram answers again."""
    db.execute(
        """CREATE TABLE undelivered (
            chat_id INTEGER PRIMARY KEY,
            since TEXT NOT NULL
        )"""
    )
