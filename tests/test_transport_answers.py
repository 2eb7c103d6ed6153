"""LocalTelegram answers Bot API calls like Telegram and records every one of them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    MenuButtonCommands,
    Message,
)
from telegram.constants import ChatAction
from telegram.error import EndPointNotFound
from telegram.ext import ApplicationBuilder

from bot.telegram.local_transport import (
    LocalTelegram,
    group_chat_json,
    private_chat_json,
    user_json,
)

BOT_TOKEN = "123456:offline-transport-test"
USER = user_json(42, "Sam")
CHAT_ID = 42


@pytest.fixture
def transport() -> LocalTelegram:
    transport = LocalTelegram()
    transport.add_chat(private_chat_json(USER))
    return transport


@pytest.fixture
async def bot(transport: LocalTelegram) -> AsyncIterator[Bot]:
    """Return a bare telegram.Bot on the transport (here, not conftest's running product)."""
    application = (
        ApplicationBuilder()
        .token(BOT_TOKEN)
        .request(transport)
        .get_updates_request(transport)
        .build()
    )
    async with application:
        yield application.bot


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=label)] for label in labels]
    )


async def test_initialize_gets_the_bot_user_from_the_constructor() -> None:
    transport = LocalTelegram(bot_id=555, first_name="Guide", username="guide_test_bot")
    application = (
        ApplicationBuilder()
        .token(BOT_TOKEN)
        .request(transport)
        .get_updates_request(transport)
        .build()
    )

    async with application:
        assert (application.bot.id, application.bot.first_name) == (555, "Guide")
        assert application.bot.username == "guide_test_bot"

    assert [call.method for call in transport.calls] == ["getMe"]


async def test_send_message_returns_a_telegram_shaped_message(
    bot: Bot, transport: LocalTelegram
) -> None:
    sent = await bot.send_message(
        CHAT_ID, "<b>Rate</b> 1 &lt; 2", parse_mode="HTML", reply_markup=keyboard("Yes", "No")
    )

    assert isinstance(sent, Message)
    assert sent.chat.id == CHAT_ID and sent.chat.type == "private"
    assert sent.from_user is not None and sent.from_user.id == bot.id
    assert sent.text == "Rate 1 < 2"
    assert sent.text_html == "<b>Rate</b> 1 &lt; 2"
    assert sent.reply_markup == keyboard("Yes", "No")
    call = transport.calls[-1]
    assert call.method == "sendMessage"
    assert call.params["text"] == "<b>Rate</b> 1 &lt; 2"
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "Yes"
    assert call.ok and call.result["message_id"] == sent.message_id


async def test_message_ids_count_up_per_chat(bot: Bot, transport: LocalTelegram) -> None:
    transport.add_chat(group_chat_json(-4001, "Team"))

    first = await bot.send_message(CHAT_ID, "one")
    second = await bot.send_message(CHAT_ID, "two")
    elsewhere = await bot.send_message(-4001, "three")

    assert second.message_id == first.message_id + 1
    assert elsewhere.message_id == 1
    assert elsewhere.chat.type == "group" and elsewhere.chat.title == "Team"


async def test_edit_message_text_changes_the_right_message(
    bot: Bot, transport: LocalTelegram
) -> None:
    first = await bot.send_message(CHAT_ID, "first", reply_markup=keyboard("A"))
    await bot.send_message(CHAT_ID, "second")

    edited = await bot.edit_message_text("first, edited", CHAT_ID, first.message_id)

    assert isinstance(edited, Message)
    assert edited.message_id == first.message_id
    assert edited.text == "first, edited"
    assert edited.edit_date is not None
    stored = transport.message(CHAT_ID, first.message_id)
    assert stored is not None and stored.text == "first, edited"
    # Like Telegram: editing the text without passing reply_markup removes the keyboard.
    assert stored.reply_markup is None
    assert [m.text for m in transport.outbox] == ["first", "second", "first, edited"]


async def test_edit_message_reply_markup_swaps_the_keyboard(
    bot: Bot, transport: LocalTelegram
) -> None:
    sent = await bot.send_message(CHAT_ID, "pick", reply_markup=keyboard("A"))

    edited = await bot.edit_message_reply_markup(
        CHAT_ID, sent.message_id, reply_markup=keyboard("B")
    )

    assert isinstance(edited, Message)
    assert edited.text == "pick"
    assert edited.reply_markup == keyboard("B")


async def test_delete_message_removes_it(bot: Bot, transport: LocalTelegram) -> None:
    sent = await bot.send_message(CHAT_ID, "bye")

    assert await bot.delete_message(CHAT_ID, sent.message_id) is True

    assert transport.message(CHAT_ID, sent.message_id) is None


async def test_answer_callback_query_is_recorded(bot: Bot, transport: LocalTelegram) -> None:
    sent = await bot.send_message(CHAT_ID, "pick", reply_markup=keyboard("A"))
    update = transport.incoming_callback_query(CHAT_ID, sent.message_id, "A", USER)
    query_id = update["callback_query"]["id"]
    assert transport.unanswered_callback_queries == [query_id]

    assert await bot.answer_callback_query(query_id, "Saved", show_alert=True) is True

    assert transport.unanswered_callback_queries == []
    assert transport.is_answered(query_id)
    answer = transport.callback_answers[-1]
    assert (answer.query_id, answer.text, answer.show_alert) == (query_id, "Saved", True)


async def test_send_document_records_the_file_name_and_bytes(
    bot: Bot, transport: LocalTelegram
) -> None:
    content = b"council,score\r\nNorthshire,3\r\n"

    sent = await bot.send_document(
        CHAT_ID, content, filename="ratings.csv", caption="Your <b>export</b>", parse_mode="HTML"
    )

    assert sent.document is not None
    assert sent.document.file_name == "ratings.csv"
    assert sent.document.mime_type == "text/csv"
    assert sent.document.file_size == len(content)
    assert sent.caption == "Your export"
    upload = transport.calls[-1].file
    assert upload is not None and (upload.name, upload.content) == ("ratings.csv", content)
    assert transport.outbox[-1].document == upload


async def test_a_sent_file_can_be_sent_again_by_its_file_id(bot: Bot) -> None:
    first = await bot.send_document(CHAT_ID, b"data", filename="a.txt")
    assert first.document is not None

    again = await bot.send_document(CHAT_ID, first.document.file_id)

    assert again.document is not None and again.document.file_name == "a.txt"


async def test_send_photo_answers_with_photo_sizes(bot: Bot, transport: LocalTelegram) -> None:
    sent = await bot.send_photo(CHAT_ID, b"\x89PNG fake", filename="chart.png", caption="Chart")

    assert sent.photo and sent.photo[-1].file_size == len(b"\x89PNG fake")
    assert sent.caption == "Chart"
    assert transport.outbox[-1].photo is not None


async def test_chat_actions_and_menu_button_are_accepted(
    bot: Bot, transport: LocalTelegram
) -> None:
    assert await bot.send_chat_action(CHAT_ID, ChatAction.TYPING) is True
    assert await bot.set_chat_menu_button(menu_button=MenuButtonCommands()) is True

    assert transport.menu_buttons[None] == {"type": "commands"}
    assert isinstance(await bot.get_chat_menu_button(), MenuButtonCommands)


async def test_commands_are_kept_per_scope(bot: Bot, transport: LocalTelegram) -> None:
    commands = [BotCommand("start", "Open the menu"), BotCommand("search", "Find a resource")]
    scope = BotCommandScopeAllPrivateChats()

    assert await bot.set_my_commands(commands, scope=scope) is True

    assert await bot.get_my_commands(scope=scope) == tuple(commands)
    assert await bot.get_my_commands() == ()
    assert transport.commands(scope={"type": "all_private_chats"})[0]["command"] == "start"
    assert await bot.delete_my_commands(scope=scope) is True
    assert await bot.get_my_commands(scope=scope) == ()


async def test_answer_inline_query_keeps_the_results(bot: Bot, transport: LocalTelegram) -> None:
    update = transport.incoming_inline_query(USER, "safe staffing")
    query_id = update["inline_query"]["id"]
    result = InlineQueryResultArticle(
        "safe-staffing", "Safe staffing", InputTextMessageContent("<b>Safe</b>", parse_mode="HTML")
    )

    assert await bot.answer_inline_query(query_id, [result]) is True

    assert [r["id"] for r in transport.inline_answers[query_id]] == ["safe-staffing"]


async def test_lifecycle_calls_answer_true_and_get_updates_is_empty(bot: Bot) -> None:
    assert await bot.delete_webhook() is True
    assert await bot.get_updates(timeout=0) == ()
    assert await bot.close() is True
    assert await bot.log_out() is True


async def test_an_unknown_method_is_not_found(bot: Bot, transport: LocalTelegram) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": CHAT_ID})

    call = transport.calls[-1]
    assert (call.method, call.error) == ("sendTelepathy", "Not Found: method not found")


def test_dispatch_answers_with_status_and_body_for_the_http_server() -> None:
    transport = LocalTelegram()

    assert transport.dispatch("getme", {})[0] == 200  # method names are case-insensitive
    assert transport.dispatch("nope", {}) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
    )


def test_incoming_messages_mark_a_leading_command() -> None:
    transport = LocalTelegram()
    chat = private_chat_json(USER)

    command = transport.incoming_message(chat, USER, "/start@workforce_guide_bot now")
    plain = transport.incoming_message(chat, USER, "no /command here")

    assert command["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 26}]
    assert "entities" not in plain["message"]
    assert plain["update_id"] == command["update_id"] + 1
    assert plain["message"]["message_id"] == command["message"]["message_id"] + 1
