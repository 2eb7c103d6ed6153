"""The run lock refuses a second copy and names the first; the health check reads the store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from storage import Store
from storage.backup import store_readable
from storage.lock import AlreadyRunning, lock_path, only_copy


def test_a_second_copy_on_the_same_database_is_refused_and_told_who_holds_it(
    tmp_path: Path,
) -> None:
    database = tmp_path / "guide.db"
    # Beside the database and named after it, so whoever lists the data folder knows it.
    assert lock_path(database) == tmp_path / "guide.db.lock"
    with only_copy(database):
        assert lock_path(database).read_text() == f"{os.getpid()}\n"
        with pytest.raises(AlreadyRunning) as refused, only_copy(database):
            pytest.fail("a second copy was let run")
    assert refused.value.database == database
    assert refused.value.pid == str(os.getpid())
    assert str(refused.value) == f"another copy of the bot (process {os.getpid()}) uses {database}"
    # Let go at the end: the next start takes it.
    with only_copy(database):
        pass


def test_a_holder_that_left_no_pid_is_named_unknown(tmp_path: Path) -> None:
    refused = AlreadyRunning(tmp_path / "guide.db", "")
    assert "(process unknown)" in str(refused)


def test_the_health_check_reads_an_open_store_and_fails_on_a_closed_one(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "guide.db")
    assert store_readable(store) is True
    store.close()
    assert store_readable(store) is False
