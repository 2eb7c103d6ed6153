"""One person flooding the bot is slowed and told so; everyone else is answered as usual."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import FloodLimit, Settings
from bot.loading import Guide
from bot.telegram.flood import GATE_KEY, FloodGate, Verdict
from tests.conftest import RunningBot, running_bot

SLOW_DOWN = "sending messages very fast"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_admitted_then_refused_once_told_then_quietly() -> None:
    clock = Clock()
    gate = FloodGate(FloodLimit(burst=3, per_second=1.0), clock)
    assert [gate.admit(7) for _ in range(3)] == [Verdict.ADMIT] * 3
    assert gate.admit(7) is Verdict.REFUSE_AND_TELL
    assert gate.admit(7) is Verdict.REFUSE
    assert gate.admit(8) is Verdict.ADMIT, "another person has their own bucket"
    clock.now += 1.0  # one update's worth refilled
    assert gate.admit(7) is Verdict.ADMIT
    assert gate.admit(7) is Verdict.REFUSE_AND_TELL, "a new flood is told again"
    clock.now += 60
    assert [gate.admit(7) for _ in range(3)] == [Verdict.ADMIT] * 3, "refills up to the burst"
    assert gate.admit(7) is Verdict.REFUSE_AND_TELL


def test_idle_people_are_forgotten_when_many_are_tracked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.telegram.flood.PRUNE_ABOVE", 5)
    clock = Clock()
    gate = FloodGate(FloodLimit(burst=2, per_second=1.0), clock)
    for person in range(5):
        gate.admit(person)
    gate.admit(99)
    gate.admit(99)
    clock.now += 10
    gate.admit(100)  # the sixth person: the five idle (refilled) buckets go, 99's too
    assert gate.admit(99) is Verdict.ADMIT
    assert len(gate._buckets) <= 3


@pytest.fixture
async def limited(database: Path, guide: Guide) -> AsyncIterator[RunningBot]:
    settings = Settings(database=database, flood=FloodLimit(burst=5, per_second=1.0))
    async with running_bot(database, guide, settings) as running:
        running.application.bot_data[GATE_KEY].clock = Clock()  # type: ignore[attr-defined]
        yield running


async def test_fifty_messages_at_once_are_slowed_and_others_are_unaffected(
    limited: RunningBot,
) -> None:
    flooder = limited.chat(user_id=5001, first_name="Flo")
    other = limited.chat(user_id=5002, first_name="Ola")
    told = 0
    answered = 0
    for n in range(50):
        replies = await flooder.send(f"safe staffing {n}")
        told += sum(SLOW_DOWN in reply.text for reply in replies)
        answered += sum(SLOW_DOWN not in reply.text for reply in replies) > 0
        if n % 10 == 0:
            await other.send("/start")
            assert "Self-evaluation" in other.last.labels, "someone else is answered as usual"
    assert answered == 5, "the burst is answered"
    assert told == 1, "told once, not 45 times"
    # Time passes; the same person is answered again.
    gate = limited.application.bot_data[GATE_KEY]  # type: ignore[attr-defined]
    gate.clock.now += 3
    await flooder.send("/start")
    assert "Self-evaluation" in flooder.last.labels


async def test_a_flood_of_taps_is_answered_so_no_button_keeps_spinning(
    limited: RunningBot,
) -> None:
    chat = limited.chat()
    await chat.send("/start")
    menu = chat.last
    answers: list[str] = []
    for _ in range(8):
        await chat.tap("Privacy", message=menu)
        assert chat.callback_answered, "every tap is answered, even a held-back one"
        answers += chat.callback_answers
    assert sum("Too fast" in answer for answer in answers) == 1, answers


async def test_a_held_back_message_is_never_taken_for_an_answer(limited: RunningBot) -> None:
    chat = limited.chat()
    await chat.send("/evaluate")
    assert "Which council or organisation" in chat.last.text
    for _ in range(6):
        await chat.send("/help")
    await chat.send("Leeds City Council")  # held back: the bucket is empty
    participant = limited.store.participant_for(str(chat.user["id"]))
    evaluation = limited.store.evaluations_for(participant)[0]
    assert evaluation.organisation is None
    gate = limited.application.bot_data[GATE_KEY]  # type: ignore[attr-defined]
    gate.clock.now += 5
    await chat.send("Leeds City Council")
    assert "Statement 1 of 7" in chat.last.text
