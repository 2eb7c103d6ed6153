"""Every kind of update Telegram can send is handled on purpose: answered, or left alone."""

from __future__ import annotations

import itertools
from typing import Any

from bot.telegram.local_chat import LocalChat
from tests.conftest import RunningBot
from tests.test_chat_evaluation import rating_labels, start_evaluation

_ids = itertools.count(900_000)


def update(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Return an update of this kind with a fresh update id."""
    return {"update_id": next(_ids), kind: payload}


def message(chat: LocalChat, text: str, message_id: int = 1) -> dict[str, Any]:
    """Return a message as Telegram would send it from this chat's user."""
    entities = (
        [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if text.startswith("/")
        else []
    )
    return {
        "message_id": message_id,
        "date": 1_700_000_000,
        "chat": chat.chat,
        "from": chat.user,
        "text": text,
        "entities": entities,
    }


def stored_answers(bot: RunningBot, chat: LocalChat) -> dict[str, object]:
    """Return what the person's newest evaluation has stored, by statement."""
    participant = bot.store.participant_for(str(chat.user["id"]))
    evaluations = bot.store.evaluations_for(participant)
    if not evaluations:
        return {}
    return dict(bot.store.answers_for(evaluations[0].id))


async def test_an_edited_message_never_counts_as_an_answer(
    bot: RunningBot, chat: LocalChat
) -> None:
    await start_evaluation(chat)
    await chat.tap(rating_labels(chat)[2])
    before = stored_answers(bot, chat)
    edited = {**message(chat, "A note I changed my mind about", 5), "edit_date": 1_700_000_100}
    replies = await chat.deliver(update("edited_message", edited))
    assert [m.text for m in replies] == [
        "I can't use edited messages. Please send your answer again as a new message."
    ]
    assert stored_answers(bot, chat) == before


async def test_editing_an_old_command_starts_nothing(bot: RunningBot, chat: LocalChat) -> None:
    await chat.send("/start")
    edited = {**message(chat, "/evaluate", 1), "edit_date": 1_700_000_100}
    assert await chat.deliver(update("edited_message", edited)) == []
    participant = bot.store.participant_for(str(chat.user["id"]))
    assert bot.store.evaluations_for(participant) == []


async def test_a_command_for_another_bot_is_left_alone(chat: LocalChat) -> None:
    replies = await chat.deliver(update("message", message(chat, "/evaluate@another_bot")))
    assert replies == []
    replies = await chat.deliver(update("message", message(chat, "/nosuch@workforce_guide_bot")))
    assert "I don't know that command" in replies[-1].text


async def test_a_tap_on_an_inline_message_has_no_chat_and_gets_a_polite_answer(
    bot: RunningBot, chat: LocalChat
) -> None:
    tap = bot.transport.incoming_inline_callback_query(chat.user, "m:evaluate")
    assert await chat.deliver(tap) == []
    query_id = tap["callback_query"]["id"]
    answers = [a for a in bot.transport.callback_answers if a.query_id == query_id]
    assert [a.text for a in answers] == ["Please open the chat with me to use this button."]
    participant = bot.store.participant_for(str(chat.user["id"]))
    assert bot.store.evaluations_for(participant) == []


async def test_channel_posts_polls_reactions_and_blocks_are_left_alone(
    bot: RunningBot, chat: LocalChat
) -> None:
    channel = {"id": -100123, "type": "channel", "title": "News"}
    post = {"message_id": 3, "date": 1_700_000_000, "chat": channel, "text": "/evaluate"}
    blocked = {
        "chat": chat.chat,
        "from": chat.user,
        "date": 1_700_000_000,
        "old_chat_member": {"status": "member", "user": bot.transport.bot_user},
        "new_chat_member": {
            "status": "kicked",
            "user": bot.transport.bot_user,
            "until_date": 0,
        },
    }
    poll = {
        "id": "p1",
        "question": "Lunch?",
        "options": [
            {"text": "Yes", "voter_count": 1, "persistent_id": "a"},
            {"text": "No", "voter_count": 0, "persistent_id": "b"},
        ],
        "total_voter_count": 1,
        "is_closed": False,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
        "allows_revoting": False,
        "members_only": False,
    }
    reaction = {
        "chat": chat.chat,
        "message_id": 1,
        "date": 1_700_000_000,
        "user": chat.user,
        "old_reaction": [],
        "new_reaction": [{"type": "emoji", "emoji": "👍"}],
    }
    for kind, payload in (
        ("channel_post", post),
        ("my_chat_member", blocked),
        ("poll", poll),
        ("message_reaction", reaction),
        ("some_future_update", {"anything": 1}),
    ):
        assert await chat.deliver(update(kind, payload)) == [], kind
