"""LocalChat: talking to a real PTB Application the way a person does, through LocalTelegram."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.telegram.local_chat import LocalChat
from bot.telegram.local_transport import LocalTelegram

BOT_TOKEN = "123456:offline-chat-test"
AnyApplication = Application[Any, Any, Any, Any, Any, Any]

MENU = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("1 — Planning", callback_data="stage:1"),
            InlineKeyboardButton("3 — Implementation", callback_data="stage:3"),
        ],
        [InlineKeyboardButton("Website", url="https://example.org")],
    ]
)
QUESTION = InlineKeyboardMarkup([[InlineKeyboardButton("Skip", callback_data="skip")]])


# -- a tiny bot ---------------------------------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None and update.effective_user is not None
    name = html.escape(update.effective_user.first_name)
    await update.effective_message.reply_html(f"<b>Welcome</b>, {name}", reply_markup=MENU)


async def choose_stage(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    stage = query.data.removeprefix("stage:")
    await query.answer(f"Stage {stage} saved")
    back = InlineKeyboardMarkup([[InlineKeyboardButton("Back", callback_data="back")]])
    await query.edit_message_text(
        f"Stage <b>{stage}</b> chosen", parse_mode="HTML", reply_markup=back
    )


async def back(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    await query.edit_message_text("<b>Welcome</b> back", parse_mode="HTML", reply_markup=MENU)


async def skip(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    await query.answer()
    await context.bot.send_message(query.message.chat.id, "Next question", reply_markup=QUESTION)


async def expired(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("That button has expired", show_alert=True)


async def silent(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Forget to answer the callback query (a bug the strict chat catches)."""


async def questions(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text("First question", reply_markup=QUESTION)


async def export(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_document(
        b"a,b\r\n", filename="ratings.csv", caption="Export"
    )


async def unescaped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None and update.effective_message.text is not None
    # The bug LocalTelegram exists to catch: user text interpolated into HTML unescaped.
    await update.effective_message.reply_html(f"You said: {update.effective_message.text}")


async def crash(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    raise RuntimeError("the flow engine fell over")


async def search(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.inline_query
    assert query is not None
    results = [
        InlineQueryResultArticle(
            f"r{n}", f"{query.query} {n}", InputTextMessageContent(html.escape(query.query))
        )
        for n in (1, 2)
    ]
    await query.answer(results)


def build_application(transport: LocalTelegram) -> AnyApplication:
    application = (
        ApplicationBuilder()
        .token(BOT_TOKEN)
        .request(transport)
        .get_updates_request(transport)
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("questions", questions))
    application.add_handler(CommandHandler("export", export))
    application.add_handler(CommandHandler("crash", crash))
    application.add_handler(CallbackQueryHandler(choose_stage, pattern=r"^stage:\d$"))
    application.add_handler(CallbackQueryHandler(back, pattern="^back$"))
    application.add_handler(CallbackQueryHandler(skip, pattern="^skip$"))
    application.add_handler(CallbackQueryHandler(silent, pattern="^silent$"))
    application.add_handler(CallbackQueryHandler(expired))
    application.add_handler(InlineQueryHandler(search))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, unescaped))
    return application


@pytest.fixture
def transport() -> LocalTelegram:
    return LocalTelegram()


@pytest.fixture
async def application(transport: LocalTelegram) -> AsyncIterator[AnyApplication]:
    application = build_application(transport)
    async with application:  # initialize() is all process_update needs; start() is not
        yield application


@pytest.fixture
def chat(application: AnyApplication, transport: LocalTelegram) -> LocalChat:
    """Return a chat with the tiny bot above (here, not conftest's chat with the product)."""
    return LocalChat(application, transport, user_id=42, first_name="Sam <admin>")


# -- sending ------------------------------------------------------------------------------------


async def test_a_command_gets_a_reply_with_buttons(chat: LocalChat) -> None:
    replies = await chat.send("/start")

    assert len(replies) == 1
    assert chat.last == replies[0]
    assert chat.last.text == "Welcome, Sam <admin>"
    assert chat.last.html == "<b>Welcome</b>, Sam &lt;admin&gt;"
    assert chat.last.buttons == [["1 — Planning", "3 — Implementation"], ["Website"]]
    assert chat.last.labels == ["1 — Planning", "3 — Implementation", "Website"]
    assert chat.last.callback_data("3 — Implementation") == "stage:3"


async def test_the_calls_of_a_turn_are_recorded(chat: LocalChat, transport: LocalTelegram) -> None:
    await chat.send("/start")

    assert [call.method for call in chat.calls] == ["sendMessage"]
    assert chat.calls[0].params["chat_id"] == 42
    assert transport.calls[0].method == "getMe"  # from application.initialize()


async def test_a_document_reply_carries_its_name_and_bytes(chat: LocalChat) -> None:
    await chat.send("/export")

    assert chat.last.document is not None
    assert (chat.last.document.name, chat.last.document.content) == ("ratings.csv", b"a,b\r\n")
    assert chat.last.text == "Export"


# -- tapping ------------------------------------------------------------------------------------


async def test_tapping_a_label_edits_the_message_and_shows_a_toast(chat: LocalChat) -> None:
    menu = (await chat.send("/start"))[0]

    replies = await chat.tap("3 — Implementation")

    assert [(r.message_id, r.text, r.edited) for r in replies] == [
        (menu.message_id, "Stage 3 chosen", True)
    ]
    assert chat.last.labels == ["Back"]
    assert chat.callback_answered
    assert chat.callback_answers == ["Stage 3 saved"]


async def test_an_unknown_label_lists_the_buttons_there_are(chat: LocalChat) -> None:
    await chat.send("/start")

    with pytest.raises(AssertionError) as raised:
        await chat.tap("2 — Delivery")

    message = str(raised.value)
    assert "'2 — Delivery'" in message
    assert "[1 — Planning] | [3 — Implementation]" in message
    assert "[Website]" in message


async def test_a_url_button_cannot_be_tapped(chat: LocalChat) -> None:
    await chat.send("/start")

    with pytest.raises(AssertionError, match="url button"):
        await chat.tap("Website")


async def test_tapping_without_any_keyboard_says_so(chat: LocalChat) -> None:
    with pytest.raises(AssertionError, match="No bot message with an inline keyboard"):
        await chat.tap("Skip")


async def test_the_newest_keyboard_is_tapped_and_older_ones_stay_tappable(
    chat: LocalChat,
) -> None:
    first = (await chat.send("/questions"))[0]
    await chat.tap("Skip")
    second = chat.last
    assert second.message_id > first.message_id

    await chat.tap("Skip", message=first)  # a stale button on the older message

    assert chat.last.text == "Next question"
    assert len([m for m in chat.history if m.text == "Next question"]) == 2


async def test_a_button_edited_away_cannot_be_tapped_on_the_old_snapshot(chat: LocalChat) -> None:
    menu = (await chat.send("/start"))[0]
    await chat.tap("3 — Implementation")

    with pytest.raises(AssertionError, match="edited since"):
        await chat.tap("1 — Planning", message=menu)


async def test_forged_callback_data_reaches_the_bot(chat: LocalChat) -> None:
    await chat.send("/start")

    replies = await chat.tap_data("forged:data")

    assert replies == []
    assert chat.callback_answers == ["That button has expired"]
    assert chat.transport.callback_answers[-1].show_alert


async def test_history_shows_each_bot_message_as_it_is_now(chat: LocalChat) -> None:
    await chat.send("/start")
    await chat.tap("3 — Implementation")
    await chat.tap("Back")

    assert [m.text for m in chat.history] == ["Welcome back"]
    assert chat.history[0].labels == chat.last.labels


# -- groups and inline mode ---------------------------------------------------------------------


async def test_a_group_chat_has_a_negative_id_and_a_title(
    application: AnyApplication, transport: LocalTelegram
) -> None:
    alice = LocalChat(application, transport, user_id=1, first_name="Alice", chat_type="group")
    bob = LocalChat(
        application,
        transport,
        user_id=2,
        first_name="Bob",
        chat_type="group",
        chat_id=alice.chat_id,
    )

    await alice.send("/start@workforce_guide_bot")
    await bob.tap("1 — Planning")

    assert alice.chat_id < 0 and alice.chat["title"]
    assert alice.last.text == "Stage 1 chosen"  # both see the same group
    assert transport.calls_to("sendMessage")[0].params["chat_id"] == alice.chat_id


async def test_replies_belong_to_their_own_chat(
    application: AnyApplication, transport: LocalTelegram, chat: LocalChat
) -> None:
    other = LocalChat(application, transport, user_id=7, first_name="Kim")
    await chat.send("/start")

    await other.send("/questions")

    assert chat.last.text.startswith("Welcome")
    assert [r.text for r in other.replies] == ["First question"]


async def test_an_inline_query_returns_the_bots_results(chat: LocalChat) -> None:
    results = await chat.inline("safe staffing")

    assert [r["title"] for r in results] == ["safe staffing 1", "safe staffing 2"]


# -- strict and lenient chats -------------------------------------------------------------------


async def test_a_strict_chat_fails_on_a_refused_call(chat: LocalChat) -> None:
    with pytest.raises(
        AssertionError, match="Telegram refused sendMessage: Bad Request: can't parse entities"
    ):
        await chat.send("1 < 2")


async def test_a_strict_chat_fails_when_a_handler_raises(chat: LocalChat) -> None:
    with pytest.raises(AssertionError, match=r"RuntimeError: the flow engine fell over"):
        await chat.send("/crash")


async def test_a_strict_chat_fails_on_an_unanswered_callback(chat: LocalChat) -> None:
    await chat.send("/start")

    with pytest.raises(AssertionError, match="did not answer the callback query"):
        await chat.tap_data("silent")


async def test_a_lenient_chat_records_refusals_and_carries_on(
    application: AnyApplication, transport: LocalTelegram
) -> None:
    chat = LocalChat(application, transport, user_id=9, strict=False)

    replies = await chat.send("1 < 2")

    assert replies == []
    assert [call.method for call in chat.refusals] == ["sendMessage"]
    await chat.send("/start")
    await chat.tap_data("silent")
    assert not chat.callback_answered
    assert len(transport.unanswered_callback_queries) == 1


# -- set-up mistakes ----------------------------------------------------------------------------


async def test_the_application_must_use_the_transport(application: AnyApplication) -> None:
    with pytest.raises(ValueError, match="does not talk to this transport"):
        LocalChat(application, LocalTelegram())


async def test_the_application_must_be_initialized(transport: LocalTelegram) -> None:
    chat = LocalChat(build_application(transport), transport)

    with pytest.raises(RuntimeError, match="initialize"):
        await chat.send("/start")
