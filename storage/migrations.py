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
