"""The fake Bot API server: real HTTP on 127.0.0.1, long polling, and PTB driving it."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, InvalidToken
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.botapi_server import FakeBotApi, NoReply, button_labels

BOT_TOKEN = "123456789:AAH-fake-api-test-token"
PROXY_VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    # httpx honours proxy variables; traffic to 127.0.0.1 must go straight to the fake server.
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server() -> Iterator[FakeBotApi]:
    with FakeBotApi(BOT_TOKEN) as api:
        yield api


def call(server: FakeBotApi, method: str, token: str = BOT_TOKEN, **kwargs: Any) -> httpx.Response:
    """POST to the fake API the way any HTTP client would."""
    base = server.base_url.removesuffix("/bot")
    return httpx.post(f"{base}/bot{token}/{method}", timeout=10, **kwargs)


# -- plain HTTP ---------------------------------------------------------------------------------


def test_get_me_answers_with_the_bot_whose_id_is_in_the_token(server: FakeBotApi) -> None:
    response = call(server, "getMe")

    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["result"]["id"] == 123456789
    assert body["result"]["is_bot"] is True


def test_get_works_as_well_as_post(server: FakeBotApi) -> None:
    base = server.base_url.removesuffix("/bot")

    response = httpx.get(f"{base}/bot{BOT_TOKEN}/getMe", timeout=10)

    assert response.json()["ok"] is True


def test_a_wrong_token_is_unauthorized(server: FakeBotApi) -> None:
    response = call(server, "getMe", token="123456789:wrong")

    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


def test_an_unknown_method_is_not_found(server: FakeBotApi) -> None:
    response = call(server, "sendTelepathy")

    assert response.status_code == 404
    assert response.json()["description"] == "Not Found: method not found"


def test_json_and_form_bodies_are_both_understood(server: FakeBotApi) -> None:
    server.user_sends("hi", user_id=5)
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}

    by_json = call(server, "sendMessage", json={"chat_id": 5, "text": "42", "reply_markup": markup})
    by_form = call(
        server,
        "sendMessage",
        data={"chat_id": "5", "text": "42", "reply_markup": json.dumps(markup)},
    )

    for response in (by_json, by_form):
        result = response.json()["result"]
        assert result["text"] == "42"  # a numeric text stays a string
        assert result["chat"]["id"] == 5
        assert button_labels(result) == ["Go"]


def test_refusals_come_back_as_telegram_errors(server: FakeBotApi) -> None:
    server.user_sends("hi", user_id=5)

    response = call(
        server, "sendMessage", data={"chat_id": "5", "text": "a < b", "parse_mode": "HTML"}
    )

    assert response.status_code == 400
    assert response.json()["description"].startswith("Bad Request: can't parse entities")


def test_get_updates_answers_at_once_when_updates_are_queued(server: FakeBotApi) -> None:
    server.user_sends("/start", user_id=7)

    started = time.monotonic()
    updates = call(server, "getUpdates", data={"timeout": "5"}).json()["result"]

    assert time.monotonic() - started < 2
    assert [u["message"]["text"] for u in updates] == ["/start"]
    assert updates[0]["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]


def test_get_updates_long_polls_until_timeout_when_nothing_is_queued(server: FakeBotApi) -> None:
    started = time.monotonic()
    updates = call(server, "getUpdates", data={"timeout": "1"}).json()["result"]

    assert updates == []
    assert 0.9 <= time.monotonic() - started < 5


def test_get_updates_wakes_up_when_a_user_writes(server: FakeBotApi) -> None:
    timer = threading.Timer(0.3, server.user_sends, args=("hello",))
    timer.start()
    started = time.monotonic()

    updates = call(server, "getUpdates", data={"timeout": "10"}).json()["result"]

    timer.join()
    assert [u["message"]["text"] for u in updates] == ["hello"]
    assert time.monotonic() - started < 5


def test_an_offset_confirms_earlier_updates(server: FakeBotApi) -> None:
    server.user_sends("one")
    server.user_sends("two")
    first = call(server, "getUpdates").json()["result"]

    rest = call(server, "getUpdates", data={"offset": str(first[0]["update_id"] + 1)}).json()

    assert [u["message"]["text"] for u in rest["result"]] == ["two"]


def test_wait_for_reply_reports_what_the_bot_did_instead(server: FakeBotApi) -> None:
    call(server, "getMe")

    with pytest.raises(NoReply, match="getMe"):
        server.wait_for_reply(timeout=0.2)


def test_tapping_a_label_no_bot_message_has_lists_the_buttons(server: FakeBotApi) -> None:
    server.user_sends("hi", user_id=5)
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    call(server, "sendMessage", json={"chat_id": 5, "text": "Menu", "reply_markup": markup})

    with pytest.raises(AssertionError, match=r"'Stop'[\s\S]*Go"):
        server.user_taps("Stop", user_id=5)


# -- a real PTB Application polling it ----------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Ping", callback_data="ping")]])
    await update.effective_message.reply_text(
        "<b>Menu</b>", parse_mode="HTML", reply_markup=keyboard
    )


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None and update.effective_message.text is not None
    await update.effective_message.reply_text(update.effective_message.text)


async def pong(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("Pong!")
    await query.edit_message_text("Pong")


async def report(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None
    await context.bot.send_document(
        update.effective_chat.id, document=b"a,b\r\n1,2\r\n", filename="report.csv"
    )


@pytest.fixture
async def polling_app(
    server: FakeBotApi,
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """Run a tiny echo bot that long-polls the fake server, the way `run_polling` does."""
    application = ApplicationBuilder().token(BOT_TOKEN).base_url(server.base_url).build()
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("report", report))
    application.add_handler(CallbackQueryHandler(pong))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    # run_polling() installs signal handlers and owns the event loop; inside a test the same
    # steps are taken by hand, in the same order, on the test's loop.
    updater = application.updater
    assert updater is not None
    async with application:
        await updater.start_polling(poll_interval=0, timeout=2)
        await application.start()
        yield application
        await updater.stop()
        await application.stop()


async def reply(server: FakeBotApi, **kwargs: Any) -> dict[str, Any]:
    # wait_for_reply blocks, and the bot runs on this very event loop: wait in a thread.
    return await asyncio.to_thread(server.wait_for_reply, **kwargs)


async def test_a_polling_application_echoes_over_http(
    server: FakeBotApi, polling_app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    server.user_sends("hello there")

    answer = await reply(server, timeout=10)

    assert answer["text"] == "hello there"
    assert answer["from"]["id"] == 123456789


async def test_a_command_then_a_tap_round_trip(
    server: FakeBotApi, polling_app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    server.user_sends("/start")
    menu = await reply(server, predicate=lambda m: bool(button_labels(m)), timeout=10)
    assert menu["text"] == "Menu"
    assert menu["entities"] == [{"type": "bold", "offset": 0, "length": 4}]

    server.user_taps("Ping")
    edited = await reply(server, timeout=10)

    assert edited["message_id"] == menu["message_id"]
    assert edited["text"] == "Pong"
    assert "edit_date" in edited
    assert await asyncio.to_thread(
        server.wait_until, lambda: not server.telegram.unanswered_callback_queries, 5
    )
    assert [answer.text for answer in server.telegram.callback_answers] == ["Pong!"]


async def test_a_document_upload_arrives_with_its_name_and_bytes(
    server: FakeBotApi, polling_app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    server.user_sends("/report")

    sent = await reply(server, timeout=10)

    assert sent["document"]["file_name"] == "report.csv"
    assert sent["document"]["file_size"] == len(b"a,b\r\n1,2\r\n")
    upload = server.telegram.calls_to("sendDocument")[-1].file
    assert upload is not None
    assert (upload.name, upload.content) == ("report.csv", b"a,b\r\n1,2\r\n")


async def test_a_bad_request_over_http_raises_bad_request_in_ptb(server: FakeBotApi) -> None:
    server.user_sends("hi", user_id=5)
    application = ApplicationBuilder().token(BOT_TOKEN).base_url(server.base_url).build()

    async with application:
        with pytest.raises(BadRequest, match="Message text is empty"):
            await application.bot.send_message(5, "   ")


async def test_ptb_sees_a_wrong_token_as_invalid(server: FakeBotApi) -> None:
    application = ApplicationBuilder().token("123456789:wrong").base_url(server.base_url).build()

    with pytest.raises(InvalidToken):
        await application.initialize()
    await application.shutdown()
