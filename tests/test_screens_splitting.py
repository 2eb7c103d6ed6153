"""Long messages: split under Telegram's 4096 characters, nothing lost, buttons under the end."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.telegram.local_chat import LocalChat
from bot.telegram.screens import (
    BUTTON_LABEL_LIMIT,
    LIMIT,
    Button,
    Screen,
    edit,
    send_to_chat,
    shorten,
    split_html,
)
from tests.conftest import RunningBot


def words_of(text: str) -> list[str]:
    return text.split()


def test_telegram_limit_is_4096() -> None:
    assert LIMIT == 4096


def test_a_short_message_is_sent_as_it_is() -> None:
    text = "<b>Your ratings</b>\n\n1 Commitment\n  \n"

    assert split_html(text) == [text]
    assert split_html("x" * LIMIT) == ["x" * LIMIT]


def test_a_long_message_is_cut_between_lines_never_inside_one() -> None:
    lines = [f"<b>Statement {n}</b>: " + "word " * 30 for n in range(60)]
    text = "\n".join(line.strip() for line in lines)
    assert len(text) > LIMIT

    parts = split_html(text)

    assert len(parts) >= 2
    assert all(len(part) <= LIMIT for part in parts)
    kept = [line for part in parts for line in part.split("\n")]
    assert kept == [line.strip() for line in lines]  # every line whole, in order


def test_parts_are_filled_before_a_new_one_starts() -> None:
    line = "a" * 1000
    text = "\n".join([line] * 5)  # 5004 characters

    parts = split_html(text)

    assert parts == ["\n".join([line] * 4), line]


def test_a_line_longer_than_the_limit_is_cut_at_a_space() -> None:
    text = "intro\n" + ("evidence " * 1000).strip() + "\nthe end"

    parts = split_html(text)

    assert all(len(part) <= LIMIT for part in parts)
    assert parts[0] == "intro"  # what came before the long line is sent first
    assert parts[-1].endswith("the end")
    assert all(not part.startswith(" ") and not part.endswith(" ") for part in parts[1:-1])
    assert words_of(" ".join(parts)) == words_of(text)


def test_a_line_without_spaces_is_cut_at_the_limit() -> None:
    text = "x" * (LIMIT * 2 + 10)

    assert split_html(text) == ["x" * LIMIT, "x" * LIMIT, "x" * 10]


def test_a_space_right_at_the_start_does_not_make_an_empty_part() -> None:
    text = " " + "y" * (LIMIT + 5)

    parts = split_html(text)

    assert all(part.strip() for part in parts)
    assert "".join(parts).replace(" ", "") == "y" * (LIMIT + 5)


def test_blank_parts_are_never_sent() -> None:
    text = "a" * 3000 + "\n\n\n\n" + "b" * 3000 + "\n   \n"

    parts = split_html(text)

    assert [p.strip() for p in parts] == ["a" * 3000, "b" * 3000]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.text(alphabet="ab <>/\u00e9\U0001f600", min_size=0, max_size=300),
        min_size=1,
        max_size=40,
    ),
    st.integers(min_value=20, max_value=400),
)
def test_no_part_exceeds_the_limit_and_no_word_is_lost(lines: list[str], limit: int) -> None:
    text = "\n".join(lines)

    parts = split_html(text, limit)

    assert all(len(part) <= limit for part in parts)
    if len(text) > limit:
        assert all(part.strip() for part in parts)
    # Cuts fall between words or inside a word too long for a part; no character goes missing.
    assert re.sub(r"\s", "", "".join(parts)) == re.sub(r"\s", "", text)


def test_shorten_keeps_short_text_and_ends_cut_text_with_an_ellipsis() -> None:
    assert shorten("Leeds", 5) == "Leeds"
    assert shorten("Leeds City Council", 10) == "Leeds Cit…"
    assert shorten("Leeds City Council", 7) == "Leeds…"  # no space before the ellipsis
    assert len(shorten("x" * 100, 60)) == 60


async def test_a_screen_over_4096_characters_arrives_in_parts_with_buttons_under_the_last(
    bot: RunningBot,
) -> None:
    chat = bot.chat()
    notes = [f"<b>Statement {n}</b>\n" + ("Evidence note. " * 40).strip() for n in range(1, 15)]
    screen = Screen("\n\n".join(notes), ((Button("Main menu", "m:main"),),))
    assert len(screen.text) > LIMIT

    last = await send_to_chat(bot.application.bot, chat.chat_id, screen)

    history = chat.history
    assert len(history) >= 2
    assert bot.transport.refusals == []  # Telegram took every part
    assert all(len(message.text) <= LIMIT for message in history)
    assert [m.buttons for m in history[:-1]] == [[]] * (len(history) - 1)
    assert history[-1].buttons == [["Main menu"]]
    assert last.message_id == history[-1].message_id
    assert words_of(" ".join(m.text for m in history)) == words_of(
        re.sub(r"</?b>", "", screen.text)
    )


async def test_a_long_screen_from_the_bot_is_never_refused(chat: LocalChat) -> None:
    # A note as long as the bot takes, on a question whose answer is shown in the chat.
    await chat.send("/start")
    await chat.tap("Self-evaluation")
    await chat.send("Leeds City Council")
    await chat.tap(chat.last.labels[0])
    await chat.send("Evidence " * 55)

    assert "Statement 2 of 7" in chat.last.text
    assert all(len(m.text) <= LIMIT for m in chat.history)


async def test_editing_a_message_ignores_only_the_not_modified_refusal(
    bot: RunningBot, chat: LocalChat
) -> None:
    screen = Screen("Your answer: <b>3</b>", ((Button("Main menu", "m:main"),),))
    sent = await send_to_chat(bot.application.bot, chat.chat_id, screen)

    await edit(sent, screen)  # the same text and buttons: Telegram says "not modified"
    await edit(sent, Screen("Your answer: <b>4</b>"))

    [message] = chat.history
    assert message.text == "Your answer: 4"
    assert message.buttons == []


def test_long_button_labels_are_shortened_for_phones() -> None:
    label = "Skills for Care: Recruitment and retention toolkit for the whole workforce"
    button = Button(label, "m:main").markup()

    assert len(button.text) <= BUTTON_LABEL_LIMIT
    assert button.text == "Skills for Care: Recruitment and retention toolkit for the…"
    assert button.callback_data == "m:main"


def test_buttons_are_links_shares_or_callbacks() -> None:
    link = Button("Open", url="https://example.org").markup()
    share = Button("Share", share="Care Act guidance").markup()
    data = Button("Menu", "m:main").markup()

    assert (link.url, link.callback_data) == ("https://example.org", None)
    assert (share.switch_inline_query, share.callback_data) == ("Care Act guidance", None)
    assert (data.callback_data, data.url) == ("m:main", None)


def test_a_screen_without_buttons_has_no_keyboard_and_empty_rows_are_dropped() -> None:
    assert Screen("Hello").markup() is None
    markup = Screen("Hello", ((Button("A", "m:main"),), (), (Button("B", "m:find"),))).markup()
    assert markup is not None
    assert [[b.text for b in row] for row in markup.inline_keyboard] == [["A"], ["B"]]


# -- where the cuts fall (a small limit, so each case shows its whole text) --------------------


def test_a_long_paragraph_is_cut_at_the_last_space_that_fits() -> None:
    words = "care " * 12  # 60 characters, one line
    parts = split_html(f"Intro\n{words.strip()}", limit=20)
    # As full as each part can be: not one word per message.
    assert parts == ["Intro", "care care care care", "care care care care", "care care care care"]


def test_lines_fill_a_part_right_up_to_the_limit() -> None:
    # Nine a, a line break and ten b: exactly 20 characters, so they stay together.
    parts = split_html("aaaaaaaaa\nbbbbbbbbbb\ncc", limit=20)
    assert parts == ["aaaaaaaaa\nbbbbbbbbbb", "cc"]


def test_a_line_exactly_the_limit_long_is_not_cut() -> None:
    line = "one two three four x"  # 20 characters
    assert split_html(f"{line}\nnext", limit=20) == [line, "next"]


def test_a_word_is_cut_only_when_there_is_no_space_to_cut_at() -> None:
    parts = split_html("a " + "x" * 30, limit=20)
    assert parts == ["a", "x" * 20, "x" * 10]
