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
