"""The engine at its edges, on the shipped guide: typed levels, kept answers, stored states."""

from __future__ import annotations

import pytest

from bot import engine
from bot.engine import Choose, FlowError, Keep, Problem, Skip, State, Type
from bot.loading import Guide
from bot.telegram.local_chat import LocalChat
from tests.conftest import RunningBot
from tests.test_chat_evaluation import start_evaluation


def at_first_rating(guide: Guide) -> tuple[engine.Flow, State]:
    flow = guide.evaluation_flow(False)
    turn = engine.start(flow, guide.context, {"organisation": "Leeds"})
    turn = engine.answer(flow, guide.context, turn.state, Choose(turn.question.options[0].id))  # type: ignore[union-attr]
    assert turn.question is not None and turn.question.kind == "rating"
    return flow, turn.state


@pytest.mark.parametrize(
    ("typed", "level"),
    [
        ("Implementation", 3),
        ("  sustainable   delivery ", 5),
        ("3 — Implementation", 3),
        ("2", 2),
        ("commitment", 1),
    ],
)
def test_a_level_can_be_typed_by_its_name_without_the_number(
    guide: Guide, typed: str, level: int
) -> None:
    flow, state = at_first_rating(guide)

    turn = engine.answer(flow, guide.context, state, Type(typed))

    assert turn.problem is None
    assert [saved.value for saved in turn.saved] == [level]


@pytest.mark.parametrize("typed", ["3 —", "—", "Implementation Operational", "6", "Delivery"])
def test_a_typed_level_that_is_not_one_is_refused(guide: Guide, typed: str) -> None:
    flow, state = at_first_rating(guide)

    turn = engine.answer(flow, guide.context, state, Type(typed))

    assert turn.problem == Problem.CHOOSE_A_BUTTON
    assert turn.state == state


async def test_typing_a_level_name_in_the_chat_rates_the_statement(
    bot: RunningBot, chat: LocalChat
) -> None:
    await start_evaluation(chat)

    await chat.send("Operational")

    assert "evidence" in chat.last.text.lower()
    [evaluation] = bot.store.evaluations_for(bot.store.participant_for("1001"))
    assert bot.store.answers_for(evaluation.id)["strengths-based-practice"].rating == 4


def test_keep_moves_on_with_the_answer_unchanged(guide: Guide) -> None:
    flow, state = at_first_rating(guide)
    rated = engine.answer(flow, guide.context, state, Choose("2"))
    noted = engine.answer(flow, guide.context, rated.state, Skip())
    back = engine.answer(flow, guide.context, noted.state, engine.Back())
    back = engine.answer(flow, guide.context, back.state, engine.Back())
    assert back.question is not None and back.question.current == 2

    kept = engine.answer(flow, guide.context, back.state, Keep())

    assert kept.problem is None
    assert kept.saved == ()
    assert kept.state.answers == back.state.answers
    assert kept.state.turn == back.state.turn + 1


def test_a_stored_state_with_a_bad_loop_index_is_a_flow_error() -> None:
    good = {"flow_id": "f", "cursor": ["rate", 2], "history": [["rate", 1]], "turn": 3}
    assert State.from_dict(good).cursor == engine.Cursor("rate", 2)

    for index in ("2", 2.0, True, [2]):
        with pytest.raises(FlowError, match="not readable"):
            State.from_dict({**good, "cursor": ["rate", index]})


def test_a_stored_state_reads_back_what_was_saved(guide: Guide) -> None:
    flow, state = at_first_rating(guide)
    rated = engine.answer(flow, guide.context, state, Choose("4")).state

    again = State.from_dict(rated.to_dict())

    assert again == rated
    assert engine.prompt_at(flow, guide.context, again) == engine.prompt_at(
        flow, guide.context, rated
    )
