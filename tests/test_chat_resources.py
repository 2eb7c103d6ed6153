"""Finding resources in the chat: free text, /find, topics, cards, inline mode, search gaps."""

from __future__ import annotations

import pytest

from bot.telegram.local_chat import LocalChat
from tests.conftest import RunningBot


@pytest.mark.parametrize(
    ("question", "expected_title_part"),
    [
        ("safe stafing", "Safe staffing"),
        ("how much is the care I give worth", "Value of Replacement Care"),
        ("apprenticeships", "Flexible routes"),
    ],
)
async def test_free_text_finds_the_right_resource(
    chat: LocalChat, question: str, expected_title_part: str
) -> None:
    await chat.send(question)
    assert "Here's what I found" in chat.last.text
    assert any(expected_title_part in label for label in chat.last.labels[:3])


async def test_tapping_a_result_shows_its_card(chat: LocalChat) -> None:
    await chat.send("/find safe staffing")
    [label] = [label for label in chat.last.labels if "Safe staffing" in label]
    await chat.tap(label)
    card = chat.last.text
    assert "Who it's for" in card
    assert "Where to find it" in card and "https://" in card
    assert "Share" in chat.last.labels


async def test_off_topic_questions_get_an_honest_no_and_topics(
    bot: RunningBot, chat: LocalChat
) -> None:
    await chat.send("pizza recipe")
    assert "nothing in this guide matches" in chat.last.text
    assert len(chat.last.labels) >= 3  # topics to browse instead
    assert [gap.terms for gap in bot.store.search_gaps()] == ["pizza recipe"]


async def test_search_gaps_keep_words_but_not_who_asked(bot: RunningBot, chat: LocalChat) -> None:
    await chat.send("how to fix my car engine")
    row = bot.store.db.execute("select * from search_misses").fetchall()
    assert row and "1001" not in str(row)


async def test_browse_by_topic(chat: LocalChat) -> None:
    await chat.send("/start")
    await chat.tap("Browse by topic")
    topic = chat.last.labels[0]
    await chat.tap(topic)
    assert chat.last.labels  # resources of that topic
    await chat.tap(chat.last.labels[0])
    assert "Where to find it" in chat.last.text


async def test_find_without_words_asks_what_to_look_for(chat: LocalChat) -> None:
    await chat.send("/find")
    assert "in your own words" in chat.last.text


async def test_inline_mode_offers_resources_to_share(chat: LocalChat) -> None:
    results = await chat.inline("safe staffing")
    assert results and results[0]["id"] == "safe-staffing-ld-autism"
    assert results[0]["input_message_content"]["parse_mode"] == "HTML"
    assert await chat.inline("asdfgh") == []


async def test_very_long_or_odd_text_is_handled(chat: LocalChat) -> None:
    await chat.send("🙂🙂🙂")
    assert "nothing in this guide matches" in chat.last.text
    await chat.send("staff " * 700)
    assert chat.last.text


async def test_a_case_study_says_where_it_is_described(chat: LocalChat) -> None:
    await chat.send("darlington picks training")
    [label] = [label for label in chat.last.labels if "Darlington" in label]
    await chat.tap(label)
    assert "good-practice framework" in chat.last.text
    assert "https://" not in chat.last.text
