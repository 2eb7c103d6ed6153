"""/forget: a person deletes everything kept about them, after saying yes."""

from __future__ import annotations

from bot.telegram.local_chat import LocalChat
from tests.conftest import RunningBot
from tests.test_chat_evaluation import rating_labels, start_evaluation
from tests.test_chat_team import ANN, OLIVE, create_round, person


async def test_forget_asks_first_and_no_keeps_everything(bot: RunningBot, chat: LocalChat) -> None:
    await start_evaluation(chat)
    await chat.tap(rating_labels(chat)[2])
    await chat.send("/forget")
    assert "cannot be undone" in chat.last.text
    await chat.tap("No, keep it")
    participant = bot.store.participant_for(str(chat.user["id"]))
    assert len(bot.store.export_rows(participant)) == 1


async def test_forget_deletes_answers_notes_place_and_memberships(bot: RunningBot) -> None:
    olive, ann = person(bot, OLIVE, "Olive"), person(bot, ANN, "Ann")
    code = await create_round(olive)
    await ann.send(f"/join {code}")
    await ann.send("Ann")
    await ann.tap(rating_labels(ann)[0])
    await ann.send("A private note")
    round_id = bot.store.rounds()[0].id
    old_ann = bot.store.participant_for(str(ANN))

    await ann.send("/forget")
    await ann.tap("Yes, delete my data")
    assert "has been deleted" in ann.last.text
    assert bot.store.team_answers(round_id) == []
    assert bot.store.member(round_id, old_ann) is None
    assert bot.store.export_rows(old_ann) == []
    assert bot.store.load_position(old_ann) is None
    # Ann is a stranger to the bot now: a new code, nothing carried over.
    assert bot.store.participant_for(str(ANN)) != old_ann

    # The organiser was the round's only organiser: forgetting her closes it.
    await olive.send("/forget")
    await olive.tap("Yes, delete my data")
    assert "they are now closed" in olive.last.text
    round_ = bot.store.round(round_id)
    assert round_ is not None and not round_.is_open


async def test_forget_blanks_the_messages_kept_but_keeps_their_ids(
    bot: RunningBot, chat: LocalChat
) -> None:
    await start_evaluation(chat)
    me, other = chat.user, {**chat.user, "id": 4242, "first_name": "Zed"}
    chat_of = {"id": me["id"], "type": "private", "first_name": me["first_name"]}
    kept = [
        {
            "update_id": 9001,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": chat_of,
                "from": me,
                "text": "my private note",
            },
        },
        {
            "update_id": 9002,
            "callback_query": {"id": "q", "chat_instance": "c", "from": me, "data": "m:main"},
        },
        {
            "update_id": 9003,
            "message": {
                "message_id": 2,
                "date": 0,
                "from": other,
                "chat": {"id": 4242, "type": "private"},
                "text": "someone else's words",
            },
        },
    ]
    bot.store.receive_updates(kept)
    for raw in kept:
        bot.store.mark_update_done(raw["update_id"])
    bot.store.set_aside(9004, {**kept[0], "update_id": 9004}, "test")

    await chat.send("/forget")
    await chat.tap("Yes, delete my data")

    raws = {
        u: bot.store.db.execute("SELECT raw FROM updates WHERE update_id = ?", [u]).fetchone()[0]
        for u in (9001, 9002, 9003)
    }
    assert raws[9001] == raws[9002] == "{}"
    assert "someone else's words" in raws[9003], "only their own messages go"
    assert all(bot.store.update_done(u) for u in (9001, 9002, 9003)), "repeats still recognised"
    assert "my private note" not in bot.store.dead_letters()[0].raw
