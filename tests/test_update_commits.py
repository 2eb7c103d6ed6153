"""Each update costs one commit: its answers, its place and its done mark go to disk together."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bot.telegram.durable import DurableApplication
from bot.telegram.local_chat import LocalChat
from tests.conftest import RunningBot
from tests.test_chat_evaluation import rating_labels, start_evaluation


@contextmanager
def commits(bot: RunningBot) -> Iterator[list[str]]:
    """Collect every SQL statement the store runs meanwhile."""
    seen: list[str] = []
    bot.store.db.conn.set_trace_callback(seen.append)
    try:
        yield seen
    finally:
        bot.store.db.conn.set_trace_callback(None)


def _commits(statements: list[str]) -> int:
    return sum(1 for sql in statements if sql.strip().upper() == "COMMIT")


async def test_a_rating_tap_commits_once(bot: RunningBot, chat: LocalChat) -> None:
    await start_evaluation(chat)
    with commits(bot) as seen:
        await chat.tap(rating_labels(chat)[2])
    assert "evidence" in chat.last.text.lower()
    assert _commits(seen) == 1, seen


async def test_a_typed_note_commits_once(bot: RunningBot, chat: LocalChat) -> None:
    await start_evaluation(chat)
    await chat.tap(rating_labels(chat)[2])
    with commits(bot) as seen:
        await chat.send("We train every new starter")
    assert "Statement 2 of 7" in chat.last.text
    assert _commits(seen) == 1, seen


async def test_an_update_that_stores_nothing_commits_only_its_done_mark(
    bot: RunningBot, chat: LocalChat
) -> None:
    await chat.send("/start")
    with commits(bot) as seen:
        await chat.send("/help")
    assert _commits(seen) == 1, seen
    # The reads (who is this, are they mid-question) open no transaction of their own.
    assert sum(1 for sql in seen if sql.upper().startswith("BEGIN")) == 1, seen


async def test_nested_verbs_reuse_one_savepoint_name(bot: RunningBot, chat: LocalChat) -> None:
    await start_evaluation(chat)
    with commits(bot) as seen:
        await chat.tap(rating_labels(chat)[2])
        await chat.tap("Skip")
    savepoints = {sql for sql in seen if sql.upper().startswith("SAVEPOINT")}
    # One SQL text, prepared once: a random name per savepoint would be new SQL every time.
    assert savepoints == {"SAVEPOINT nested"}, savepoints


async def test_the_question_on_screen_survives_a_clean_restart(
    bot: RunningBot, chat: LocalChat
) -> None:
    await start_evaluation(chat)
    question = chat.last
    # A stop writes down which message shows the question (kept in memory while running).
    application = bot.application
    assert isinstance(application, DurableApplication)
    await application.shutdown()
    await application.initialize()
    participant = bot.store.participant_for(str(chat.user["id"]))
    saved = bot.store.load_position(participant)
    assert saved is not None and saved["message_id"] == question.message_id
