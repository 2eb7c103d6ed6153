"""When Telegram fails a call: it is tried again, nothing is lost, and the person is told.

The bot runs on an in-process Telegram that fails the calls a test names, the way Telegram
does on a bad day: a 5xx, a 429 with ``retry_after``, a timeout, a connection that drops after
the call took effect (only the answer is lost), or a 403 from someone who blocked the bot.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from telegram.error import NetworkError, TimedOut
from telegram.ext import CallbackContext

from bot.config import Settings
from bot.loading import Guide
from bot.telegram.app import build_application
from bot.telegram.delivery import send_notices
from bot.telegram.local_chat import LocalChat
from bot.telegram.local_transport import LocalTelegram, UploadedFile
from bot.telegram.local_transport.records import JSONDict
from storage import Store
from tests.botapi_server import error_answer
from tests.test_chat_evaluation import rating_labels, start_evaluation

NOTICE = "did not reach you"


@dataclass
class Fault:
    """Fail the next ``times`` calls of ``method``: with a status, or by raising ``error``."""

    method: str
    times: int
    status: int = 500
    error: type[Exception] | None = None
    after: bool = False  # fail after the call took effect (the answer is lost, not the call)
    retry_after: int = 1


class FlakyTelegram(LocalTelegram):
    """The in-process Telegram, failing the calls it is told to."""

    def __init__(self) -> None:
        super().__init__()
        self.faults: list[Fault] = []
        self.failed: list[str] = []

    def dispatch(
        self,
        method: str,
        params: Mapping[str, Any],
        files: Mapping[str, UploadedFile] | None = None,
    ) -> tuple[int, JSONDict]:
        """Answer as Telegram, unless a fault is due for this method."""
        fault = next((f for f in self.faults if f.method == method and f.times > 0), None)
        if fault is None or fault.after:
            answer = super().dispatch(method, params, files)
            if fault is None:
                return answer
        fault.times -= 1
        self.failed.append(method)
        if fault.error is not None:
            raise fault.error("the connection dropped")
        return error_answer(fault.status, retry_after=fault.retry_after)

    def fail(self, method: str, times: int = 1, **kwargs: Any) -> None:
        """Fail the next ``times`` calls of a Bot API method."""
        self.faults.append(Fault(method, times, **kwargs))


@dataclass
class Flaky:
    application: Any
    transport: FlakyTelegram
    store: Store

    def chat(self, **kwargs: Any) -> LocalChat:
        return LocalChat(self.application, self.transport, strict=False, **kwargs)

    async def send_notices(self) -> None:
        """Run the job that tells people a message did not reach them, once."""
        await send_notices(CallbackContext(self.application))


@pytest.fixture
async def flaky(database: Path, guide: Guide) -> AsyncIterator[Flaky]:
    transport = FlakyTelegram()
    settings = Settings(database=database, flood=None, sends_per_second=0)
    with Store.open(database) as store:
        application = build_application(settings, guide=guide, store=store, request=transport)
        async with application:
            yield Flaky(application, transport, store)


def ratings(store: Store) -> dict[str, int | None]:
    return {row.statement_id: row.rating for row in store.export_rows()}


async def test_a_server_error_is_tried_again_and_the_question_arrives_once(flaky: Flaky) -> None:
    chat = flaky.chat()
    await start_evaluation(chat)
    flaky.transport.fail("sendMessage", times=2, status=502)
    await chat.tap(rating_labels(chat)[3])
    assert flaky.transport.failed == ["sendMessage", "sendMessage"]
    evidence = [m for m in chat.replies if "evidence" in m.text.lower()]
    assert len(evidence) == 1, [m.text[:40] for m in chat.replies]
    assert ratings(flaky.store) == {"strengths-based-practice": 4}


async def test_a_429_is_waited_out_then_the_reply_is_sent(flaky: Flaky) -> None:
    chat = flaky.chat()
    await start_evaluation(chat)
    flaky.transport.fail("sendMessage", times=1, status=429, retry_after=1)
    await chat.tap(rating_labels(chat)[0])
    assert flaky.transport.failed == ["sendMessage"]
    assert "evidence" in chat.last.text.lower()
    assert not flaky.store.undelivered()


async def test_an_edit_whose_answer_was_lost_is_not_sent_twice_or_called_a_failure(
    flaky: Flaky,
) -> None:
    chat = flaky.chat()
    await start_evaluation(chat)
    question = chat.last
    # The edit that shows "Your answer" takes effect, but its answer never comes back: the
    # retry is refused as "not modified", which means the edit is there.
    flaky.transport.fail("editMessageText", times=1, error=NetworkError, after=True)
    await chat.tap(rating_labels(chat)[1])
    assert flaky.transport.failed == ["editMessageText"]
    edited = flaky.transport.message(chat.chat_id, question.message_id)
    assert edited is not None and "Your answer: 2" in (edited.text or "")
    assert "evidence" in chat.last.text.lower()
    assert not flaky.store.undelivered()


async def test_a_reply_that_never_gets_through_is_followed_by_a_notice_and_a_way_on(
    flaky: Flaky,
) -> None:
    chat = flaky.chat()
    await start_evaluation(chat)
    await chat.tap(rating_labels(chat)[2])
    await chat.tap("Skip")
    # Telegram times out on every try at the next question: it is late, not lost.
    flaky.transport.fail("sendMessage", times=10, error=TimedOut)
    await chat.tap(rating_labels(chat)[4])
    assert flaky.transport.failed.count("sendMessage") == 4, "one try and three retries"
    assert ratings(flaky.store)["workforce-data"] == 5, "the tap was stored before"
    assert flaky.store.undelivered(), "the person is owed a notice"
    assert not any("went wrong" in m.text for m in chat.replies), "no apology into the void"

    # While Telegram is still down the notice waits; once it answers, it goes out once.
    await flaky.send_notices()
    assert flaky.store.undelivered()
    flaky.transport.faults.clear()
    await flaky.send_notices()
    await flaky.send_notices()
    notices = [m for m in chat.history if NOTICE in m.text]
    assert len(notices) == 1
    assert "saved" in notices[0].text
    assert not flaky.store.undelivered()

    await chat.tap("Carry on where I stopped")
    assert "evidence" in chat.last.text.lower()
    assert "Statement 2 of 7" in chat.last.text
    await chat.tap("Skip")
    assert "Statement 3 of 7" in chat.last.text
    assert not flaky.store.waiting_updates()
    assert not flaky.store.dead_letters()


async def test_someone_who_blocked_the_bot_gets_no_apology_and_no_notice(flaky: Flaky) -> None:
    chat = flaky.chat()
    await start_evaluation(chat)
    flaky.transport.fail("sendMessage", times=5, status=403)
    await chat.tap(rating_labels(chat)[0])
    assert flaky.transport.failed == ["sendMessage"], "a 403 is never retried"
    assert ratings(flaky.store) == {"strengths-based-practice": 1}
    assert not flaky.store.undelivered()
    assert not flaky.store.dead_letters()
    assert not flaky.store.waiting_updates()


async def test_a_notice_to_someone_who_blocked_the_bot_is_dropped(flaky: Flaky) -> None:
    chat = flaky.chat()
    await start_evaluation(chat)
    flaky.store.note_undelivered(chat.chat_id)
    flaky.transport.fail("sendMessage", times=5, status=403)
    await flaky.send_notices()
    assert not flaky.store.undelivered()
    assert not any(NOTICE in m.text for m in chat.history)


async def test_forget_drops_a_notice_owed(flaky: Flaky) -> None:
    chat = flaky.chat()
    await start_evaluation(chat)
    flaky.store.note_undelivered(chat.chat_id)
    await chat.send("/forget")
    await chat.tap(chat.last.labels[0])
    assert not flaky.store.undelivered()
