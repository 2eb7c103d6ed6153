"""LocalTelegram refuses what Telegram refuses, so PTB raises BadRequest as in production."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
)
from telegram.error import BadRequest
from telegram.ext import ApplicationBuilder

from bot.telegram.local_transport import (
    NOT_MODIFIED,
    QUERY_EXPIRED,
    LocalTelegram,
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


async def refused(transport: LocalTelegram, coroutine: Any) -> str:
    """Await a Bot call that must fail with BadRequest; return the recorded description."""
    with pytest.raises(BadRequest) as raised:
        await coroutine
    description = transport.calls[-1].error
    assert description is not None
    # PTB drops the "Bad Request: " prefix and capitalises what is left.
    assert raised.value.message == description.removeprefix("Bad Request: ").capitalize()
    return description


def button(text: str, **action: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, **action)]])  # type: ignore[arg-type]


# -- message text -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n ", "<b> </b>"])
async def test_empty_text_is_refused(bot: Bot, transport: LocalTelegram, text: str) -> None:
    parse_mode = "HTML" if "<" in text else None
    description = await refused(transport, bot.send_message(CHAT_ID, text, parse_mode=parse_mode))

    assert description == "Bad Request: message text is empty"


async def test_text_over_4096_visible_characters_is_refused(
    bot: Bot, transport: LocalTelegram
) -> None:
    description = await refused(transport, bot.send_message(CHAT_ID, "x" * 4097))

    assert description == "Bad Request: message is too long"


async def test_markup_does_not_count_towards_the_length(bot: Bot) -> None:
    # 4096 visible characters, many more once tags and entities are counted.
    text = "<b>" + "&lt;" * 4000 + "</b>" + "y" * 96

    sent = await bot.send_message(CHAT_ID, text, parse_mode="HTML")

    assert sent.text is not None and len(sent.text) == 4096


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Rating <br> done", 'Unsupported start tag "br" at byte offset 7'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        (
            "<b><i>x</b></i>",
            'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"',
        ),
        ("R&D team", 'Unescaped "&" at byte offset 1'),
    ],
)
async def test_invalid_html_is_refused_with_the_reason(
    bot: Bot, transport: LocalTelegram, text: str, reason: str
) -> None:
    description = await refused(transport, bot.send_message(CHAT_ID, text, parse_mode="HTML"))

    assert description.startswith(f"Bad Request: can't parse entities: {reason}")


async def test_a_bare_ampersand_passes_when_strict_html_is_off(bot: Bot) -> None:
    transport = LocalTelegram(strict_html=False)
    transport.add_chat(private_chat_json(USER))
    application = (
        ApplicationBuilder()
        .token(BOT_TOKEN)
        .request(transport)
        .get_updates_request(transport)
        .build()
    )

    async with application:
        sent = await application.bot.send_message(CHAT_ID, "R&D", parse_mode="HTML")

    assert sent.text == "R&D"


async def test_an_unknown_parse_mode_is_refused(bot: Bot, transport: LocalTelegram) -> None:
    description = await refused(transport, bot.send_message(CHAT_ID, "x", parse_mode="BBCode"))

    assert description == "Bad Request: unsupported parse_mode"


async def test_an_unknown_chat_is_refused(bot: Bot, transport: LocalTelegram) -> None:
    description = await refused(transport, bot.send_message(999, "hello?"))

    assert description == "Bad Request: chat not found"


# -- inline keyboards ---------------------------------------------------------------------------


@pytest.mark.parametrize("data", ["x" * 65, "é" * 33, ""])
async def test_callback_data_must_be_1_to_64_bytes(
    bot: Bot, transport: LocalTelegram, data: str
) -> None:
    markup = button("Go", callback_data=data)

    description = await refused(transport, bot.send_message(CHAT_ID, "Menu", reply_markup=markup))

    assert description == "Bad Request: BUTTON_DATA_INVALID"


async def test_64_bytes_of_callback_data_are_fine(bot: Bot) -> None:
    await bot.send_message(CHAT_ID, "Menu", reply_markup=button("Go", callback_data="x" * 64))


async def test_a_button_that_does_nothing_is_refused(bot: Bot, transport: LocalTelegram) -> None:
    markup = {"inline_keyboard": [[{"text": "Just text"}]]}

    description = await refused(
        transport,
        bot.send_message(CHAT_ID, "Menu", reply_markup=markup),  # type: ignore[arg-type]
    )

    assert description.startswith("Bad Request: can't parse inline keyboard button:")


async def test_a_button_without_text_is_refused(bot: Bot, transport: LocalTelegram) -> None:
    markup = button(" ", callback_data="x")

    description = await refused(transport, bot.send_message(CHAT_ID, "Menu", reply_markup=markup))

    assert description == "Bad Request: BUTTON_TEXT_INVALID"


async def test_a_url_button_needs_a_url(bot: Bot, transport: LocalTelegram) -> None:
    markup = button("Open", url="not a url")

    description = await refused(transport, bot.send_message(CHAT_ID, "Menu", reply_markup=markup))

    assert description == "Bad Request: BUTTON_URL_INVALID"


# -- edits and deletes --------------------------------------------------------------------------


async def test_an_edit_that_changes_nothing_is_refused(bot: Bot, transport: LocalTelegram) -> None:
    markup = button("Go", callback_data="go")
    sent = await bot.send_message(CHAT_ID, "<b>Menu</b>", parse_mode="HTML", reply_markup=markup)

    # Different markup, same result: Telegram compares what the message would show.
    same = bot.edit_message_text(
        "<strong>Menu</strong>", CHAT_ID, sent.message_id, parse_mode="HTML", reply_markup=markup
    )

    assert await refused(transport, same) == NOT_MODIFIED


async def test_a_markup_edit_that_changes_nothing_is_refused(
    bot: Bot, transport: LocalTelegram
) -> None:
    markup = button("Go", callback_data="go")
    sent = await bot.send_message(CHAT_ID, "Menu", reply_markup=markup)

    same = bot.edit_message_reply_markup(CHAT_ID, sent.message_id, reply_markup=markup)

    assert await refused(transport, same) == NOT_MODIFIED


async def test_editing_only_the_keyboard_away_is_a_change(bot: Bot) -> None:
    sent = await bot.send_message(CHAT_ID, "Menu", reply_markup=button("Go", callback_data="go"))

    edited = await bot.edit_message_text("Menu", CHAT_ID, sent.message_id)

    assert not isinstance(edited, bool) and edited.reply_markup is None


async def test_editing_an_unknown_message_is_refused(bot: Bot, transport: LocalTelegram) -> None:
    for edit in (
        bot.edit_message_text("new", CHAT_ID, 999),
        bot.edit_message_reply_markup(CHAT_ID, 999, reply_markup=button("A", callback_data="a")),
    ):
        assert await refused(transport, edit) == "Bad Request: message to edit not found"


async def test_deleting_an_unknown_message_is_refused(bot: Bot, transport: LocalTelegram) -> None:
    sent = await bot.send_message(CHAT_ID, "bye")
    await bot.delete_message(CHAT_ID, sent.message_id)

    gone = await refused(transport, bot.delete_message(CHAT_ID, sent.message_id))

    assert gone == "Bad Request: message to delete not found"


async def test_a_deleted_message_cannot_be_edited(bot: Bot, transport: LocalTelegram) -> None:
    sent = await bot.send_message(CHAT_ID, "bye")
    await bot.delete_message(CHAT_ID, sent.message_id)

    edit = bot.edit_message_text("hello again", CHAT_ID, sent.message_id)

    assert await refused(transport, edit) == "Bad Request: message to edit not found"


async def test_the_users_own_message_cannot_be_edited(bot: Bot, transport: LocalTelegram) -> None:
    update = transport.incoming_message(private_chat_json(USER), USER, "hello")

    edit = bot.edit_message_text("goodbye", CHAT_ID, update["message"]["message_id"])

    assert await refused(transport, edit) == "Bad Request: message can't be edited"


async def test_a_document_has_no_text_to_edit(bot: Bot, transport: LocalTelegram) -> None:
    sent = await bot.send_document(CHAT_ID, b"data", filename="a.csv")

    edit = bot.edit_message_text("text", CHAT_ID, sent.message_id)

    assert await refused(transport, edit) == "Bad Request: there is no text in the message to edit"


# -- callback and inline queries ----------------------------------------------------------------


async def callback_query_id(bot: Bot, transport: LocalTelegram) -> str:
    sent = await bot.send_message(CHAT_ID, "pick", reply_markup=button("A", callback_data="a"))
    update = transport.incoming_callback_query(CHAT_ID, sent.message_id, "a", USER)
    return str(update["callback_query"]["id"])


async def test_a_callback_answer_over_200_characters_is_refused(
    bot: Bot, transport: LocalTelegram
) -> None:
    query_id = await callback_query_id(bot, transport)

    description = await refused(transport, bot.answer_callback_query(query_id, "x" * 201))

    assert description == "Bad Request: MESSAGE_TOO_LONG"
    assert transport.unanswered_callback_queries == [query_id]


async def test_a_callback_query_is_answered_once(bot: Bot, transport: LocalTelegram) -> None:
    query_id = await callback_query_id(bot, transport)
    await bot.answer_callback_query(query_id)

    assert await refused(transport, bot.answer_callback_query(query_id)) == QUERY_EXPIRED


async def test_an_unknown_callback_query_is_refused(bot: Bot, transport: LocalTelegram) -> None:
    assert await refused(transport, bot.answer_callback_query("12345")) == QUERY_EXPIRED


def article(result_id: str) -> InlineQueryResultArticle:
    return InlineQueryResultArticle(result_id, "Title", InputTextMessageContent("text"))


def inline_query_id(transport: LocalTelegram) -> str:
    return str(transport.incoming_inline_query(USER, "staff")["inline_query"]["id"])


async def test_more_than_50_inline_results_are_refused(bot: Bot, transport: LocalTelegram) -> None:
    results = [article(f"r{n}") for n in range(51)]

    description = await refused(
        transport, bot.answer_inline_query(inline_query_id(transport), results)
    )

    assert description == "Bad Request: RESULTS_TOO_MUCH"


@pytest.mark.parametrize(
    ("ids", "reason"), [(["x" * 65], "RESULT_ID_INVALID"), (["a", "a"], "RESULT_ID_DUPLICATE")]
)
async def test_inline_result_ids_must_be_short_and_unique(
    bot: Bot, transport: LocalTelegram, ids: list[str], reason: str
) -> None:
    results = [article(result_id) for result_id in ids]

    description = await refused(
        transport, bot.answer_inline_query(inline_query_id(transport), results)
    )

    assert description == f"Bad Request: {reason}"


async def test_inline_results_with_broken_html_are_refused(
    bot: Bot, transport: LocalTelegram
) -> None:
    result = InlineQueryResultArticle(
        "a", "Title", InputTextMessageContent("<b>open", parse_mode="HTML")
    )

    description = await refused(
        transport, bot.answer_inline_query(inline_query_id(transport), [result])
    )

    assert description.startswith("Bad Request: can't parse entities:")


async def test_an_inline_query_is_answered_once(bot: Bot, transport: LocalTelegram) -> None:
    query_id = inline_query_id(transport)
    await bot.answer_inline_query(query_id, [article("a")])

    assert await refused(transport, bot.answer_inline_query(query_id, [])) == QUERY_EXPIRED


# -- commands and chat actions ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "description", "reason"),
    [
        ("Start", "Open the menu", "BOT_COMMAND_INVALID"),
        ("self-evaluation", "Rate the council", "BOT_COMMAND_INVALID"),
        ("x" * 33, "Too long a name", "BOT_COMMAND_INVALID"),
        ("start", " ", "BOT_COMMAND_DESCRIPTION_INVALID"),
        ("start", "d" * 257, "BOT_COMMAND_DESCRIPTION_INVALID"),
    ],
)
async def test_bad_commands_are_refused(
    bot: Bot, transport: LocalTelegram, command: str, description: str, reason: str
) -> None:
    refusal = await refused(transport, bot.set_my_commands([BotCommand(command, description)]))

    assert refusal == f"Bad Request: {reason}"


async def test_an_unknown_chat_action_is_refused(bot: Bot, transport: LocalTelegram) -> None:
    description = await refused(transport, bot.send_chat_action(CHAT_ID, "dancing"))

    assert description == "Bad Request: wrong parameter action in request"


async def test_refusals_are_recorded_with_their_parameters(
    bot: Bot, transport: LocalTelegram
) -> None:
    with pytest.raises(BadRequest):
        await bot.send_message(CHAT_ID, "")

    assert [(call.method, call.params["text"]) for call in transport.refusals] == [
        ("sendMessage", "")
    ]
