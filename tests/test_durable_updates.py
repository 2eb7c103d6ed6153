"""Durable updates: kept before they are confirmed, handled once, poison ones set aside."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes, MessageHandler, filters
from telegram.request import BaseRequest, RequestData

from bot.loading import Guide
from bot.telegram.commits import GroupCommit
from bot.telegram.durable import MAX_ATTEMPTS, InboxRequest, handle_waiting
from bot.telegram.local_chat import LocalChat
from storage import Store
from tests.conftest import RunningBot, running_bot
from tests.test_chat_evaluation import rating_labels, start_evaluation
from tests.test_cli import run


class CannedTelegram(BaseRequest):
    """Answer getUpdates with a fixed body, as Telegram would over HTTP."""

    def __init__(self, updates: list[Any]) -> None:
        self.body = json.dumps({"ok": True, "result": updates}).encode()

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, *args: Any, **kw: Any
    ) -> tuple[int, bytes]:
        return 200, self.body


def _participant(bot: RunningBot, chat: LocalChat) -> str:
    return bot.store.participant_for(str(chat.user["id"]))


async def test_a_repeated_tap_never_starts_a_second_evaluation(
    bot: RunningBot, chat: LocalChat
) -> None:
    await start_evaluation(chat)
    await chat.send("/evaluate")
    tap = bot.transport.incoming_callback_query(
        chat.chat_id,
        chat.last.message_id,
        chat.last.callback_data("Start a new one") or "",
        chat.user,
    )
    await chat.deliver(tap)
    assert await chat.deliver(tap) == []  # the same update again: nothing happens
    assert len(bot.store.evaluations_for(_participant(bot, chat))) == 2


async def test_a_repeated_note_never_lands_on_the_next_question(
    bot: RunningBot, chat: LocalChat
) -> None:
    await start_evaluation(chat)
    await chat.tap(rating_labels(chat)[2])
    note = bot.transport.incoming_message(chat.chat, chat.user, "Supervision notes show it")
    await chat.deliver(note)
    assert "Statement 2 of 7" in chat.last.text
    assert await chat.deliver(note) == []
    evaluation = bot.store.evaluations_for(_participant(bot, chat))[0]
    answers = bot.store.answers_for(evaluation.id)
    assert set(answers) == {"strengths-based-practice"}
    assert answers["strengths-based-practice"].note == "Supervision notes show it"


async def test_an_answer_and_its_update_are_kept_together(bot: RunningBot, chat: LocalChat) -> None:
    await start_evaluation(chat)
    label = rating_labels(chat)[3]
    tap = bot.transport.incoming_callback_query(
        chat.chat_id, chat.last.message_id, chat.last.callback_data(label) or "", chat.user
    )
    await chat.deliver(tap)
    assert bot.store.update_done(tap["update_id"])
    evaluation = bot.store.evaluations_for(_participant(bot, chat))[0]
    assert bot.store.answers_for(evaluation.id)["strengths-based-practice"].rating == 4


async def test_updates_are_kept_before_confirmation_and_poison_is_set_aside(
    store: Store,
) -> None:
    good = {
        "update_id": 41,
        "message": {
            "message_id": 1,
            "date": 1_700_000_000,
            "chat": {"id": 5, "type": "private", "first_name": "Ann"},
            "from": {"id": 5, "is_bot": False, "first_name": "Ann"},
            "text": "hello",
        },
    }
    poison = {"update_id": 42, "message": {"message_id": "not a number", "chat": "nonsense"}}
    request = InboxRequest(CannedTelegram([good, poison]), store, GroupCommit(store))
    status, payload = await request.do_request("https://api.example/bot1:x/getUpdates", "POST")
    handed_on = json.loads(payload)["result"]

    assert status == 200
    # The good update is kept before python-telegram-bot can confirm it.
    assert [u["update_id"] for u in store.waiting_updates()] == [41]
    # The poison one is replaced by an empty update of the same id (so the offset moves on)
    # and set aside with its error.
    assert handed_on[1] == {"update_id": 42}
    assert [letter.update_id for letter in store.dead_letters()] == [42]
    assert store.update_done(42)


async def test_what_was_left_at_a_stop_is_handled_first(database: Path, guide: Guide) -> None:
    async with running_bot(database, guide) as bot:
        chat = bot.chat()
        update = bot.transport.incoming_message(chat.chat, chat.user, "/start")
        bot.store.receive_updates([update])  # kept, then the bot stopped before handling it
    async with running_bot(database, guide, transport=bot.transport) as again:
        assert await handle_waiting(again.application) == 1  # type: ignore[arg-type]
        assert "What would you like to do" in again.chat().last.text
        assert again.store.waiting_updates() == []
        assert await handle_waiting(again.application) == 0  # type: ignore[arg-type]


async def test_an_update_that_keeps_failing_is_set_aside_and_blocks_nobody(
    bot: RunningBot, database: Path
) -> None:
    async def explode(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message and update.effective_message.text == "boom":
            raise RuntimeError("a handler bug")

    bot.application.add_handler(MessageHandler(filters.TEXT, explode), -10)  # type: ignore[attr-defined]
    chat = bot.chat(strict=False)
    boom = bot.transport.incoming_message(chat.chat, chat.user, "boom")
    for _ in range(MAX_ATTEMPTS):
        await chat.deliver(boom)
    assert [letter.update_id for letter in bot.store.dead_letters()] == [boom["update_id"]]
    assert await chat.deliver(boom) == []  # set aside: never tried again
    await chat.send("/start")  # and everyone else carries on
    assert "What would you like to do" in chat.last.text

    code, out, _ = run("dead-letters", env={"WORKFORCE_GUIDE_DB": str(database)})
    assert code == 0 and str(boom["update_id"]) in out and "failed 3 times" in out
