"""The flow engine, rule by rule: small flows written as YAML, loaded for real, then played."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from bot.engine import (
    Back,
    Choose,
    Context,
    Cursor,
    Flow,
    FlowError,
    Item,
    Keep,
    Option,
    Problem,
    Progress,
    Reply,
    Saved,
    Skip,
    State,
    Turn,
    Type,
    answer,
    answer_key,
    prompt_at,
    start,
)
from bot.loading import FlowEnvironment, load_flows

# A survey: a message, a choice whose options lead different ways, a text, a rating.
SURVEY = """\
id: survey
title: Survey
steps:
  - id: welcome
    kind: message
    text: Welcome
  - id: greeting
    kind: message
    text: Three quick questions.
  - id: role
    kind: choice
    text: What is your role?
    save_as: role
    options:
      - id: carer
        label: Carer
        next: caring
      - id: manager
        label: Team manager
  - id: name
    kind: text
    text: Your name?
    save_as: name
    max_length: 10
  - id: mood
    kind: rating
    text: How are you, {name}?
    scale: five
    save_as: mood
    skippable: true
    next: done
  - id: caring
    kind: text
    text: Tell us about caring.
    save_as: caring
    skippable: true
    next: done
  - id: done
    kind: end
    text: Thank you.
"""

# A review: every statement rated, with evidence only for the ones not skipped.
REVIEW = """\
id: review
title: Review
steps:
  - id: intro
    kind: message
    text: Let's go through the statements.
  - id: statements
    kind: loop
    over: statements
    progress: "Statement {n} of {total}"
    steps:
      - id: rate
        kind: rating
        text: "<b>{title}</b> {text}"
        scale: five
        save_as: rating
        skippable: true
      - id: after-rating
        kind: branch
        cases:
          - var: rating
            next: evidence
        otherwise: next-item
      - id: evidence
        kind: text
        text: What evidence is there for {title}?
        save_as: note
        skippable: true
    next: summary
  - id: summary
    kind: end
    text: That's every statement.
    summary: true
"""

# A greeting that depends on what the bot remembers about the user.
GREET = """\
id: greet
title: Greet
steps:
  - id: check
    kind: branch
    cases:
      - var: organisation
        equals: Leeds City Council
        next: welcome-home
      - var: organisation
        next: confirm
    otherwise: ask
  - id: welcome-home
    kind: message
    text: Welcome back to Leeds.
    next: confirm
  - id: confirm
    kind: choice
    text: Are you rating {organisation}?
    options:
      - id: keep
        label: "Yes"
        next: done
      - id: change
        label: "No"
  - id: ask
    kind: text
    text: Which organisation?
    save_as: organisation
  - id: done
    kind: end
    text: Bye.
"""

ENVIRONMENT = FlowEnvironment(
    lists={"statements": frozenset({"title", "text"})},
    scales=frozenset({"five"}),
    remembered=frozenset({"organisation"}),
)

SCALE = tuple(
    Option(str(value), label)
    for value, label in enumerate(["Poor", "Fair", "Good", "Great", "Superb"], start=1)
)
ITEMS = (
    Item("alpha", {"title": "Alpha", "text": "The first statement."}, ("A detail",)),
    Item("beta", {"title": "Beta", "text": "The second statement."}),
    Item("gamma", {"title": "Gamma", "text": "The third statement."}),
)
CONTEXT = Context(lists={"statements": ITEMS}, scales={"five": SCALE})


@pytest.fixture(scope="module")
def flows(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Flow]:
    """Load the three flows above through the real loader."""
    directory = tmp_path_factory.mktemp("flows")
    for name, text in {"survey": SURVEY, "review": REVIEW, "greet": GREET}.items():
        (directory / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return load_flows(Path(directory), ENVIRONMENT)


@pytest.fixture
def survey(flows: dict[str, Flow]) -> Flow:
    return flows["survey"]


@pytest.fixture
def review(flows: dict[str, Flow]) -> Flow:
    return flows["review"]


@pytest.fixture
def greet(flows: dict[str, Flow]) -> Flow:
    return flows["greet"]


def play(flow: Flow, *replies: Reply, remembered: Mapping[str, str] | None = None) -> Turn:
    """Start the flow and give each reply in turn; every one must be accepted."""
    turn = start(flow, CONTEXT, remembered)
    for reply in replies:
        turn = answer(flow, CONTEXT, turn.state, reply)
        assert turn.problem is None, f"{reply} was refused: {turn.problem}"
    return turn


def waiting_on(turn: Turn) -> str | None:
    """Return the id of the step the conversation waits on (None once finished)."""
    return None if turn.state.cursor is None else turn.state.cursor.step


# --- Starting -------------------------------------------------------------------------------


def test_start_shows_every_message_up_to_the_first_question(survey: Flow) -> None:
    turn = start(survey, CONTEXT)

    assert [(p.step_id, p.kind) for p in turn.shown] == [
        ("welcome", "message"),
        ("greeting", "message"),
        ("role", "choice"),
    ]
    assert turn.state.cursor == Cursor("role")
    assert turn.state.turn == 0
    assert turn.saved == ()
    assert turn.problem is None


def test_start_asks_the_first_question_with_its_options(survey: Flow) -> None:
    question = start(survey, CONTEXT).question

    assert question is not None
    assert [(o.id, o.label) for o in question.options] == [
        ("carer", "Carer"),
        ("manager", "Team manager"),
    ]
    assert question.can_back is False
    assert question.has_current is False


# --- Choices and ratings --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option_id", "next_step"),
    [
        ("manager", "name"),  # no next of its own: on to the step written after
        ("carer", "caring"),  # the option's own next
    ],
)
def test_a_choice_saves_its_option_id_and_follows_the_options_next(
    survey: Flow, option_id: str, next_step: str
) -> None:
    turn = play(survey, Choose(option_id))

    assert turn.saved == (Saved("role", None, option_id),)
    assert turn.state.answers == {"role": option_id}
    assert waiting_on(turn) == next_step


def test_a_rating_saves_the_level_as_a_whole_number(survey: Flow) -> None:
    turn = play(survey, Choose("manager"), Type("Ann"), Choose("4"))

    assert turn.saved == (Saved("mood", None, 4),)
    assert turn.state.answers["mood"] == 4


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        ("Carer", "carer"),
        ("carer", "carer"),
        ("  TEAM   manager ", "manager"),
        ("manager", "manager"),  # the option id
    ],
)
def test_typing_an_option_label_or_id_answers_a_choice(
    survey: Flow, typed: str, saved: str
) -> None:
    turn = play(survey, Type(typed))

    assert turn.state.answers == {"role": saved}


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        ("3", 3),
        (" 5 ", 5),
        ("Good", 3),
        ("superb", 5),
    ],
)
def test_typing_a_level_number_or_label_answers_a_rating(
    survey: Flow, typed: str, saved: int
) -> None:
    turn = play(survey, Choose("manager"), Type("Ann"), Type(typed))

    assert turn.state.answers["mood"] == saved


@pytest.mark.parametrize(
    ("replies", "reply"),
    [
        ((), Type("boss")),
        ((), Type("")),
        ((), Choose("owner")),
        ((Choose("manager"), Type("Ann")), Type("three")),
        ((Choose("manager"), Type("Ann")), Type("6")),
        ((Choose("manager"), Type("Ann")), Choose("0")),
    ],
    ids=[
        "choice-typed",
        "choice-empty",
        "choice-unknown-id",
        "rating-word",
        "rating-6",
        "rating-0",
    ],
)
def test_a_reply_matching_no_button_is_refused_and_changes_nothing(
    survey: Flow, replies: tuple[Reply, ...], reply: Reply
) -> None:
    before = play(survey, *replies)

    turn = answer(survey, CONTEXT, before.state, reply)

    assert turn.problem is Problem.CHOOSE_A_BUTTON
    assert turn.state == before.state
    assert turn.saved == ()
    assert turn.shown == (before.question,)


# --- Text -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", Problem.EMPTY),
        ("   \n ", Problem.EMPTY),
        ("x" * 11, Problem.TOO_LONG),
        ("Annabel Lee", Problem.TOO_LONG),
    ],
)
def test_empty_or_too_long_text_is_refused_and_changes_nothing(
    survey: Flow, typed: str, problem: Problem
) -> None:
    before = play(survey, Choose("manager"))

    turn = answer(survey, CONTEXT, before.state, Type(typed))

    assert turn.problem is problem
    assert turn.state == before.state
    assert turn.saved == ()


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        ("Ann", "Ann"),
        ("  Ann \n", "Ann"),
        ("x" * 10, "x" * 10),
        ("   " + "x" * 10 + "   ", "x" * 10),  # the limit applies after stripping
    ],
)
def test_text_is_saved_stripped(survey: Flow, typed: str, saved: str) -> None:
    turn = play(survey, Choose("manager"), Type(typed))

    assert turn.saved == (Saved("name", None, saved),)
    assert waiting_on(turn) == "mood"


# --- Skip -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("replies", "name"),
    [
        ((Choose("manager"), Type("Ann")), "mood"),  # a skippable rating
        ((Choose("carer"),), "caring"),  # a skippable text
    ],
)
def test_skip_on_a_skippable_question_saves_none(
    survey: Flow, replies: tuple[Reply, ...], name: str
) -> None:
    before = play(survey, *replies)
    assert before.question is not None and before.question.can_skip

    turn = answer(survey, CONTEXT, before.state, Skip())

    assert turn.problem is None
    assert turn.saved == (Saved(name, None, None),)
    assert turn.state.answers[name] is None
    assert turn.finished


@pytest.mark.parametrize(
    "replies",
    [
        (),  # a choice
        (Choose("manager"),),  # a text that is not skippable
    ],
    ids=["choice", "text"],
)
def test_skip_on_a_question_that_cannot_be_skipped_is_refused(
    survey: Flow, replies: tuple[Reply, ...]
) -> None:
    before = play(survey, *replies)
    assert before.question is not None and not before.question.can_skip

    turn = answer(survey, CONTEXT, before.state, Skip())

    assert turn.problem is Problem.CANNOT_SKIP
    assert turn.state == before.state
    assert turn.saved == ()


# --- Back and Keep --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("replies", "back_to", "current"),
    [
        ((Choose("manager"),), "role", "manager"),
        ((Choose("carer"),), "role", "carer"),
        ((Choose("manager"), Type("Ann")), "name", "Ann"),
    ],
)
def test_back_returns_to_the_previous_question_with_its_answer(
    survey: Flow, replies: tuple[Reply, ...], back_to: str, current: str
) -> None:
    before = play(survey, *replies)

    turn = answer(survey, CONTEXT, before.state, Back())

    assert turn.problem is None
    assert waiting_on(turn) == back_to
    assert turn.question is not None
    assert turn.question.step_id == back_to
    assert turn.question.has_current is True
    assert turn.question.current == current
    assert turn.state.turn == before.state.turn + 1
    assert turn.saved == ()


def test_back_twice_walks_back_through_the_questions_in_order(survey: Flow) -> None:
    turn = play(survey, Choose("manager"), Type("Ann"), Back(), Back())

    assert waiting_on(turn) == "role"
    assert turn.question is not None and turn.question.can_back is False
    assert turn.state.history == ()


def test_back_on_the_first_question_is_refused(survey: Flow) -> None:
    before = start(survey, CONTEXT)

    turn = answer(survey, CONTEXT, before.state, Back())

    assert turn.problem is Problem.NOTHING_TO_GO_BACK_TO
    assert turn.state == before.state


@pytest.mark.parametrize(
    "replies",
    [
        (),  # the survey's first question, never answered
        (Choose("manager"),),  # the next question, not answered yet
    ],
)
def test_keep_without_an_earlier_answer_is_refused(
    survey: Flow, replies: tuple[Reply, ...]
) -> None:
    before = play(survey, *replies)

    turn = answer(survey, CONTEXT, before.state, Keep())

    assert turn.problem is Problem.NOTHING_TO_KEEP
    assert turn.state == before.state


def test_keep_on_a_choice_that_saves_nothing_is_refused(greet: Flow) -> None:
    before = play(greet, Choose("change"), Back(), remembered={"organisation": "Hull"})
    assert waiting_on(before) == "confirm"

    turn = answer(greet, CONTEXT, before.state, Keep())

    assert turn.problem is Problem.NOTHING_TO_KEEP


def test_keep_after_back_moves_on_and_leaves_the_answer_as_it_was(survey: Flow) -> None:
    before = play(survey, Choose("manager"), Type("Ann"), Back())

    turn = answer(survey, CONTEXT, before.state, Keep())

    assert turn.problem is None
    assert turn.saved == ()
    assert turn.state.answers == {"role": "manager", "name": "Ann"}
    assert waiting_on(turn) == "mood"
    assert turn.state.turn == before.state.turn + 1


def test_keep_on_a_choice_goes_where_the_kept_option_leads(survey: Flow) -> None:
    before = play(survey, Choose("carer"), Back())

    turn = answer(survey, CONTEXT, before.state, Keep())

    assert waiting_on(turn) == "caring"  # where tapping Carer again leads


# --- Loops ----------------------------------------------------------------------------------


def rate_and_skip_evidence(times: int) -> tuple[Reply, ...]:
    """Rate ``times`` statements 3 and skip their evidence."""
    return (Choose("3"), Skip()) * times


@pytest.mark.parametrize("index", [0, 1, 2])
def test_a_loop_asks_about_each_item_with_its_progress_and_params(review: Flow, index: int) -> None:
    turn = play(review, *rate_and_skip_evidence(index))

    question = turn.question
    item = ITEMS[index]
    assert question is not None
    assert question.step_id == "rate"
    assert question.item_id == item.id
    assert question.progress == Progress(index + 1, 3, "Statement {n} of {total}")
    assert question.params["title"] == item.params["title"]
    assert question.params["text"] == item.params["text"]
    assert (question.params["n"], question.params["total"]) == (str(index + 1), "3")
    assert question.details == item.details
    assert question.scale == "five"
    assert turn.state.cursor == Cursor("rate", index)


def test_answers_inside_a_loop_are_kept_per_item(review: Flow) -> None:
    turn = play(review, Choose("4"), Type("Minutes"), Choose("2"), Skip())

    assert turn.state.answers == {
        "rating@alpha": 4,
        "note@alpha": "Minutes",
        "rating@beta": 2,
        "note@beta": None,
    }


@pytest.mark.parametrize(
    ("name", "item_id", "key"),
    [("organisation", None, "organisation"), ("rating", "workforce-data", "rating@workforce-data")],
)
def test_answer_key_adds_the_item_id_inside_a_loop(
    name: str, item_id: str | None, key: str
) -> None:
    assert answer_key(name, item_id) == key


def test_an_answer_inside_a_loop_is_saved_with_its_item(review: Flow) -> None:
    turn = play(review, Choose("3"), Skip(), Choose("5"))

    assert turn.saved == (Saved("rating", "beta", 5),)


def test_a_rated_item_goes_on_to_its_evidence(review: Flow) -> None:
    turn = play(review, Choose("1"))

    assert turn.state.cursor == Cursor("evidence", 0)
    assert turn.question is not None
    assert turn.question.params["rating"] == "1"


@pytest.mark.parametrize("index", [0, 1])
def test_a_skipped_rating_goes_straight_to_the_next_item(review: Flow, index: int) -> None:
    turn = play(review, *rate_and_skip_evidence(index), Skip())

    assert turn.state.cursor == Cursor("rate", index + 1)
    assert answer_key("note", ITEMS[index].id) not in turn.state.answers


def test_skipping_the_last_item_leaves_the_loop(review: Flow) -> None:
    turn = play(review, *rate_and_skip_evidence(2), Skip())

    assert turn.finished
    assert turn.shown[-1].step_id == "summary"


def test_back_from_an_item_returns_to_the_last_question_of_the_item_before(
    review: Flow,
) -> None:
    turn = play(review, Choose("4"), Type("Minutes"), Back())

    assert turn.state.cursor == Cursor("evidence", 0)
    assert turn.question is not None
    assert turn.question.current == "Minutes"
    assert turn.question.progress == Progress(1, 3, "Statement {n} of {total}")


def test_back_to_a_skipped_rating_shows_it_was_answered(review: Flow) -> None:
    turn = play(review, Skip(), Back())

    assert turn.state.cursor == Cursor("rate", 0)
    assert turn.question is not None
    assert (turn.question.has_current, turn.question.current) == (True, None)


def test_a_loop_over_an_empty_list_is_passed_by(review: Flow) -> None:
    empty = Context(lists={"statements": ()}, scales={"five": SCALE})

    turn = start(review, empty)

    assert [p.step_id for p in turn.shown] == ["intro", "summary"]
    assert turn.finished


# --- Branches -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("remembered", "shown"),
    [
        ({}, ["ask"]),
        ({"organisation": ""}, ["ask"]),  # remembered but empty counts as not set
        ({"organisation": "York"}, ["confirm"]),
        ({"organisation": "Leeds City Council"}, ["welcome-home", "confirm"]),
    ],
)
def test_a_branch_goes_to_the_first_case_that_holds(
    greet: Flow, remembered: dict[str, str], shown: list[str]
) -> None:
    turn = start(greet, CONTEXT, remembered)

    assert [p.step_id for p in turn.shown] == shown


def test_a_remembered_value_fills_the_questions_text(greet: Flow) -> None:
    turn = start(greet, CONTEXT, {"organisation": "York"})

    assert turn.question is not None
    assert turn.question.params["organisation"] == "York"
    assert turn.state.vars == {"organisation": "York"}


# --- The end --------------------------------------------------------------------------------


def test_the_end_step_finishes_the_flow(review: Flow) -> None:
    turn = play(review, *rate_and_skip_evidence(3))

    assert turn.finished
    assert turn.state.cursor is None
    assert turn.question is None
    end = turn.shown[-1]
    assert (end.step_id, end.kind, end.summary) == ("summary", "end", True)


@pytest.mark.parametrize("reply", [Choose("3"), Type("3"), Skip(), Keep(), Back()])
def test_a_reply_after_the_end_is_refused(review: Flow, reply: Reply) -> None:
    finished = play(review, *rate_and_skip_evidence(3))

    turn = answer(review, CONTEXT, finished.state, reply)

    assert turn.problem is Problem.FINISHED
    assert turn.state == finished.state
    assert turn.shown == ()


def test_prompt_at_a_finished_state_is_none(review: Flow) -> None:
    finished = play(review, *rate_and_skip_evidence(3))

    assert prompt_at(review, CONTEXT, finished.state) is None


# --- Turns ----------------------------------------------------------------------------------


# (reply, accepted?) in order, from the survey's first question.
SURVEY_SCRIPT: list[tuple[Reply, bool]] = [
    (Back(), False),
    (Type("boss"), False),
    (Choose("manager"), True),
    (Skip(), False),
    (Type(""), False),
    (Type("Ann"), True),
    (Back(), True),
    (Keep(), True),
    (Choose("9"), False),
    (Skip(), True),
    (Skip(), False),  # finished
]


def test_turn_counts_each_accepted_move_exactly_once(survey: Flow) -> None:
    turn = start(survey, CONTEXT)
    accepted = 0
    for reply, expected in SURVEY_SCRIPT:
        turn = answer(survey, CONTEXT, turn.state, reply)
        accepted += expected
        assert (turn.problem is None) == expected, reply
        assert turn.state.turn == accepted, reply


def test_a_move_through_several_messages_still_counts_once(review: Flow) -> None:
    # Skipping the last item passes the branch, leaves the loop and reaches the end in one move.
    before = play(review, *rate_and_skip_evidence(2))

    turn = answer(review, CONTEXT, before.state, Skip())

    assert turn.state.turn == before.state.turn + 1


# --- Saving and restoring the state ---------------------------------------------------------


@pytest.mark.parametrize(
    "replies",
    [
        (),
        (Choose("4"), Type("Minutes"), Skip()),
        (Choose("4"), Type("Minutes"), Back()),
        rate_and_skip_evidence(3),
    ],
    ids=["first-question", "mid-loop", "after-back", "finished"],
)
def test_a_state_survives_a_trip_through_json(review: Flow, replies: tuple[Reply, ...]) -> None:
    state = play(review, *replies, remembered={"organisation": "York"}).state

    restored = State.from_dict(json.loads(json.dumps(state.to_dict())))

    assert restored == state


@pytest.mark.parametrize(
    "data",
    [
        pytest.param("garbage", id="text"),
        pytest.param(None, id="none"),
        pytest.param([], id="list"),
        pytest.param({}, id="empty"),
        pytest.param({"flow_id": "review"}, id="no-cursor"),
        pytest.param({"flow_id": "review", "cursor": 5}, id="cursor-number"),
        pytest.param({"flow_id": "review", "cursor": []}, id="cursor-empty"),
        pytest.param(
            {"flow_id": "review", "cursor": None, "history": [["rate"]]}, id="history-short"
        ),
        pytest.param({"flow_id": "review", "cursor": None, "turn": "many"}, id="turn-word"),
        pytest.param({"flow_id": "review", "cursor": None, "answers": 7}, id="answers-number"),
        pytest.param(
            {"flow_id": "review", "cursor": None, "vars": ["organisation"]}, id="vars-list"
        ),
        pytest.param({"flow_id": "review", "cursor": ["rate", "first"]}, id="cursor-index-text"),
    ],
)
def test_an_unreadable_state_raises_flow_error(data: Any) -> None:
    with pytest.raises(FlowError):
        State.from_dict(data)


@pytest.mark.parametrize(
    "replies",
    [
        (),
        (Choose("manager"),),
        (Choose("manager"), Type("Ann")),
        (Choose("manager"), Type("Ann"), Back()),
    ],
    ids=["choice", "text", "rating", "after-back"],
)
def test_prompt_at_asks_the_waiting_question_again_after_a_restart(
    survey: Flow, replies: tuple[Reply, ...]
) -> None:
    turn = play(survey, *replies)
    restarted = State.from_dict(json.loads(json.dumps(turn.state.to_dict())))

    assert prompt_at(survey, CONTEXT, restarted) == turn.question


@pytest.mark.parametrize(
    "replies",
    [(), (Choose("4"),), (Choose("4"), Type("Minutes")), (Choose("4"), Type("Minutes"), Back())],
    ids=["first-item", "evidence", "second-item", "after-back"],
)
def test_prompt_at_inside_a_loop_keeps_the_item_and_progress(
    review: Flow, replies: tuple[Reply, ...]
) -> None:
    turn = play(review, *replies)
    restarted = State.from_dict(json.loads(json.dumps(turn.state.to_dict())))

    assert prompt_at(review, CONTEXT, restarted) == turn.question
