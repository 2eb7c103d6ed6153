"""Group commit: updates handled together share one disk sync, and nothing is said before it."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from bot.loading import Guide
from bot.telegram.commits import GroupCommit
from bot.telegram.local_chat import LocalChat
from bot.telegram.local_transport import LocalTelegram, UploadedFile
from bot.telegram.local_transport.records import JSONDict
from storage import CommitFailed, Store
from tests.conftest import RunningBot, running_bot
from tests.test_chat_evaluation import rating_labels, start_evaluation
from tests.test_update_commits import _commits, commits

PEOPLE = 4


def committed_count(database: Path, sql: str) -> int:
    """Count rows as another connection sees them: only what is committed."""
    with sqlite3.connect(database) as other:
        return int(other.execute(sql).fetchone()[0])


def stored_ratings(database: Path) -> int:
    """Count the committed ratings."""
    return committed_count(database, "SELECT COUNT(*) FROM answers WHERE rating IS NOT NULL")


def participants(database: Path) -> int:
    """Count the committed participants."""
    return committed_count(database, "SELECT COUNT(*) FROM participants")


class WatchingTelegram(LocalTelegram):
    """The in-process Telegram, noting for each message sent what is already on disk."""

    def __init__(self, database: Path) -> None:
        super().__init__()
        self.database = database
        self.seen_on_disk: list[tuple[str, str, int]] = []

    def dispatch(
        self,
        method: str,
        params: Mapping[str, Any],
        files: Mapping[str, UploadedFile] | None = None,
    ) -> tuple[int, JSONDict]:
        """Note what a second connection sees as the call arrives, then answer as Telegram."""
        if method in ("sendMessage", "editMessageText"):
            text = str(params.get("text", ""))
            self.seen_on_disk.append((method, text, stored_ratings(self.database)))
        return super().dispatch(method, params, files)


async def test_people_answering_at_once_share_one_commit(bot: RunningBot, database: Path) -> None:
    chats = [bot.chat(user_id=2000 + n, first_name=f"Person{n}") for n in range(PEOPLE)]
    for chat in chats:
        await start_evaluation(chat)
    with commits(bot) as seen:
        await asyncio.gather(
            *(chat.tap(rating_labels(chat)[n % 5]) for n, chat in enumerate(chats))
        )
    for chat in chats:
        assert "evidence" in chat.last.text.lower(), chat.last.text
    assert stored_ratings(database) == PEOPLE
    # One sync for the turn in which all four were handled, not one each.
    assert _commits(seen) < PEOPLE, seen


async def test_nothing_is_said_before_the_answer_it_reports_is_on_disk(
    database: Path, guide: Guide
) -> None:
    transport = WatchingTelegram(database)
    async with running_bot(database, guide, transport=transport) as bot:
        chats = [bot.chat(user_id=3000 + n, first_name=f"Person{n}") for n in range(PEOPLE)]
        for chat in chats:
            await start_evaluation(chat)
        transport.seen_on_disk.clear()
        await asyncio.gather(*(chat.tap(rating_labels(chat)[2]) for chat in chats))
    # Each "Your answer" edit and each next prompt reached Telegram only once that person's
    # rating could be read back by another connection: the whole group had been committed.
    seen = transport.seen_on_disk
    assert len(seen) >= 2 * PEOPLE, seen
    assert all(count == PEOPLE for _, _, count in seen), seen


async def test_a_group_that_cannot_be_committed_tells_nobody_it_was_saved(
    bot: RunningBot, chat: LocalChat
) -> None:
    await start_evaluation(chat)
    label = rating_labels(chat)[3]
    question = chat.last
    connection = bot.store.db.conn

    connection.set_authorizer(refuse_commit)
    quiet = bot.chat(strict=False)
    try:
        await quiet.tap(label, message=question.message_id)
    finally:
        connection.set_authorizer(None)
    # Not kept, and not reported as kept: the person hears an apology, not "evidence?".
    assert bot.store.answer_count() == 0
    said = " ".join(message.text for message in quiet.replies).lower()
    assert "evidence" not in said, said
    assert "sorry" in said, said
    # The disk is back: the same button works, once. (Not strict: as after a crash, the bot
    # may tidy the buttons of a message that no longer has any, which Telegram refuses.)
    await quiet.tap(label, message=question.message_id)
    assert "evidence" in quiet.last.text.lower()
    assert bot.store.answer_count() == 1


# -- the store's side of it: a group is one transaction, committed only between blocks ----------


def grouped_store(database: Path) -> Store:
    """Open a store whose transactions wait for `commit_group`, as the running bot's do."""
    store = Store.open(database)
    store.group_commits(lambda: True)
    return store


def test_a_group_is_committed_only_between_blocks_never_inside_one(database: Path) -> None:
    store = grouped_store(database)
    with store.transaction():
        store.participant_for("1001")
        # A commit now would keep half of this block: it is refused.
        assert store.commit_group() is False
    assert participants(database) == 0  # done, but waiting for the group's commit
    assert store.commit_group() is True
    assert participants(database) == 1
    store.close()


def test_a_clean_stop_commits_the_group_still_open(database: Path) -> None:
    store = grouped_store(database)
    store.participant_for("1001")
    store.close()
    assert participants(database) == 1


def test_an_error_that_ends_the_transaction_loses_the_whole_group_and_says_so(
    database: Path,
) -> None:
    store = grouped_store(database)
    first = store.participant_for("1001")  # an earlier update's block, waiting in the group
    # What a failing disk can do: an error that rolls back the whole transaction, not just
    # the statement (SQLite does so for some I/O and out-of-memory errors).
    store.db.execute(
        "CREATE TEMP TRIGGER fail BEFORE INSERT ON evaluations "
        "BEGIN SELECT RAISE(ROLLBACK, 'disk I/O error'); END"
    )
    with pytest.raises(sqlite3.IntegrityError, match="disk I/O error"):
        store.start_evaluation(first, "Kirklees Council")
    # Another update's block in the same turn, before the group's commit: it fails with them.
    store.participant_for("1003")
    with pytest.raises(CommitFailed, match=r"^an error ended the transaction: "):
        store.commit_group()
    # (The trigger itself was made inside the group, so it went with the rollback too.)
    # Nothing of the group is kept, so nobody waiting on it may be told it was saved ...
    assert participants(database) == 0
    # ... and the next group starts clean.
    store.participant_for("1002")
    assert store.commit_group() is True
    assert participants(database) == 1
    store.close()


def test_a_commit_the_database_refuses_says_why(database: Path) -> None:
    store = grouped_store(database)
    store.participant_for("1001")

    store.db.conn.set_authorizer(refuse_commit)
    with pytest.raises(CommitFailed, match=r"^the group's writes could not be committed: "):
        store.commit_group()
    store.db.conn.set_authorizer(None)
    assert participants(database) == 0
    store.close()


def started(database: Path) -> tuple[Store, GroupCommit]:
    """Open a store with its commits grouped by a `GroupCommit`, as the running bot does."""
    store = Store.open(database)
    commits = GroupCommit(store)
    commits.start()
    return store, commits


def test_outside_the_event_loop_every_write_is_committed_at_once(database: Path) -> None:
    store, _ = started(database)
    store.participant_for("1001")  # as a CLI command would, with no loop to commit later
    assert participants(database) == 1
    store.close()


async def test_a_group_that_fails_with_nobody_waiting_is_logged_once(
    database: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store, commits = started(database)
    store.participant_for("1001")  # a group, and nobody waiting on it
    store.db.conn.set_authorizer(refuse_commit)
    with caplog.at_level(logging.DEBUG):
        for _ in range(3):
            await asyncio.sleep(0)  # the next turns: the commit is tried, and fails
        store.db.conn.set_authorizer(None)
        logged = [record.getMessage() for record in caplog.records]
    assert logged.count("could not commit a group of updates; they will be handled again") == 1
    assert participants(database) == 0
    commits.stop()
    store.close()


async def test_a_group_is_committed_once_and_then_nothing_keeps_running(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, commits = started(database)
    calls: list[bool] = []
    commit_group = store.commit_group

    def counted() -> bool:
        calls.append(commit_group())
        return calls[-1]

    monkeypatch.setattr(store, "commit_group", counted)
    store.participant_for("1001")
    for _ in range(5):
        await asyncio.sleep(0)  # five turns of the loop with nothing to do
    # One commit, at the next turn; no callback left rescheduling itself on an idle loop.
    assert calls == [True]
    assert participants(database) == 1
    commits.stop()
    store.close()


def refuse_commit(action: int, first: str | None, *_: object) -> int:
    """Refuse COMMIT, as a failing disk would (an authorizer, so SQLite itself refuses)."""
    if action == sqlite3.SQLITE_TRANSACTION and (first or "").upper() == "COMMIT":
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK
