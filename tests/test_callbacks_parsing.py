"""Button data: what the bot encodes parses back exactly; anything else is refused.

Callback data comes back from the user's device, so a forged, truncated or outdated button must
parse to None (the handler then answers "that button doesn't work any more" and writes nothing).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.telegram import callbacks
from bot.telegram.callbacks import (
    ContinuePress,
    EvaluationPress,
    IndicatorsPress,
    LevelPress,
    MenuPress,
    OutcomesPress,
    ResourcePress,
    ResultsPress,
    SetupPress,
    TeamPress,
    TopicPress,
    WordsPress,
)
from bot.telegram.local_chat import LocalChat
from tests.conftest import RunningBot

# Each button is made inside the test (not when tests are collected), so a change to how
# buttons are encoded is seen by the test.
ROUND_TRIPS: list[tuple[Callable[[], str], callbacks.Press]] = [
    (lambda: callbacks.menu("main"), MenuPress("main")),
    (lambda: callbacks.menu("forgetyes"), MenuPress("forgetyes")),
    (lambda: callbacks.evaluation_option(12, 3, "5"), EvaluationPress(12, 3, "5", None)),
    (lambda: callbacks.evaluation_option(1, 0, "yes-new"), EvaluationPress(1, 0, "yes-new", None)),
    (lambda: callbacks.evaluation_action(12, 3, "back"), EvaluationPress(12, 3, None, "back")),
    (lambda: callbacks.evaluation_action(12, 3, "levels"), EvaluationPress(12, 3, None, "levels")),
    (lambda: callbacks.resource("care-act"), ResourcePress("care-act")),
    (lambda: callbacks.resource("care-act", question=True), ResourcePress("care-act", None, True)),
    (lambda: callbacks.resource("care-act", topic_id="pay"), ResourcePress("care-act", "pay")),
    (
        lambda: callbacks.resource("care-act", reading_of=42),
        ResourcePress("care-act", None, False, 42),
    ),
    (lambda: callbacks.topic("pay-and-rewards"), TopicPress("pay-and-rewards")),
    (lambda: callbacks.indicators("ascof"), IndicatorsPress("ascof", 0)),
    (lambda: callbacks.indicators("ascof", 1), IndicatorsPress("ascof", 1)),
    (lambda: callbacks.indicators("ascof", 12), IndicatorsPress("ascof", 12)),
    (lambda: callbacks.outcomes(0), OutcomesPress(0)),
    (lambda: callbacks.outcomes(3), OutcomesPress(3)),
    (lambda: callbacks.results(7), ResultsPress(7)),
    (lambda: callbacks.results(7, "reading"), ResultsPress(7, "reading", 0)),
    (lambda: callbacks.results(7, "notes", 2), ResultsPress(7, "notes", 2)),
    (lambda: callbacks.team(9, "open"), TeamPress(9, "open")),
    (lambda: callbacks.team(9, "agreeone", 0), TeamPress(9, "agreeone", 0)),
    (lambda: callbacks.team(9, "setagreed", 6, 5), TeamPress(9, "setagreed", 6, 5)),
    (lambda: callbacks.setup("org"), SetupPress("org")),
    (lambda: callbacks.setup("toggle", 4), SetupPress("toggle", 4)),
    (lambda: callbacks.level("self-evaluation", 3), LevelPress("self-evaluation", 3)),
    (lambda: callbacks.words((0,)), WordsPress((0,))),
    (lambda: callbacks.words((2, 10, 3)), WordsPress((2, 10, 3))),
    (lambda: callbacks.continue_evaluation(5), ContinuePress(5)),
]


@pytest.mark.parametrize(("make", "press"), ROUND_TRIPS, ids=[repr(p) for _, p in ROUND_TRIPS])
def test_every_button_the_bot_makes_parses_back_to_what_it_meant(
    make: Callable[[], str], press: callbacks.Press
) -> None:
    data = make()
    assert callbacks.parse(data) == press
    assert len(data.encode()) <= callbacks.MAX_BYTES


def test_the_first_page_of_a_list_and_later_pages_are_told_apart() -> None:
    first, second = callbacks.indicators("ascof", 0), callbacks.indicators("ascof", 1)

    assert first != second
    assert callbacks.parse(first) == IndicatorsPress("ascof", 0)
    assert callbacks.parse(second) == IndicatorsPress("ascof", 1)
    assert callbacks.results(7, "notes") == "v:7:notes"  # page 0 by default: the first
    assert callbacks.results(7, "notes", 1) == "v:7:notes:1"


FORGED = [
    None,
    "",
    "m:nosuchitem",  # an unknown menu item
    "m:MAIN",
    "e:1:1:hack",  # an unknown evaluation action
    "e:1:1:o.",  # an option with no id
    "e:1:1:o.DROP",
    "e:x:1:back",
    "g:1:dropall",  # an unknown team action
    "g:1:setagreed:1.6",  # a level off the scale
    "g:1:setagreed:1.0",
    "n:explode",  # an unknown setup action
    "s:self-evaluation:6",
    "s:self-evaluation:0",
    "v:1:secrets",
    "w:",
    "w:1..2",
    "r:care-act:x",
    "r:Care-Act",
    "t:",
    "o:",
    "o:123",
    "c:",
    "xm:main",  # a prefix not at the start
    "m:main:extra",  # anything after the end
    "m:main ",
    " m:main",
    "junk",
]


@pytest.mark.parametrize("data", FORGED)
def test_forged_or_garbled_data_is_refused(data: str | None) -> None:
    assert callbacks.parse(data) is None


@pytest.mark.parametrize("data", ["m:main\n", "e:1:1:o.5\n", "g:1:open\n", "w:1\n", "c:5\n"])
def test_a_trailing_line_break_is_refused(data: str) -> None:
    # A pattern's "$" also matches before a final line break: only a full match will do.
    assert callbacks.parse(data) is None


@pytest.mark.parametrize("data", ["e:1:1:o.", "t:", "w:", "g:1:", "n:"])
def test_an_unfinished_prefix_is_refused(data: str) -> None:
    assert callbacks.parse(data) is None


def test_data_over_64_bytes_is_refused_even_when_it_looks_right() -> None:
    long_id = "a" * 48  # the longest id a pattern allows
    at_limit = f"r:{long_id}:t.{'b' * 11}"  # 64 bytes
    over = f"r:{long_id}:t.{'b' * 12}"  # 65 bytes, still matching the pattern

    assert len(at_limit.encode()) == 64
    assert callbacks.parse(at_limit) == ResourcePress(long_id, "b" * 11)
    assert len(over.encode()) == 65
    assert callbacks.parse(over) is None


def test_data_counts_bytes_not_characters() -> None:
    # 30 characters of 3 bytes each: short as text, too long for Telegram.
    assert callbacks.parse("t:" + "€" * 30) is None


def test_making_a_button_over_64_bytes_fails_loudly() -> None:
    with pytest.raises(ValueError, match="over 64 bytes"):
        callbacks.topic("a" * 63)
    assert callbacks.topic("a" * 62) == "t:" + "a" * 62  # exactly 64 bytes is allowed


@pytest.mark.parametrize(
    "make",
    [
        lambda: callbacks.menu("hack"),
        lambda: callbacks.evaluation_action(1, 1, "hack"),
        lambda: callbacks.team(1, "hack"),
        lambda: callbacks.setup("hack"),
        lambda: callbacks.results(1, "hack"),
    ],
)
def test_the_bot_cannot_make_a_button_it_would_refuse(make: object) -> None:
    with pytest.raises(AssertionError):
        make()  # type: ignore[operator]


async def test_a_forged_action_is_refused_politely_and_writes_nothing(
    bot: RunningBot, chat: LocalChat
) -> None:
    await chat.send("/start")
    await chat.tap("Self-evaluation")
    await chat.send("Leeds City Council")
    question = chat.last
    real = question.callback_data("Skip") or ""
    evaluation_id, turn = real.split(":")[1:3]
    participant = bot.store.participant_for("1001")
    [evaluation] = bot.store.evaluations_for(participant)
    position = bot.store.load_position(participant)

    for forged in (
        f"e:{evaluation_id}:{turn}:finish",
        f"e:{evaluation_id}:{turn}:skip:again",
        f"xe:{evaluation_id}:{turn}:skip",
        f"e:{evaluation_id}:{turn}:skip" + "0" * 60,
    ):
        await chat.tap_data(forged, message=question)
        assert chat.callback_answered
        assert chat.callback_answers == ["Sorry, that button doesn't work any more."]
        assert chat.replies == []  # nothing sent, nothing edited

    assert bot.store.load_position(participant) == position
    # A made-up level in the right form is answered as a wrong tap: the question stays.
    await chat.tap_data(f"e:{evaluation_id}:{turn}:o.9", message=question)
    assert chat.callback_answered
    assert "Statement 1 of 7" in chat.last.text

    assert bot.store.answers_for(evaluation.id) == {}
    # The real button still works afterwards.
    await chat.tap("Skip")
    assert "Statement 2 of 7" in chat.last.text
