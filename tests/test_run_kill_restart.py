"""Kill -9 the real `run` command again and again while people rate: nothing lost, nothing twice.

Four people do a self-evaluation each against the fake Bot API over real HTTP. The bot is
killed with SIGKILL at seeded random moments (at least `MIN_KILLS` times): while a batch of
updates is on its way, while the getUpdates that would confirm a batch is held in the server
(so Telegram, here the fake, hands the batch out again to the next process), around a
sendMessage / edit / answerCallbackQuery, at a random moment after a tap, and during
start-up. Each time it is started again on the same database, and the people carry on as
people do: they read the last message in their chat, and when the bot has gone quiet without
answering they send /resume or tap the same button again.

Each person keeps a model of where the bot should be: the step and the turn their last
acknowledged answer led to, and the answers still in flight. Every question the bot shows
must be where one of those answers leads (so it never skips, repeats or loses a step), and
no one ever sees an error or a "that didn't work" text. After the last, clean stop the
database must hold, for each person, one evaluation with exactly one row per statement whose
rating is the last one they tapped (and their notes), and every update handled.

The seed is printed, and is in every failure message; ``KILL_RESTART_SEED=<seed>`` replays
the same plan (the kill moments depend on timing too, so a replay is close, not identical).
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any

import httpx
import pytest
import yaml

from bot.loading import load_guide
from storage import Store
from tests.botapi_server import FakeBotApi, Hold, button_labels
from tests.test_run_cli_local_bot_api import (
    BOT_TOKEN,
    REPO,
    TOKEN_SECRET,
    bot_environment,
    read_output,
    redacted,
)

Message = dict[str, Any]
# A person's place as the bot shows it: ("org",), ("rate", n, keep), ("evidence", n) or
# ("done",), with the turn the buttons carry (None for "done").
Step = tuple[Any, ...]
State = tuple[Step, int | None]

STATEMENTS = 7
LEVELS = (
    "1 — Commitment",
    "2 — Developing",
    "3 — Implementation",
    "4 — Operational",
    "5 — Sustainable Delivery",
)
MIN_KILLS = 20
PLANNED_KILLS = 22  # the last answers wait for the 20th (see kills_due)
TEST_BUDGET = 75.0  # seconds for the whole run: a hard stop well past the usual ~35 s
STUCK_AFTER = 15.0  # seconds without a new screen for someone still rating: a failure
QUIET = 0.3  # seconds of silence from a settled bot after which a person tries again
ARM_AFTER = 0.3  # seconds after the bot is up when a kill arms even if nobody acted
TRIGGER_TIMEOUT = 1.0  # a kill waiting for its moment that does not come kills anyway
TICK = 0.005
THINK = (0.02, 0.2)  # seconds a person takes to read a question before answering
ERROR_KEYS = (
    "error.generic",
    "eval.button_gone",
    "eval.in_progress",
    "eval.in_progress_round",
    "eval.looks_like_a_number",
    "unknown_command",
    "unsupported_message",
)
STATEMENT = re.compile(r"^Statement (\d+) of (\d+)")
EVALUATION_BUTTON = re.compile(r"^e:(\d+):(\d+):")


def shown_words(key: str) -> str:
    """Return the longest fixed stretch of a text as a person sees it (tags dropped)."""
    texts = yaml.safe_load((REPO / "content" / "texts.yaml").read_text(encoding="utf-8"))
    plain = re.sub(r"<[^>]+>", "", str(texts["texts"][key]))
    pieces = [" ".join(piece.split()) for piece in re.split(r"\{[^}]*\}", plain)]
    words = max(pieces, key=len)[:50]
    assert len(words) >= 10, (key, words)
    return words


def error_texts() -> list[str]:
    """Return words of every text a person must never see here (apologies, problems)."""
    texts = yaml.safe_load((REPO / "content" / "texts.yaml").read_text(encoding="utf-8"))
    keys = [*ERROR_KEYS, *(key for key in texts["texts"] if key.startswith("problem."))]
    return [shown_words(key) for key in keys]


class Failure(AssertionError):
    """What a person saw that must not happen."""


# -- the people -------------------------------------------------------------------------------


@dataclass
class Action:
    """Something a person sent, and the state they saw when they sent it."""

    kind: str  # "evaluate", "resume", "text" or "tap"
    made_on: State | None
    label: str = ""
    message_id: int | None = None
    update_id: int = 0
    retry: bool = False
    kills_before: int = 0  # kills there had been when it was sent


@dataclass
class Person:
    """One Telegram user rating alone, with a plan and a model of where the bot is."""

    user_id: int
    name: str
    first: dict[int, int]  # statement number -> the level tapped first
    change: dict[int, int]  # statement number -> the level chosen after going Back
    notes: dict[int, str]  # statement number -> the note typed (else Skip)
    known: State | None = None  # the state the last acknowledged answer led to
    inflight: list[Action] = field(default_factory=list)
    rated: dict[int, int] = field(default_factory=dict)  # acknowledged: the last per statement
    noted: dict[int, str] = field(default_factory=dict)
    changed: set[int] = field(default_factory=set)
    finished: bool = False
    evaluation_ids: set[int] = field(default_factory=set)
    seen_key: tuple[Any, ...] | None = None
    act_at: float | None = None  # when the person answers the screen in front of them
    act_on: State | None = None
    last_change: float = 0.0  # when the person last saw something new or acted
    outbox_seen: int = 0
    tapped_labels: dict[int, str] = field(default_factory=dict)  # message id -> last label
    history: list[str] = field(default_factory=list)
    update_ids: list[int] = field(default_factory=list)
    sent: list[Action] = field(default_factory=list)
    stale_seen: int = 0

    @property
    def organisation(self) -> str:
        return f"{self.name} Borough Council"

    def note(self, text: str) -> None:
        self.history.append(text)
        del self.history[:-40]


def plan_people(rng: random.Random, count: int = 4) -> list[Person]:
    """Up to four people: first taps, a change of mind after Back here and there, some notes."""
    people = []
    for index, name in enumerate(("Ann", "Ben", "Cat", "Dev")[:count]):
        first = {n: rng.randint(1, 5) for n in range(1, STATEMENTS + 1)}
        change = {
            n: rng.choice([level for level in range(1, 6) if level != first[n]])
            for n in first
            if rng.random() < 0.2
        }
        notes = {n: f"Evidence from {name} on statement {n}" for n in first if rng.random() < 0.3}
        people.append(Person(4001 + index, name, first, change, notes))
    return people


def kills_due(state: State, planned: int = PLANNED_KILLS) -> int:
    """How many kills there must have been before a person answers this question.

    People who get ahead of the kills take a break, so the kills are spread over the whole
    evaluation and there are ``planned`` (nearly) before the last answer.
    """
    step = state[0]
    if step[0] not in ("rate", "evidence"):
        return 0
    stage = 2 * int(step[1]) - (1 if step[0] == "rate" else 0)
    return stage * planned // (2 * STATEMENTS + 1)


def step_after(step: Step, action: Action) -> Step:
    """Where an accepted answer leads from a step."""
    kind = step[0]
    if kind == "org":
        return ("rate", 1, False)
    if kind == "rate":
        return ("evidence", step[1])
    assert kind == "evidence", step
    if action.kind == "tap" and action.label == "⬅ Back":
        return ("rate", step[1], True)
    return ("done",) if step[1] == STATEMENTS else ("rate", step[1] + 1, False)


def apply(state: State | None, action: Action) -> State | None:
    """The state after the bot handles an action (a stale button changes nothing)."""
    if action.kind == "evaluate":
        return (("org",), 0) if state is None else state
    if state is None or action.kind == "resume" or state[0] == ("done",):
        return state
    step, turn = state
    assert turn is not None
    # Typed text answers only a text question; a button only the question it came with.
    accepted = step[0] in ("org", "evidence") if action.kind == "text" else action.made_on == state
    if not accepted:
        return state
    following = step_after(step, action)
    return (following, None if following == ("done",) else turn + 1)


def screen_state(message: Message, done_texts: tuple[str, ...]) -> State | None:
    """Read a person's last message: the question it asks (and its turn), or None."""
    text = message.get("text") or message.get("caption") or ""
    labels = button_labels(message)
    if any(done in text for done in done_texts):
        return (("done",), None)
    turns = {
        int(found[2])
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
        for button in row
        if (found := EVALUATION_BUTTON.match(str(button.get("callback_data", ""))))
    }
    if len(turns) != 1:
        return None  # no question buttons: a message, an answered question, a notice
    turn = turns.pop()
    statement = STATEMENT.match(text)
    if statement is not None:
        assert int(statement[2]) == STATEMENTS, text[:80]
        number = int(statement[1])
        if "What evidence" in text:
            return (("evidence", number), turn)
        if LEVELS[0] in labels:
            return (("rate", number, "Keep my answer" in labels), turn)
        return None
    if "Which council or organisation" in text:
        return (("org",), turn)
    return None


def evaluation_ids(message: Message) -> set[int]:
    """Return the evaluation ids the message's buttons carry."""
    return {
        int(found[1])
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
        for button in row
        if (found := EVALUATION_BUTTON.match(str(button.get("callback_data", ""))))
    }


# -- the run ----------------------------------------------------------------------------------


@dataclass
class Kill:
    """The next kill: how its moment is found, and what is armed for it."""

    mode: str
    gap: int  # person actions to let through once the bot is up, before arming
    ready_at: int | None = None  # how many actions there were when the bot was up
    armed_at: float | None = None
    hold: Hold | None = None
    batches: int = 0
    kill_at: float | None = None
    detail: str = ""


class Run:
    """The bot process, its restarts and kills, and the people playing against it."""

    def __init__(
        self,
        server: FakeBotApi,
        tmp_path: Path,
        seed: int,
        *,
        planned_kills: int = PLANNED_KILLS,
        people: int = 4,
        budget: float = TEST_BUDGET,
        quiet: float = QUIET,
    ) -> None:
        self.server = server
        self.tmp_path = tmp_path
        self.database = tmp_path / "guide.db"
        self.seed = seed
        self.rng = random.Random(seed)
        self.people = plan_people(self.rng, people)
        self.planned_kills = planned_kills
        self.budget = budget
        self.quiet = quiet
        self.notice = shown_words("delivery.failed")
        self.notices_seen = 0
        self.errors = error_texts()
        self.stale = shown_words("eval.stale_button")
        self.done_texts = (
            f"You rated {STATEMENTS} of {STATEMENTS}",
            shown_words("eval.nothing_to_resume"),
        )
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.started_at = 0.0
        self.polls_at_start = 0
        self.ready_at: float | None = None  # when this process was first seen polling
        self.start_times: list[float] = []  # seconds from spawn to the first getUpdates
        self.actions = 0  # everything the people sent so far
        self.kills: Counter[str] = Counter()
        self.kill_log: list[str] = []
        self.next_kill: Kill | None = None
        self.logs: list[Path] = []
        self.began = time.monotonic()

    # -- the process ---------------------------------------------------------------------------

    def start(self) -> None:
        self.starts += 1
        log = self.tmp_path / f"run-{self.starts:02d}.log"
        self.logs.append(log)
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "run"],
                cwd=REPO,
                env=bot_environment(self.server.base_url, self.database),
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        self.started_at = time.monotonic()
        self.polls_at_start = self.server.polls
        self.ready_at = None
        self.next_kill = self.plan_kill() if sum(self.kills.values()) < self.planned_kills else None

    def kill(self, why: str) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None
        # What the dead process left in the server: its long polls, requests held for it.
        self.server.drop_waiting_polls()
        self.server.cancel_holds()
        self.kills[why.split(":")[0]] += 1
        self.kill_log.append(f"{time.monotonic() - self.began:6.2f}s {why}")

    def settled(self) -> bool:  # for the end: everything taken, nobody waiting
        """Tell whether the running bot has taken every update and has been quiet a while."""
        return (
            self.process is not None
            and self.server.polls > self.polls_at_start
            and self.server.waiting_polls > 0
            and not self.server.unconfirmed
            and time.monotonic() - self.server.last_activity > QUIET
        )

    # -- kills ---------------------------------------------------------------------------------

    def plan_kill(self) -> Kill:
        modes = ["batch", "confirm", "confirm", "api", "api", "timer", "startup"]
        return Kill(mode=self.rng.choice(modes), gap=self.rng.randint(0, 2))

    def arm(self, kill: Kill) -> None:
        now = time.monotonic()
        kill.armed_at = now
        if kill.mode == "timer":
            kill.kill_at = now + self.rng.uniform(0.0, 0.3)
        elif kill.mode == "batch":
            kill.batches = self.server.batches_delivered
        elif kill.mode == "confirm":
            # Hold the getUpdates that would confirm the batch the bot is handling.
            kill.hold = self.server.hold("getUpdates", when=self.server.would_confirm)
        elif kill.mode == "api":
            method = self.rng.choice(
                ["sendMessage", "editMessageText", "editMessageReplyMarkup", "answerCallbackQuery"]
            )
            after = self.rng.random() < 0.5
            kill.detail = f"{method} {'after' if after else 'before'} it took effect"
            kill.hold = self.server.hold(method, after=after)

    def tick_kill(self) -> None:
        kill = self.next_kill
        if kill is None or self.process is None:
            return
        now = time.monotonic()
        if kill.mode == "startup":
            if kill.kill_at is None:
                kill.kill_at = self.started_at + self.rng.uniform(0.15, 0.9)
        elif kill.armed_at is None:
            # Other kills come once the bot is up (polling) and people have acted a little.
            if self.up(now) and self.ready_at is not None:
                if kill.ready_at is None:
                    kill.ready_at = self.actions
                if self.actions - kill.ready_at >= kill.gap or now - self.ready_at > ARM_AFTER:
                    self.arm(kill)
            return
        if kill.kill_at is None:
            assert kill.armed_at is not None
            if kill.hold is not None and kill.hold.reached.is_set():
                spread = 0.1 if kill.mode == "confirm" else 0.03
                kill.kill_at = now + self.rng.uniform(0.0, spread)
            elif kill.mode == "batch" and self.server.batches_delivered > kill.batches:
                kill.kill_at = now + self.rng.uniform(0.0, 0.05)
            elif now - kill.armed_at > TRIGGER_TIMEOUT:
                kill.mode, kill.kill_at = f"{kill.mode}-never-came", now
        if kill.kill_at is not None and now >= kill.kill_at:
            self.kill(f"{kill.mode}: {kill.detail}".rstrip(": "))

    # -- people ----------------------------------------------------------------------------------

    def send(self, person: Person, action: Action, text: str) -> None:
        if action.kind == "tap" or action.message_id is not None:
            update = self.server.user_taps(
                action.label,
                user_id=person.user_id,
                first_name=person.name,
                message_id=action.message_id,
            )
            assert action.message_id is not None
            person.tapped_labels[action.message_id] = action.label
        else:
            update = self.server.user_sends(text, user_id=person.user_id, first_name=person.name)
        action.update_id = update["update_id"]
        person.update_ids.append(action.update_id)
        person.inflight.append(action)
        person.sent.append(action)
        action.kills_before = sum(self.kills.values())
        person.last_change = time.monotonic()
        self.actions += 1
        person.note(f"sent {action.kind} {action.label or text!r} on {action.made_on}")

    def fail(self, person: Person, problem: str) -> Failure:
        server = self.server
        return Failure(
            f"{person.name} (chat {person.user_id}): {problem}\n"
            f"  server: unconfirmed={server.unconfirmed} waiting polls={server.waiting_polls} "
            f"quiet for {time.monotonic() - server.last_activity:.2f} s, "
            f"deliveries of their updates="
            f"{[(u, server.deliveries.get(u, 0)) for u in person.update_ids[-4:]]}\n"
            f"  model: known={person.known} in flight="
            f"{[(a.kind, a.label, a.made_on) for a in person.inflight]}\n"
            "  last events:\n    " + "\n    ".join(person.history)
        )

    def read_new_messages(self, person: Person) -> None:
        """Look at every message or edit the bot made in the person's chat since last time."""
        outbox = self.server.telegram.outbox
        while person.outbox_seen < len(outbox):
            stored = outbox[person.outbox_seen]
            person.outbox_seen += 1
            if stored.chat_id != person.user_id:
                continue
            text = " ".join((stored.text or "").split())
            if self.stale in text and stored.edit_date is None:
                # Only a second tap on the same button earns this notice. It stores nothing, so
                # a kill before its update is marked done may send it once more on restart.
                person.stale_seen += 1
                kills = sum(self.kills.values())
                allowed = sum(1 + kills - a.kills_before for a in person.sent if a.retry)
                if person.stale_seen > allowed:
                    raise self.fail(
                        person,
                        f"{person.stale_seen} 'earlier question' notices, {allowed} at most "
                        "from taps made again: a tap was handled twice",
                    )
            for opening in self.errors:
                if opening in text:
                    raise self.fail(person, f"the bot said {text[:160]!r}")
            # A tapped question edited to "Your answer: X" must name what was tapped.
            answered = re.search(r"Your answer: (.+)$", text)
            tapped = person.tapped_labels.get(stored.message_id)
            if answered and tapped in LEVELS and answered[1] != tapped:
                raise self.fail(person, f"tapped {tapped!r} but the bot shows {text[-60:]!r}")

    def tick_person(self, person: Person) -> None:
        if person.finished:
            return
        self.read_new_messages(person)
        bot_id = self.server.telegram.bot_user["id"]
        shown = [
            m
            for m in self.server.telegram.chat_messages(person.user_id)
            if m.sender["id"] == bot_id
        ]
        now = time.monotonic()
        if not person.update_ids:
            self.send(person, Action("evaluate", None), "/evaluate")
            return
        latest = self.server.telegram.message_json(shown[-1]) if shown else None
        key = None if latest is None else (latest["message_id"], json.dumps(latest, sort_keys=True))
        if latest is not None and key != person.seen_key:
            person.seen_key = key
            person.last_change = now
            state = screen_state(latest, self.done_texts)
            first_line = (latest.get("text") or "").split("\n")[0][:50]
            person.note(f"sees #{latest['message_id']} {first_line!r} -> {state}")
            person.act_at = None
            text = " ".join((latest.get("text") or "").split())
            if state is None and self.notice in text:
                # "A message from me did not reach you": carry on from the notice's button.
                self.notices_seen += 1
                carry_on = button_labels(latest)[0]
                action = Action("resume", person.known, carry_on, latest["message_id"])
                self.send(person, action, "")
                return
            if state is not None:
                self.acknowledge(person, state)
                # A moment to read the screen before answering it.
                person.act_at = now + self.rng.uniform(*THINK)
                person.act_on = state
            return
        if latest is not None and person.act_at is not None and now >= person.act_at:
            assert person.act_on is not None
            if self.kills_so_far() < kills_due(person.act_on, self.planned_kills):
                person.act_at = now + 0.05  # ahead of the kills: a short break
                return
            person.act_at = None
            self.act(person, latest, person.act_on)
            return
        if now - person.last_change > STUCK_AFTER:
            raise self.fail(person, f"no new screen for {STUCK_AFTER:g} s")
        if person.inflight and person.act_at is None and self.quiet_for(person, now):
            self.retry(person, latest)

    def kills_so_far(self) -> int:
        """Count the kills done, and the one armed now (the next answer may set it off)."""
        armed = self.next_kill is not None and self.next_kill.armed_at is not None
        return sum(self.kills.values()) + int(armed)

    def up(self, now: float) -> bool:
        """Tell whether the bot has started polling (noting when it was first seen to)."""
        if self.process is None or self.server.polls <= self.polls_at_start:
            return False
        if self.ready_at is None:
            self.ready_at = now
            self.start_times.append(now - self.started_at)
        return True

    def quiet_for(self, person: Person, now: float) -> bool:
        """Tell whether the bot is up, has taken the person's messages, and is silent to them."""
        if not self.up(now) or self.ready_at is None:
            return False
        waiting = set(self.server.unconfirmed)
        return (
            not any(update_id in waiting for update_id in person.update_ids[-3:])
            and now - max(person.last_change, self.ready_at) > self.quiet
        )

    def acknowledge(self, person: Person, state: State) -> None:
        """Match a shown question to the model: where an answer in flight (or none) leads."""
        states = [person.known]
        for action in person.inflight:
            states.append(apply(states[-1], action))
        if state not in states:
            raise self.fail(
                person, f"the bot asks {state}, but the answers given lead to one of {states}"
            )
        index = states.index(state)
        current = person.known
        for action in person.inflight[:index]:
            following = apply(current, action)
            if following != current and current is not None and action.kind != "evaluate":
                step = current[0]
                if step[0] == "rate" and action.kind == "tap":
                    person.rated[step[1]] = LEVELS.index(action.label) + 1
                    if step[2]:
                        person.changed.add(step[1])
                elif step[0] == "evidence" and action.kind == "text":
                    person.noted[step[1]] = action.label
            current = following
        person.known = state
        del person.inflight[:index]

    def act(self, person: Person, latest: Message, state: State) -> None:
        """Answer the question in front of the person (unless they already did)."""
        step = state[0]
        if step == ("done",):
            if any(a.kind != "resume" for a in person.inflight):
                raise self.fail(person, "the evaluation ended with answers still in flight")
            person.finished = True
            person.note("finished")
            return
        if any(a.made_on == state and a.kind in ("tap", "text") for a in person.inflight):
            return  # answered already: wait for the bot
        ids = evaluation_ids(latest)
        person.evaluation_ids |= ids
        if len(person.evaluation_ids) != 1:
            raise self.fail(person, f"questions from evaluations {sorted(person.evaluation_ids)}")
        message_id = latest["message_id"]
        if step[0] == "org":
            self.send(person, Action("text", state, person.organisation), person.organisation)
        elif step[0] == "rate":
            number, keep = step[1], step[2]
            level = person.change[number] if keep else person.first[number]
            self.send(person, Action("tap", state, LEVELS[level - 1], message_id), "")
        elif step[1] in person.change and step[1] not in person.changed:
            self.send(person, Action("tap", state, "⬅ Back", message_id), "")
        elif step[1] in person.notes:
            note = person.notes[step[1]]
            self.send(person, Action("text", state, note), note)
        else:
            self.send(person, Action("tap", state, "Skip", message_id), "")

    def retry(self, person: Person, latest: Message | None) -> None:
        """The bot went quiet without answering: tap the same button again, or /resume."""
        last = person.inflight[-1]
        same_button = (
            last.kind == "tap"
            and latest is not None
            and latest["message_id"] == last.message_id
            and last.label in button_labels(latest)
        )
        if same_button and self.rng.random() < 0.5:
            again = Action("tap", last.made_on, last.label, last.message_id, retry=True)
            self.send(person, again, "")
        else:
            self.send(person, Action("resume", person.known, retry=True), "/resume")

    # -- the whole run ---------------------------------------------------------------------------

    def play(self) -> None:
        deadline = self.began + self.budget
        while not all(person.finished for person in self.people):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"not done within {self.budget:g} s: "
                    + "; ".join(f"{p.name} at {p.known}" for p in self.people)
                )
            if self.process is None:
                if self.starts and self.rng.random() < 0.3:
                    time.sleep(self.rng.uniform(0.0, 0.2))  # down a moment: updates wait
                self.start()
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(
                    f"`run` exited by itself with code {self.process.returncode}:\n"
                    + redacted(read_output(self.logs[-1]))
                )
            for person in self.people:
                self.tick_person(person)
            if not all(person.finished for person in self.people):
                self.tick_kill()
            time.sleep(TICK)
        # The last process runs until it has taken everything (after a last kill, a new one).
        if self.process is None:
            self.start()
        if not self.server.wait_until(self.settled, timeout=STUCK_AFTER):
            raise AssertionError(f"the last `run` never settled:\n{last_output(self)}")

    def stop(self) -> int | None:
        """Stop the bot as an operator does (Ctrl-C); kill it if it will not stop."""
        if self.process is None:
            return None
        process, self.process = self.process, None
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        return process.returncode

    def summary(self) -> str:
        redelivered = sum(1 for count in self.server.deliveries.values() if count > 1)
        return (
            f"seed {self.seed}: {sum(self.kills.values())} kills {dict(self.kills)}, "
            f"{self.starts} starts (up after {median(self.start_times or [0]):.2f} s, median), "
            f"{redelivered} updates handed out again, "
            f"{time.monotonic() - self.began:.1f} s"
        )


@pytest.fixture
def server() -> Iterator[FakeBotApi]:
    with FakeBotApi(BOT_TOKEN) as api:
        yield api


def test_kill_9_at_random_moments_loses_and_doubles_nothing(
    server: FakeBotApi, tmp_path: Path
) -> None:
    seed = int(os.environ.get("KILL_RESTART_SEED") or random.SystemRandom().randrange(10**6))
    print(f"kill/restart seed: {seed} (replay with KILL_RESTART_SEED={seed})")
    run = Run(server, tmp_path, seed)
    try:
        try:
            run.play()
        finally:
            returncode = run.stop()
        check_database(run)
        assert returncode == 0, f"the last `run` did not stop cleanly:\n{last_output(run)}"
        kills = sum(run.kills.values())
        assert kills >= MIN_KILLS, f"only {kills} kills before everyone finished"
        # A kill after a tap was answered but before its update was marked done makes the next
        # process handle it again: Telegram then refuses the second answer as too old. That is
        # the price of at-least-once handling; what matters is that nothing is counted twice
        # (checked above) and nobody is shown an error (checked as the users play). Removing
        # buttons already removed is refused the same way ("not modified") and ignored.
        harmless = ("query is too old", "message is not modified")
        others = [
            c for c in server.telegram.refusals if not any(h in (c.error or "") for h in harmless)
        ]
        assert not others, f"Telegram refused: {[c.error for c in others]}"
        output = "".join(read_output(log) for log in run.logs)
        leaked = TOKEN_SECRET in output
        assert not leaked, "the bot token appeared in the output of `run`"
    except AssertionError as error:
        kills_so_far = "\n  ".join(run.kill_log[-8:])
        raise AssertionError(
            f"[{run.summary()}; replay with KILL_RESTART_SEED={seed}]\n{error}\n"
            f"last kills:\n  {kills_so_far}"
        ) from None
    print(run.summary())


def last_output(run: Run) -> str:
    return redacted(read_output(run.logs[-1])) if run.logs else "(no output)"


def check_database(run: Run) -> None:
    """Every acknowledged answer stored once, as last given; every update handled once."""
    store = Store.open(run.database)
    try:
        rows = store.export_rows()
        for person in run.people:
            participant = store.participant_for(str(person.user_id))
            evaluations = store.evaluations_for(participant)
            assert len(evaluations) == 1, (
                f"{person.name} started one evaluation; the store has {len(evaluations)}"
            )
            assert evaluations[0].status == "finished", (person.name, evaluations[0].status)
            assert person.evaluation_ids == {evaluations[0].id}, (person.name, evaluations)
            mine = [row for row in rows if row.participant == participant]
            per_statement = Counter(row.statement_id for row in mine)
            doubled = {k: n for k, n in per_statement.items() if n != 1}
            assert not doubled, f"{person.name}: statements stored more than once: {doubled}"
            ordered = [s.id for s in load_guide().content.statements]
            stored = {ordered.index(row.statement_id) + 1: row for row in mine}
            assert sorted(stored) == list(range(1, STATEMENTS + 1)), (person.name, sorted(stored))
            ratings = {n: row.rating for n, row in stored.items()}
            assert ratings == person.rated, (
                f"{person.name}: stored ratings {ratings} != tapped {person.rated}"
            )
            expected_plan = {
                n: person.change.get(n, person.first[n]) for n in range(1, STATEMENTS + 1)
            }
            assert person.rated == expected_plan, (person.name, person.rated, expected_plan)
            notes = {n: row.note for n, row in stored.items() if row.note}
            assert notes == person.noted == person.notes, (person.name, notes, person.noted)
            assert {row.organisation for row in mine} == {person.organisation}
        everyone = {p.user_id for p in run.people}
        assert len({row.participant for row in rows}) == len(everyone), "answers from strangers"
        assert not store.waiting_updates(), "updates kept but never handled"
        assert not store.dead_letters(), [d.error for d in store.dead_letters()]
        sent = [update_id for person in run.people for update_id in person.update_ids]
        not_done = [update_id for update_id in sent if not store.update_done(update_id)]
        assert not not_done, f"updates the people sent but the store never handled: {not_done}"
    finally:
        store.close()


# -- the fake server behaves as Telegram across a crash -------------------------------------------


def _get_updates(server: FakeBotApi, **params: Any) -> httpx.Response:
    base = server.base_url.removesuffix("/bot")
    # trust_env=False: no proxy may sit between the test and 127.0.0.1.
    with httpx.Client(trust_env=False, timeout=10) as client:
        return client.post(f"{base}/bot{BOT_TOKEN}/getUpdates", json=params)


def test_unconfirmed_updates_are_handed_out_again_until_an_offset_confirms_them(
    server: FakeBotApi,
) -> None:
    first = server.user_sends("one")["update_id"]
    second = server.user_sends("two")["update_id"]
    ids = [u["update_id"] for u in _get_updates(server).json()["result"]]
    assert ids == [first, second]
    # The process that fetched them died before asking again: the next one gets them again.
    ids = [u["update_id"] for u in _get_updates(server, offset=0).json()["result"]]
    assert ids == [first, second]
    ids = [u["update_id"] for u in _get_updates(server, offset=second).json()["result"]]
    assert ids == [second]
    assert server.deliveries == {first: 2, second: 3}
    assert _get_updates(server, offset=second + 1, timeout=0).json()["result"] == []
    assert server.unconfirmed == []


def test_a_held_confirmation_that_is_dropped_confirms_nothing(server: FakeBotApi) -> None:
    update_id = server.user_sends("hello")["update_id"]
    hold = server.hold("getUpdates", when=server.would_confirm)
    assert _get_updates(server).json()["result"][0]["update_id"] == update_id  # not held
    results: list[Any] = []

    def confirm() -> None:
        try:
            results.append(_get_updates(server, offset=update_id + 1, timeout=0).status_code)
        except httpx.HTTPError as error:
            results.append(type(error).__name__)

    thread = threading.Thread(target=confirm)
    thread.start()
    assert hold.reached.wait(5), "the confirming getUpdates was not held"
    assert server.unconfirmed == [update_id]
    hold.release()  # the bot was killed: its request never reached Telegram
    thread.join(5)
    assert results and results[0] != 200, results
    assert server.unconfirmed == [update_id]
    assert _get_updates(server).json()["result"][0]["update_id"] == update_id


def test_drop_waiting_polls_ends_a_dead_bots_long_poll(server: FakeBotApi) -> None:
    results: list[Any] = []

    def poll() -> None:
        try:
            results.append(_get_updates(server, timeout=20).json())
        except httpx.HTTPError as error:
            results.append(type(error).__name__)

    thread = threading.Thread(target=poll)
    thread.start()
    assert server.wait_until(lambda: server.waiting_polls == 1, timeout=5)
    server.drop_waiting_polls()
    thread.join(5)
    assert not thread.is_alive() and results and not isinstance(results[0], dict), results
    update_id = server.user_sends("after")["update_id"]
    assert server.deliveries == {}  # the dropped poll handed nothing out
    assert _get_updates(server).json()["result"][0]["update_id"] == update_id
