"""The engine where the other tests left it loose: explicit `next`s, loops, stored states, errors.

Flows are built by hand from the model, so each test shows the whole flow it plays.
"""

from __future__ import annotations

import re

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
    Prompt,
    Reply,
    Saved,
    Skip,
    State,
    Turn,
    Type,
    answer,
    prompt_at,
    start,
)
from bot.engine.model import (
    BranchStep,
    Case,
    ChoiceStep,
    EndStep,
    LoopStep,
    MessageStep,
    RatingStep,
    TextStep,
)

# Labels built the way the guide builds them ("{value} — {label}"); one label has a dash of its own.
SCALE = (
    Option("1", "1 — Poor"),
    Option("2", "2 — Fair"),
    Option("3", "3 — Good — with gaps"),
    Option("4", "4 — Great"),
)
ITEMS = (Item("alpha", {"title": "Alpha"}), Item("beta", {"title": "Beta"}))
CONTEXT = Context(lists={"statements": ITEMS}, scales={"four": SCALE})

# Every `next` here points past the step written after it, so following the written order instead
# of `next` lands somewhere visibly different.
SIGN_UP = Flow(
    id="sign-up",
    title="Sign up",
    steps=(
        ChoiceStep(
            "role",
            "What is your role?",
            (Option("carer", "Carer", next="caring"), Option("manager", "Team manager")),
            save_as="role",
            next="name",
        ),
        TextStep("caring", "Who do you care for?", save_as="caring", next="hours"),
        TextStep("name", "Your name?", save_as="name", next="done"),
        TextStep("hours", "How many hours a week?", save_as="hours", next="done"),
        EndStep("done", "Thank you."),
    ),
)

# A greeting: people the bot knows are welcomed back, the others are asked first.
GREET = Flow(
    id="greet",
    title="Greet",
    steps=(
        BranchStep("check", (Case("organisation", "welcome-back"),), otherwise="ask"),
        MessageStep("welcome-back", "Welcome back.", next="confirm"),
        TextStep("ask", "Which organisation?", save_as="organisation"),
        ChoiceStep("confirm", "Ready?", (Option("yes", "Yes"),)),
        EndStep("done", "Bye."),
    ),
)

# A loop without a progress line, with a message after each rating and a `next` past an aside.
RATE_ALL = Flow(
    id="rate-all",
    title="Rate all",
    steps=(
        LoopStep(
            "each-statement",
            over="statements",
            steps=(
                RatingStep("rate", "How is {title}?", scale="four", save_as="rating"),
                MessageStep("thanks", "Thanks for rating {title}."),
            ),
            next="done",
        ),
        TextStep("aside", "Anything else?", save_as="aside", next="done"),
        EndStep("done", "Every statement is rated."),
    ),
)


def play(flow: Flow, *replies: Reply, context: Context = CONTEXT) -> Turn:
    """Start the flow and give each reply in turn; every one must be accepted."""
    turn = start(flow, context)
    for reply in replies:
        turn = answer(flow, context, turn.state, reply)
        assert turn.problem is None, f"{reply} was refused: {turn.problem}"
    return turn


def waiting_on(turn: Turn) -> str | None:
    """Return the id of the step the conversation waits on (None once finished)."""
    return None if turn.state.cursor is None else turn.state.cursor.step


# --- Where `next` leads ---------------------------------------------------------------------


def test_a_text_answer_follows_the_steps_next() -> None:
    turn = play(SIGN_UP, Choose("manager"), Type("Ann"))

    assert turn.saved == (Saved("name", None, "Ann"),)
    assert turn.finished
    assert [p.step_id for p in turn.shown] == ["done"]


def test_a_message_follows_its_next_past_the_step_written_after_it() -> None:
    turn = start(GREET, CONTEXT, {"organisation": "York"})

    assert [p.step_id for p in turn.shown] == ["welcome-back", "confirm"]


def test_a_question_falls_through_to_the_end_step_written_after_it() -> None:
    turn = play(GREET, Type("Leeds"), Choose("yes"))

    assert turn.finished
    assert [(p.step_id, p.kind, p.text) for p in turn.shown] == [("done", "end", "Bye.")]


@pytest.mark.parametrize(
    ("replies", "next_step"),
    [
        ((Choose("manager"),), "name"),  # an option without a next: the step's next
        ((Choose("carer"),), "caring"),  # the option's own next
    ],
)
def test_keep_on_a_choice_goes_where_choosing_the_kept_option_goes(
    replies: tuple[Reply, ...], next_step: str
) -> None:
    chosen = play(SIGN_UP, *replies)
    back = play(SIGN_UP, *replies, Back())

    kept = answer(SIGN_UP, CONTEXT, back.state, Keep())

    assert kept.problem is None
    assert waiting_on(chosen) == waiting_on(kept) == next_step


def test_keep_on_a_choice_whose_option_was_removed_asks_again() -> None:
    # Saved before an editor removed the option from the flow: no branch is left to follow,
    # so the person chooses again (the answer stays stored until they do).
    state = State("sign-up", Cursor("role"), answers={"role": "volunteer"})

    turn = answer(SIGN_UP, CONTEXT, state, Keep())

    assert turn.problem is Problem.NOTHING_TO_KEEP
    assert turn.state == state
    assert turn.saved == ()


def test_keep_on_a_choice_that_saves_nothing_is_refused_inside_a_loop() -> None:
    flow = Flow(
        "check-in",
        "Check in",
        (
            LoopStep(
                "each-statement",
                over="statements",
                steps=(
                    ChoiceStep("ready", "Ready for {title}?", (Option("go", "Go"),)),
                    TextStep("note", "A note?", save_as="None"),
                ),
                next="done",
            ),
            EndStep("done", "Done."),
        ),
    )
    # An answer whose name happens to be "None" must not pass for the unnamed choice's own.
    state = State("check-in", Cursor("ready", 0), answers={"None@alpha": "A note"})

    turn = answer(flow, CONTEXT, state, Keep())

    assert turn.problem is Problem.NOTHING_TO_KEEP
    assert turn.state == state


# --- Running out of steps -------------------------------------------------------------------


def test_a_flow_that_runs_out_of_steps_finishes_with_what_was_shown_and_saved() -> None:
    flow = Flow(
        "short",
        "Short",
        (TextStep("name", "Your name?", save_as="name"), MessageStep("bye", "Bye, {name}.")),
    )

    turn = play(flow, Type("Ann"))

    assert turn.finished
    assert turn.question is None
    assert turn.shown == (Prompt("bye", "message", "Bye, {name}.", {"name": "Ann"}),)
    assert turn.saved == (Saved("name", None, "Ann"),)
    assert turn.state == State(
        "short", None, history=(Cursor("name"),), answers={"name": "Ann"}, turn=1
    )


def test_a_flow_of_only_messages_finishes_at_once() -> None:
    flow = Flow("notice", "Notice", (MessageStep("hello", "Hello."), MessageStep("bye", "Bye.")))

    turn = start(flow, CONTEXT, {"organisation": "York"})

    assert turn.finished
    assert [p.step_id for p in turn.shown] == ["hello", "bye"]
    assert turn.saved == ()
    assert turn.state == State("notice", None, vars={"organisation": "York"})


# --- Loops ----------------------------------------------------------------------------------


def test_a_loop_without_a_progress_line_shows_no_progress() -> None:
    question = start(RATE_ALL, CONTEXT).question

    assert question is not None
    assert (question.step_id, question.item_id) == ("rate", "alpha")
    assert question.progress is None


def test_a_message_ending_a_loop_names_its_item_and_leads_to_the_next_item() -> None:
    turn = play(RATE_ALL, Choose("3"))

    assert [(p.step_id, p.params["title"]) for p in turn.shown] == [
        ("thanks", "Alpha"),
        ("rate", "Beta"),
    ]
    assert turn.state.cursor == Cursor("rate", 1)


def test_leaving_a_loop_follows_its_next() -> None:
    turn = play(RATE_ALL, Choose("3"), Choose("4"))

    assert turn.finished
    assert [p.step_id for p in turn.shown] == ["thanks", "done"]
    assert turn.state.answers == {"rating@alpha": 3, "rating@beta": 4}


def test_a_loop_over_an_empty_list_follows_its_next() -> None:
    empty = Context(lists={"statements": ()}, scales=CONTEXT.scales)

    turn = start(RATE_ALL, empty)

    assert turn.finished
    assert [p.step_id for p in turn.shown] == ["done"]


# --- Typed levels ---------------------------------------------------------------------------


def test_a_level_whose_name_has_a_dash_can_be_typed_by_its_whole_name() -> None:
    state = start(RATE_ALL, CONTEXT).state

    turn = answer(RATE_ALL, CONTEXT, state, Type("good — with gaps"))

    assert turn.problem is None
    assert turn.saved == (Saved("rating", "alpha", 3),)


def test_the_words_after_a_second_dash_are_not_a_level() -> None:
    state = start(RATE_ALL, CONTEXT).state

    turn = answer(RATE_ALL, CONTEXT, state, Type("with gaps"))

    assert turn.problem is Problem.CHOOSE_A_BUTTON
    assert turn.state == state


# --- Stored states --------------------------------------------------------------------------


def test_a_stored_state_without_history_or_turn_reads_as_a_fresh_one() -> None:
    state = State.from_dict({"flow_id": "sign-up", "cursor": ["role", None]})

    assert state == State("sign-up", Cursor("role"))
    assert (state.history, state.turn) == ((), 0)


def test_an_unreadable_loop_index_is_named_in_the_error() -> None:
    data = {"flow_id": "rate-all", "cursor": ["rate", "2"]}

    with pytest.raises(FlowError) as raised:
        State.from_dict(data)

    assert str(raised.value) == (
        "stored conversation state is not readable: loop index '2' is not a whole number"
    )


# --- Broken flows and stale states: the error names what to fix -----------------------------


@pytest.mark.parametrize("index", [2, 5, -1, None])
def test_a_stored_loop_index_past_the_list_names_the_loop_and_index(index: int | None) -> None:
    # E.g. a statement was removed from the content while someone was half-way through.
    state = State("rate-all", Cursor("rate", index))

    with pytest.raises(FlowError, match=re.escape(f"loop 'each-statement' has no item {index}")):
        prompt_at(RATE_ALL, CONTEXT, state)


def test_a_loop_over_an_unknown_list_names_the_loop_and_list() -> None:
    without = Context(lists={}, scales=CONTEXT.scales)

    with pytest.raises(
        FlowError, match=re.escape("loop 'each-statement' runs over unknown list 'statements'")
    ):
        start(RATE_ALL, without)


@pytest.mark.parametrize("ask", ["prompt_at", "answer"])
def test_a_state_waiting_on_a_message_names_the_step_and_flow(ask: str) -> None:
    # The step was a question when the state was stored; an editor made it a message since.
    state = State("greet", Cursor("welcome-back"))
    expected = re.escape("step 'welcome-back' of flow 'greet' is not a question")

    with pytest.raises(FlowError, match=expected):
        if ask == "prompt_at":
            prompt_at(GREET, CONTEXT, state)
        else:
            answer(GREET, CONTEXT, state, Choose("yes"))


def test_a_flow_that_loops_without_asking_names_the_flow() -> None:
    flow = Flow(
        "spin",
        "Spin",
        (
            BranchStep("check", (), otherwise="again"),
            MessageStep("again", "Once more.", next="check"),
        ),
    )

    with pytest.raises(FlowError, match=re.escape("flow 'spin' goes round without asking")):
        start(flow, CONTEXT)


# --- What a later screen can say about an earlier answer -----------------------------------


def test_a_skipped_answer_reads_as_nothing_in_later_text_never_none() -> None:
    flow = Flow(
        "ask-org",
        "Ask organisation",
        (
            TextStep("org", "Which organisation?", save_as="organisation", skippable=True),
            EndStep("done", "Thanks{organisation}."),
        ),
    )
    turn = play(flow, Skip())
    [end] = turn.shown
    assert end.params["organisation"] == ""
    assert end.text.format_map(end.params) == "Thanks."


def test_a_rating_on_a_scale_the_guide_lacks_names_the_step_and_scale() -> None:
    flow = Flow("odd", "Odd", (RatingStep("rate", "How is it?", scale="seven", save_as="r"),))
    with pytest.raises(FlowError, match=r"^step 'rate' uses unknown scale 'seven'$"):
        start(flow, CONTEXT)


def test_a_stored_place_at_a_step_that_is_gone_names_the_flow_and_step() -> None:
    state = State("sign-up", Cursor("hobbies"))
    with pytest.raises(FlowError, match=r"^flow 'sign-up' has no step 'hobbies'$"):
        prompt_at(SIGN_UP, CONTEXT, state)


def test_a_next_that_names_no_step_names_the_flow_and_the_missing_step() -> None:
    flow = Flow(
        "sign-up",
        "Sign up",
        (TextStep("name", "Your name?", save_as="name", next="thanks"), EndStep("done", "Bye.")),
    )
    with pytest.raises(FlowError, match=r"^flow 'sign-up' has no step 'thanks'$"):
        play(flow, Type("Ann"))
