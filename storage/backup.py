"""The database file as a whole: a consistent copy while the bot runs, and a health check.

The copy uses SQLite's online backup API: it reads one snapshot of the database (in WAL mode
the bot goes on writing meanwhile), so the copy holds every transaction committed before it
began and nothing half-written. The copy is checked and then moved into place in one step, so
a file at the target path is always a whole, checked backup.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from storage.store import Store


class BackupError(Exception):
    """The backup could not be made; the message says why in plain words."""


@dataclass(frozen=True)
class BackupReport:
    """What a backup holds: where it is, its size in bytes, and what is in it."""

    path: Path
    size: int
    evaluations: int
    answers: int


def backup_database(source: Path, target: Path, *, force: bool = False) -> BackupReport:
    """Copy the database at ``source`` to ``target`` (a new file unless ``force``); check it."""
    if not source.is_file():
        raise BackupError(f"No database at {source}.")
    if target.exists() and not force:
        raise BackupError(f"{target} already exists. Choose another name, or add --force.")
    if target.exists() and target.resolve() == source.resolve():
        raise BackupError(f"{target} is the database itself. Choose another name.")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        evaluations, answers = _copy(source, partial)
        _put_in_place(partial, target, force=force)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return BackupReport(target, target.stat().st_size, evaluations, answers)


def _copy(source: Path, partial: Path) -> tuple[int, int]:
    """Copy and check the database; return how many evaluations and answers the copy holds."""
    # Read-only, so the backup can never change the database it copies.
    reader = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(partial)
        try:
            reader.backup(copy)  # all pages in one step: one snapshot, however busy the bot is
            # The copy inherits WAL mode; a backup should be one self-contained file.
            copy.execute("PRAGMA journal_mode = DELETE")
            check = copy.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"The copy of {source} failed SQLite's integrity check: {check}")
            evaluations = copy.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
            answers = copy.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
        finally:
            copy.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(
            f"Could not back up {source}: {error}. Is it a Workforce Guide database?"
        ) from error
    finally:
        reader.close()
    with partial.open("rb") as handle:
        os.fsync(handle.fileno())  # on disk before it takes the target's name
    return int(evaluations), int(answers)


def _put_in_place(partial: Path, target: Path, *, force: bool) -> None:
    if force:
        os.replace(partial, target)
        return
    try:
        # A hard link never replaces a file that appeared meanwhile (os.replace would).
        os.link(partial, target)
    except FileExistsError:
        raise BackupError(
            f"{target} already exists. Choose another name, or add --force."
        ) from None
    except OSError:
        # A file system without hard links: the check at the start has to do.
        os.replace(partial, target)


def store_readable(store: Store) -> bool:
    """Tell whether the database answers a small read (for a load balancer's health check)."""
    try:
        store.db.execute("SELECT COUNT(*) FROM updates WHERE done = 0").fetchone()
    except sqlite3.Error:
        return False
    return True
