"""`workforce-guide backup FILE`: a whole, consistent copy of the database, even mid-write."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from bot.cli import build_parser
from storage import Store
from storage.backup import BackupError, BackupReport, _put_in_place, backup_database
from tests.test_cli import run

STATEMENTS = ("s1", "s2", "s3")  # every evaluation the writer makes has one answer for each
WRITER_SECONDS = 10.0  # a hard stop for the writer thread
BACKUPS = 3


class Writer(threading.Thread):
    """Write evaluations on a connection of its own, as the bot does, until told to stop."""

    def __init__(self, database: Path) -> None:
        super().__init__(name="writer", daemon=True)
        self.database = database
        self.committed = 0  # evaluations whose transaction has committed
        self.error: BaseException | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        try:
            with Store.open(self.database) as store:
                deadline = time.monotonic() + WRITER_SECONDS
                while not self.stop.is_set() and time.monotonic() < deadline:
                    # One evaluation and its answers in one transaction, as the bot keeps them:
                    # a consistent copy has all of it or none of it.
                    with store.transaction():
                        person = store.participant_for(f"user-{self.committed}")
                        evaluation = store.start_evaluation(person, "Kirklees Council")
                        for level, statement in enumerate(STATEMENTS, start=1):
                            store.record_rating(evaluation, statement, level)
                    self.committed += 1
        except BaseException as error:  # reported by the test, not lost in the thread
            self.error = error

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + WRITER_SECONDS
        while self.committed < count and self.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        assert self.committed >= count, self.error


def counts(path: Path) -> tuple[int, int, list[int]]:
    """Open a backup as SQLite would: check it and return (evaluations, answers, per-eval)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        evaluations = db.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
        answers = db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
        per_evaluation = [
            row[0]
            for row in db.execute(
                "SELECT COUNT(a.statement_id) FROM evaluations e "
                "LEFT JOIN answers a ON a.evaluation_id = e.id GROUP BY e.id"
            )
        ]
    return evaluations, answers, per_evaluation


def test_a_backup_taken_while_the_bot_writes_is_whole_and_consistent(tmp_path: Path) -> None:
    database = tmp_path / "guide.db"
    Store.open(database).close()
    writer = Writer(database)
    writer.start()
    try:
        for number in range(BACKUPS):
            writer.wait_for(5 * (number + 1))
            before = writer.committed
            target = tmp_path / f"backup-{number}.db"
            code, out, err = run("backup", str(target), env={"WORKFORCE_GUIDE_DB": str(database)})
            after = writer.committed
            assert code == 0, err
            evaluations, answers, per_evaluation = counts(target)
            # Everything committed before the copy began, nothing half-written.
            assert before <= evaluations <= after + 1
            assert per_evaluation == [len(STATEMENTS)] * evaluations
            assert answers == evaluations * len(STATEMENTS)
            assert str(target) in out
            plural = "" if evaluations == 1 else "s"
            assert f"{evaluations} evaluation{plural}, {answers} answers" in out
            assert not list(tmp_path.glob(f"*{target.name}*-wal")), "the copy is not one file"
    finally:
        writer.stop.set()
        writer.join(timeout=WRITER_SECONDS)
    assert writer.error is None, writer.error
    assert not list(tmp_path.glob(".*partial*")), "a partial copy was left behind"
    # Restore as docs/deploy.md says: with the bot stopped, the copy takes the database's place.
    restored = tmp_path / "restored.db"
    restored.write_bytes((tmp_path / f"backup-{BACKUPS - 1}.db").read_bytes())
    with Store.open(restored) as store:
        assert store.evaluations_for(store.participant_for("user-0"))


def test_backup_refuses_to_overwrite_a_file_unless_forced(tmp_path: Path) -> None:
    database = tmp_path / "guide.db"
    Store.open(database).close()
    target = tmp_path / "backup.db"
    target.write_text("last week's notes")
    env = {"WORKFORCE_GUIDE_DB": str(database)}

    code, out, err = run("backup", str(target), env=env)
    assert code == 1 and out == ""
    assert "already exists" in err and "--force" in err
    assert target.read_text() == "last week's notes"

    code, out, _ = run("backup", str(target), "--force", env=env)
    assert code == 0 and "0 evaluations, 0 answers" in out
    assert counts(target)[0] == 0


def test_backup_without_a_database_says_where_it_looked(tmp_path: Path) -> None:
    database = tmp_path / "missing.db"
    target = tmp_path / "backup.db"
    code, _, err = run("backup", str(target), env={"WORKFORCE_GUIDE_DB": str(database)})
    assert code == 1 and f"No database at {database}" in err
    assert not database.exists() and not target.exists()


def test_backup_of_a_file_that_is_not_a_database_fails_clearly(tmp_path: Path) -> None:
    database = tmp_path / "guide.db"
    database.write_bytes(b"this is a spreadsheet, not a database" * 200)
    target = tmp_path / "backup.db"
    code, _, err = run("backup", str(target), env={"WORKFORCE_GUIDE_DB": str(database)})
    assert code == 1 and "Could not back up" in err
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["guide.db"]


def test_backup_will_not_write_over_the_database_itself(tmp_path: Path) -> None:
    database = tmp_path / "guide.db"
    Store.open(database).close()
    with pytest.raises(BackupError, match="the database itself"):
        backup_database(database, database, force=True)


def test_run_webhook_and_backup_are_documented() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "workforce-guide backup" in readme and "run --webhook" in readme
    assert "backup" in build_parser().format_help()


# -- the backup itself, as the CLI calls it ---------------------------------------------------


def _database_with_one_evaluation(tmp_path: Path) -> Path:
    database = tmp_path / "guide.db"
    with Store.open(database) as store, store.transaction():
        evaluation = store.start_evaluation(store.participant_for("user-1"), "Kirklees Council")
        store.record_rating(evaluation, "s1", 3)
        store.record_rating(evaluation, "s2", 4)
    return database


def test_a_backup_reports_what_it_holds_and_makes_its_folder(tmp_path: Path) -> None:
    database = _database_with_one_evaluation(tmp_path)
    target = tmp_path / "backups" / "2026" / "guide-backup.db"
    report = backup_database(database, target)
    assert report == BackupReport(target, target.stat().st_size, 1, 2)
    assert counts(target)[:2] == (1, 2)
    # Only the backup: the partial copy it was made in is gone.
    assert [p.name for p in target.parent.iterdir()] == [target.name]


def test_a_backup_never_replaces_a_file_unless_forced(tmp_path: Path) -> None:
    database = _database_with_one_evaluation(tmp_path)
    target = tmp_path / "backup.db"
    target.write_text("last week's notes")
    with pytest.raises(BackupError) as refused:
        backup_database(database, target)
    assert str(refused.value) == f"{target} already exists. Choose another name, or add --force."
    assert target.read_text() == "last week's notes"
    assert backup_database(database, target, force=True).answers == 2
    assert counts(target)[:2] == (1, 2)


def test_a_file_that_appears_at_the_target_during_the_copy_is_kept(tmp_path: Path) -> None:
    partial, target = tmp_path / ".backup.db.partial", tmp_path / "backup.db"
    partial.write_text("the new copy")
    target.write_text("someone else's file, made while we copied")
    with pytest.raises(BackupError) as refused:
        _put_in_place(partial, target, force=False)
    assert str(refused.value) == f"{target} already exists. Choose another name, or add --force."
    assert target.read_text() == "someone else's file, made while we copied"
    _put_in_place(partial, target, force=True)
    assert target.read_text() == "the new copy" and not partial.exists()


def test_a_backup_of_nothing_says_where_it_looked(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    with pytest.raises(BackupError) as refused:
        backup_database(missing, tmp_path / "backup.db")
    assert str(refused.value) == f"No database at {missing}."


def test_on_a_file_system_without_hard_links_the_copy_still_takes_its_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(source: object, target: object) -> None:
        raise PermissionError("Operation not permitted")

    monkeypatch.setattr("storage.backup.os.link", no_links)
    partial, target = tmp_path / ".backup.db.partial", tmp_path / "backup.db"
    partial.write_text("the new copy")
    _put_in_place(partial, target, force=False)
    assert target.read_text() == "the new copy" and not partial.exists()
