"""Opening the database: files, WAL, migrations, and surviving a restart."""

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from storage import Store
from storage.migrations import MIGRATION_SET, migrations


def test_file_database_uses_wal(tmp_path: Path) -> None:
    with Store.open(tmp_path / "guide.db") as store:
        assert store.db.journal_mode == "wal"


def test_missing_parent_folders_are_created(tmp_path: Path) -> None:
    path = tmp_path / "data" / "nested" / "guide.db"

    with Store.open(str(path)):
        pass

    assert path.exists()


def test_memory_database_is_allowed() -> None:
    with Store.open(":memory:") as store:
        assert store.evaluations_for(store.participant_for("tg:1")) == []


def test_foreign_keys_are_enforced() -> None:
    with Store.open(":memory:") as store:
        assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_schema_has_the_expected_tables() -> None:
    with Store.open(":memory:") as store:
        assert {"participants", "evaluations", "answers", "positions", "search_misses"} <= set(
            store.db.table_names()
        )
        assert store.db.table("answers").pks == ["evaluation_id", "statement_id"]


def test_migrations_are_applied_once(tmp_path: Path) -> None:
    path = tmp_path / "guide.db"
    with Store.open(path) as store:
        participant = store.participant_for("tg:1")
        store.set_organisation(participant, "Leeds")

    with Store.open(path) as store:
        # Applying again by hand is also a no-op.
        migrations.apply(store.db)
        applied = store.db.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", [MIGRATION_SET]
        ).fetchall()
        assert [name for (name,) in applied] == [
            "0001_initial",
            "0002_team_rounds",
            "0003_reading_preference",
            "0004_update_inbox",
            "0005_undelivered_notices",
        ]
        assert migrations.pending(store.db) == []
        assert store.organisation(participant) == "Leeds"


def test_position_survives_closing_and_reopening(tmp_path: Path) -> None:
    path = tmp_path / "guide.db"
    position = {"flow": "evaluation", "step": "values-3", "history": ["values-1", "values-2"]}
    with Store.open(path) as store:
        participant = store.participant_for("tg:42")
        store.save_position(participant, position)

    # As after a bot restart: a fresh process opens the same file.
    with Store.open(path) as store:
        assert store.participant_for("tg:42") == participant
        assert store.load_position(participant) == position


def test_position_is_replaced_and_cleared() -> None:
    with Store.open(":memory:") as store:
        participant = store.participant_for("tg:1")
        assert store.load_position(participant) is None

        store.save_position(participant, {"step": "a", "note": "Môn ✨"})
        store.save_position(participant, {"step": "b"})
        assert store.load_position(participant) == {"step": "b"}

        store.clear_position(participant)
        assert store.load_position(participant) is None


def test_position_that_is_not_json_is_refused() -> None:
    with Store.open(":memory:") as store:
        participant = store.participant_for("tg:1")
        with pytest.raises(TypeError, match="JSON-serialisable"):
            store.save_position(participant, {"step": object()})
        assert store.load_position(participant) is None


def test_naive_clock_is_refused_with_a_clear_message() -> None:
    store = Store.open(":memory:", clock=lambda: datetime(2025, 1, 1))

    with pytest.raises(ValueError, match="aware datetime"):
        store.participant_for("tg:1")
    store.close()


def test_default_clock_is_utc_aware() -> None:
    with Store.open(":memory:") as store:
        participant = store.participant_for("tg:1")
        evaluation = store.evaluation(store.start_evaluation(participant, None))
        assert evaluation is not None
        assert evaluation.started_at.utcoffset() == timedelta(0)
