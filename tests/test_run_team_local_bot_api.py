"""End to end: three people play a team round over real HTTP against the real `run` command."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.team import show_code
from tests.botapi_server import FakeBotApi, NoReply, button_labels
from tests.test_run_cli_local_bot_api import (
    BOT_TOKEN,
    TOKEN_SECRET,
    bot_process,
    read_output,
    redacted,
)

Message = dict[str, Any]

ORGANISATION = "Leeds City Council"
STATEMENTS = 7
LEVELS = (
    "1 — Commitment",
    "2 — Developing",
    "3 — Implementation",
    "4 — Operational",
    "5 — Sustainable Delivery",
)
# Statement 3 is rated 1 by Ann and 4 by Ben: the only one 2+ levels apart, so it is flagged.
ANN_LEVELS = (2, 2, 1, 3, 2, 2, 3)
BEN_LEVELS = (3, 2, 4, 3, 3, 2, 4)
BEN_RATES_BEFORE_PAUSE = 5  # so Ben is still rating when the organiser sends reminders
FLAGGED = "3. Strengths-based culture beyond the front line"
CODE = re.compile(r"\?start=([A-Za-z0-9_-]+)")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
STEP_TIMEOUT = 20.0  # per reply; generous for a slow CI machine, a reply takes milliseconds


@dataclass(frozen=True)
class Person:
    """One Telegram user in a private chat with the bot (so the chat id is the user id)."""

    user_id: int
    first_name: str


OLIVE = Person(3001, "Olive")
ANN = Person(3002, "Ann")
BEN = Person(3003, "Ben")


def contains(*texts: str, button: str | None = None) -> Callable[[Message], bool]:
    """Match a message whose text (or caption) holds every one of ``texts`` (and a button)."""

    def match(message: Message) -> bool:
        shown = message.get("text") or message.get("caption") or ""
        if button is not None and button not in button_labels(message):
            return False
        return all(text in shown for text in texts)

    return match


@dataclass
class Chats:
    """The running `run` process and the fake Bot API, seen from the people's phones."""

    server: FakeBotApi
    process: subprocess.Popen[bytes]
    logs: tuple[Path, Path]

    def send(self, person: Person, text: str) -> None:
        """Have ``person`` type a message."""
        self.server.user_sends(text, user_id=person.user_id, first_name=person.first_name)

    def tap(self, person: Person, label: str) -> None:
        """Have ``person`` tap the newest button so labelled in their chat."""
        self.server.user_taps(label, user_id=person.user_id, first_name=person.first_name)

    def expect(self, person: Person, predicate: Callable[[Message], bool]) -> Message:
        """Wait for the bot's next matching message in ``person``'s chat; fail if `run` dies."""
        deadline = time.monotonic() + STEP_TIMEOUT
        while True:
            try:
                # Short waits so a crashed bot is reported at once, not after the timeout.
                return self.server.wait_for_reply(predicate, timeout=0.5, chat_id=person.user_id)
            except NoReply as error:
                if self.process.poll() is not None:
                    raise AssertionError(
                        f"`run` exited with code {self.process.returncode}:\n"
                        + redacted(read_output(*self.logs))
                    ) from None
                if time.monotonic() > deadline:
                    raise NoReply(f"After {STEP_TIMEOUT:g} s of waiting: {error}") from None

    def rate(self, person: Person, levels: tuple[int, ...], *, first: int = 1) -> Message:
        """Rate statements from number ``first`` on, skip each note; return the next screen."""
        shown: Message = {}
        for number, level in enumerate(levels, start=first):
            self.tap(person, LEVELS[level - 1])
            self.expect(
                person, contains(f"Statement {number} of {STATEMENTS}", "evidence", button="Skip")
            )
            self.tap(person, "Skip")
            if number < STATEMENTS:
                shown = self.expect(
                    person, contains(f"Statement {number + 1} of {STATEMENTS}", button=LEVELS[0])
                )
            else:
                shown = self.expect(person, contains(f"You rated {STATEMENTS} of {STATEMENTS}"))
        return shown


@pytest.fixture
def server() -> Iterator[FakeBotApi]:
    """Serve the fake Bot API on 127.0.0.1 for the length of the test."""
    with FakeBotApi(BOT_TOKEN) as api:
        yield api


def create_round(chats: Chats) -> str:
    """Start a round as Olive, from /team to her display name; return the join code."""
    chats.send(OLIVE, "/team")
    chats.expect(OLIVE, contains(button="Start a team evaluation"))
    chats.tap(OLIVE, "Start a team evaluation")
    chats.expect(OLIVE, contains("Which council or organisation"))
    chats.send(OLIVE, ORGANISATION)
    named = chats.expect(OLIVE, contains("What should the round be called?"))
    suggestion = next(label for label in button_labels(named) if label.startswith("Use “"))
    chats.tap(OLIVE, suggestion)
    chats.expect(OLIVE, contains("Which statements", button="Create the round"))
    chats.tap(OLIVE, "Create the round")
    chats.expect(OLIVE, contains("what name should your team see for you?"))
    chats.tap(OLIVE, "Use “Olive”")
    ready = chats.expect(OLIVE, contains("Your round is ready", ORGANISATION))
    match = CODE.search(ready["text"])
    assert match is not None, ready["text"]
    code = match[1]
    # The link must name the bot Telegram says it is (getMe), or tapping it opens another bot.
    username = chats.server.telegram.bot_user["username"]
    assert f"https://t.me/{username}?start={code}" in ready["text"]
    assert f"/join {show_code(code)}" in ready["text"]
    return code


def test_a_team_round_over_http_with_three_people(server: FakeBotApi, tmp_path: Path) -> None:
    """Create, join two ways, disagree, see results and chart, remind, export: all over HTTP."""
    with bot_process(server, tmp_path) as (process, logs):
        chats = Chats(server, process, logs)
        code = create_round(chats)

        # Ann opens the join link (Telegram sends "/start CODE") and types her own name.
        chats.send(ANN, f"/start {code}")
        chats.expect(ANN, contains("Join a team self-evaluation", "Olive", button="Use “Ann”"))
        chats.send(ANN, "Ann P (expert by experience)")
        chats.expect(ANN, contains(f"Statement 1 of {STATEMENTS}", button=LEVELS[0]))
        summary = chats.rate(ANN, ANN_LEVELS)
        assert f"You rated {STATEMENTS} of {STATEMENTS}" in summary["text"]

        # Ben types the code and takes his Telegram name; he rates five, then pauses.
        chats.send(BEN, f"/join {code}")
        chats.expect(BEN, contains("Join a team self-evaluation", button="Use “Ben”"))
        chats.tap(BEN, "Use “Ben”")
        chats.expect(BEN, contains(f"Statement 1 of {STATEMENTS}", button=LEVELS[0]))
        chats.rate(BEN, BEN_LEVELS[:BEN_RATES_BEFORE_PAUSE])
        chats.tap(BEN, "Pause")
        chats.expect(BEN, contains("Paused"))

        # The organiser's round screen shows who is where, by chosen name.
        chats.tap(OLIVE, "Open the round")
        chats.expect(
            OLIVE,
            contains(
                "2 joined to rate · 1 finished",
                f"Still rating: Ben ({BEN_RATES_BEFORE_PAUSE}/{STATEMENTS})",
                button="Results",
            ),
        )

        # Results: the statement 1 and 4 apart comes first, and only it is flagged.
        chats.tap(OLIVE, "Results")
        results = chats.expect(OLIVE, contains("Results:", button="Chart"))["text"]
        first_section = results.split("\n\n")[1]
        assert first_section.startswith(FLAGGED), results
        assert "Talk about this one: ratings go from 1 to 4" in first_section, results
        assert results.count("Talk about this one") == 1, results

        # The chart arrives as a photo upload: PNG bytes, in the organiser's chat.
        chats.tap(OLIVE, "Chart")
        picture = chats.expect(OLIVE, lambda message: "photo" in message)
        photos = server.uploads("sendPhoto", chat_id=OLIVE.user_id)
        assert len(photos) == 1 and photos[0].content.startswith(PNG_SIGNATURE)
        assert "Back to the round" in button_labels(picture)

        # A reminder goes to Ben only, sent by the job queue in the background.
        chats.tap(OLIVE, "Back to the round")
        chats.expect(OLIVE, contains(button="Remind those still rating"))
        chats.tap(OLIVE, "Remind those still rating")
        chats.expect(OLIVE, contains("Reminding 1 now: Ben."))
        reminder = chats.expect(BEN, contains("A reminder from Olive"))
        answered = f"You've answered {BEN_RATES_BEFORE_PAUSE} of {STATEMENTS}"
        assert answered in reminder["text"], reminder["text"]
        assert {"Continue rating", "Stop reminders"} <= set(button_labels(reminder))

        # Ben carries on from the reminder and finishes.
        chats.tap(BEN, "Continue rating")
        first = BEN_RATES_BEFORE_PAUSE + 1
        chats.expect(BEN, contains(f"Statement {first} of {STATEMENTS}", button=LEVELS[0]))
        chats.rate(BEN, BEN_LEVELS[BEN_RATES_BEFORE_PAUSE:], first=first)

        # Export: the ratings CSV and the summary CSV (and the chart again).
        chats.tap(OLIVE, "Back to the round")
        chats.expect(OLIVE, contains("2 joined to rate · 2 finished"))
        chats.tap(OLIVE, "Export CSV and chart")
        chats.expect(OLIVE, lambda message: "document" in message)
        chats.expect(OLIVE, lambda message: "document" in message)
        chats.expect(OLIVE, contains(button="Back to the round"))
        ratings_csv, summary_csv = server.uploads("sendDocument", chat_id=OLIVE.user_id)
        assert "ratings" in ratings_csv.name and ratings_csv.name.endswith(".csv")
        assert "summary" in summary_csv.name and summary_csv.name.endswith(".csv")
        ratings = list(csv.DictReader(io.StringIO(ratings_csv.content.decode("utf-8-sig"))))
        assert {row["name"] for row in ratings} == {"Ann P (expert by experience)", "Ben"}
        assert len(ratings) == 2 * STATEMENTS
        summary_rows = list(csv.DictReader(io.StringIO(summary_csv.content.decode("utf-8-sig"))))
        flagged = [row["statement_id"] for row in summary_rows if row["flagged"] == "yes"]
        assert flagged == ["strengths-based-culture"], summary_rows

        # Ann had finished, so she was never reminded (the jobs are long done by now).
        reminded = [m.chat_id for m in server.messages if "A reminder from" in (m.text or "")]
        assert reminded == [BEN.user_id], reminded

        # Every tap was answered (no endless spinner), and Telegram refused nothing.
        assert server.wait_until(
            lambda: not server.telegram.unanswered_callback_queries, timeout=5
        ), f"unanswered callback queries: {server.telegram.unanswered_callback_queries}"
        assert not server.telegram.refusals, [
            (call.method, call.error) for call in server.telegram.refusals
        ]
    output = read_output(*logs)

    # A plain boolean, so that a failure does not print the output (and the token) again.
    leaked = TOKEN_SECRET in output
    assert not leaked, "the bot token appeared in the output of `run`"
    assert process.returncode == 0, f"`run` did not stop cleanly on Ctrl-C:\n{redacted(output)}"
