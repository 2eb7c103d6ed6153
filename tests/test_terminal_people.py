"""The terminal chat played as a whole team: /as NAME, each person's own chat, files saved."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from bot.config import Settings
from bot.terminal import TerminalChat, chat_in_terminal, user_id_for
from storage import Store
from tests.conftest import RunningBot

NORTH = "Northshire Council"
SOUTH = "Southshire Council"
# Not real PNGs: the terminal saves whatever bytes the bot sent.
CHART = b"\x89PNG\r\n\x1a\nalice's team chart"
OTHER_CHART = b"\x89PNG\r\n\x1a\nbob's team chart"


async def chat(tmp_path: Path, *lines: str) -> str:
    """Type these lines into the terminal chat on tmp_path's database and return the screen."""
    out = io.StringIO()
    settings = Settings(database=tmp_path / "x.db")
    code = await chat_in_terminal(
        settings, io.StringIO("".join(f"{line}\n" for line in lines)), out
    )
    assert code == 0
    return out.getvalue()


def after(screen: str, marker: str) -> str:
    """Return what the screen shows after the last time it shows ``marker``."""
    assert marker in screen
    return screen.rsplit(marker, 1)[1]


def answers_by_person(tmp_path: Path) -> dict[str, set[tuple[int, str | None, int | None]]]:
    """Return each person's (evaluation, organisation, rating) answers, by name."""
    with Store.open(tmp_path / "x.db") as store:
        rows = store.export_rows()
        names = {store.participant_for(str(user_id_for(n))): n for n in ("alice", "bob", "me")}
    found: dict[str, set[tuple[int, str | None, int | None]]] = {}
    for row in rows:
        found.setdefault(names[row.participant], set()).add(
            (row.evaluation_id, row.organisation, row.rating)
        )
    return found


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every test in tmp_path, so ./exports lands there."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def terminal(bot: RunningBot) -> tuple[TerminalChat, io.StringIO]:
    """Return a terminal chat on the running bot, and its screen."""
    out = io.StringIO()
    return TerminalChat(bot.chat(first_name="there", strict=False), out), out


async def test_two_people_rate_in_their_own_evaluations(tmp_path: Path) -> None:
    screen = await chat(
        tmp_path,
        *("/as alice", "1", NORTH, "3"),
        *("/as bob", "1", SOUTH, "5"),
    )

    assert "— You are now alice. —" in screen
    assert "Hello alice." in screen and "Hello bob." in screen
    found = answers_by_person(tmp_path)
    assert set(found) == {"alice", "bob"}
    [(alice_evaluation, alice_org, alice_rating)] = found["alice"]
    [(bob_evaluation, bob_org, bob_rating)] = found["bob"]
    assert alice_evaluation != bob_evaluation
    assert (alice_org, alice_rating) == (NORTH, 3)
    assert (bob_org, bob_rating) == (SOUTH, 5)


async def test_switching_back_shows_where_she_was_and_numbers_her_buttons(
    tmp_path: Path,
) -> None:
    screen = await chat(tmp_path, "/as alice", "1", NORTH, "/as bob", "/as alice", "3")

    back = after(screen, "— You are now alice. —")
    assert f"How close is {NORTH} to this?" in back
    assert "(tapped: 3 — Implementation)" in back
    assert "Your answer: 3 — Implementation" in back
    assert "\nalice> " in back
    assert answers_by_person(tmp_path)["alice"] == {(1, NORTH, 3)}


async def test_the_same_name_in_another_run_is_the_same_person(tmp_path: Path) -> None:
    await chat(tmp_path, "/as alice", "1", NORTH, "3")

    # Continue, skip the evidence note of statement 1, rate statement 2 at 4.
    screen = await chat(tmp_path, "/as Alice", "/resume", "2", "4")

    assert "Hello Alice." in screen
    assert "Welcome back" in screen and "(tapped: Skip)" in screen
    assert "Statement 2 of 7" in screen
    assert set(answers_by_person(tmp_path)) == {"alice"}
    assert answers_by_person(tmp_path)["alice"] == {(1, NORTH, 3), (1, NORTH, 4)}


async def test_names_are_matched_whatever_their_case(tmp_path: Path) -> None:
    screen = await chat(tmp_path, "/as alice", "1", "/as ALICE", "/as  Alice ")

    assert screen.count("sending /start") == 1
    assert screen.count("— You are still alice. —") == 2
    assert "Which council or organisation" in after(screen, "— You are still alice. —")


async def test_as_alone_says_who_you_are_and_lists_the_people(tmp_path: Path) -> None:
    screen = await chat(tmp_path, "/as", "/as alice", "/as bob", "/as")

    first = screen.split("— You are now alice. —")[0]
    assert "You are the person you started as." in first
    assert "\n> " in first  # the prompt names nobody until there is someone else
    last = after(screen, "— You are now bob. —")
    assert "You are bob. People so far: alice, bob, me (the person you started as)." in last
    assert "\nbob> " in last


async def test_as_me_goes_back_to_the_person_you_started_as(tmp_path: Path) -> None:
    screen = await chat(tmp_path, "/as alice", "/as me", "1", NORTH, "3")

    assert "— You are now the person you started as. —" in screen
    assert "\nme> " in screen
    assert set(answers_by_person(tmp_path)) == {"me"}


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("123", "Use letters for a name"),
        ("<b>alice</b>", "Use letters for a name"),
        ("a" * 33, "Keep names to 32 characters or fewer."),
    ],
)
async def test_a_silly_name_gets_a_hint(tmp_path: Path, name: str, hint: str) -> None:
    screen = await chat(tmp_path, f"/as {name}")

    assert f"! {hint}" in screen
    assert "For example: /as alice" in screen
    assert "You are now" not in screen
    assert answers_by_person(tmp_path) == {}


async def test_a_name_is_trimmed_and_used_as_typed(tmp_path: Path) -> None:
    screen = await chat(tmp_path, "/as   Alice   Smith  ", "/as " + "b" * 32)

    assert "— You are now Alice Smith. —" in screen
    assert "Hello Alice Smith." in screen
    assert f"— You are now {'b' * 32}. —" in screen


async def test_as_is_never_sent_to_the_bot(
    bot: RunningBot, terminal: tuple[TerminalChat, io.StringIO]
) -> None:
    chat, _ = terminal
    await chat.handle("/start")
    await chat.handle("/as bob")
    await chat.handle("/as")

    for person in (1001, user_id_for("bob")):
        typed = [m.text for m in bot.transport.chat_messages(person) if m.sender["id"] == person]
        assert typed == ["/start"]


async def test_a_message_sent_to_bob_while_you_were_alice_shows_when_you_become_bob(
    bot: RunningBot, terminal: tuple[TerminalChat, io.StringIO]
) -> None:
    chat, out = terminal
    await chat.handle("/as bob")
    await chat.handle("/as alice")
    await bot.application.bot.send_message(user_id_for("bob"), "Reminder: the round closes Friday")
    await chat.handle("/help")
    assert "Reminder" not in out.getvalue()

    await chat.handle("/as bob")
    await chat.handle("1")

    back = after(out.getvalue(), "— You are now bob. —")
    assert "Reminder: the round closes Friday" in back
    assert "(where you left off)" not in back
    assert "(tapped: Self-evaluation)" in back  # bob's own menu, still numbered


async def test_a_message_nobody_asked_for_shows_with_the_next_reply(
    bot: RunningBot, terminal: tuple[TerminalChat, io.StringIO]
) -> None:
    chat, out = terminal
    await chat.handle("/start")
    await bot.application.bot.send_message(1001, "Reminder: three people have not rated yet")
    await chat.handle("/help")

    assert "Reminder: three people have not rated yet" in out.getvalue()


async def test_a_photo_is_saved_in_exports_and_its_path_printed(
    tmp_path: Path, bot: RunningBot, terminal: tuple[TerminalChat, io.StringIO]
) -> None:
    chat, out = terminal
    await chat.handle("/start")
    await bot.application.bot.send_photo(1001, CHART, filename="chart.png", caption="Team chart")
    await chat.handle("/help")

    assert "│ Team chart\n│ 🖼 saved to exports/chart.png\n" in out.getvalue()
    assert (tmp_path / "exports" / "chart.png").read_bytes() == CHART


async def test_a_file_with_the_name_of_an_earlier_one_gets_a_suffix(
    tmp_path: Path, bot: RunningBot, terminal: tuple[TerminalChat, io.StringIO]
) -> None:
    chat, out = terminal
    await chat.handle("/start")
    for content in (CHART, OTHER_CHART, b"a third chart"):
        await bot.application.bot.send_photo(1001, content, filename="chart.png")
    await chat.handle("/help")

    screen = out.getvalue()
    for path in ("exports/chart.png", "exports/chart-2.png", "exports/chart-3.png"):
        assert f"🖼 saved to {path}\n" in screen
    exports = tmp_path / "exports"
    assert (exports / "chart.png").read_bytes() == CHART
    assert (exports / "chart-2.png").read_bytes() == OTHER_CHART
    assert (exports / "chart-3.png").read_bytes() == b"a third chart"


async def test_a_button_keeps_its_number_from_screen_to_screen(tmp_path: Path) -> None:
    # Self-evaluation, the organisation, statement 1 rated 3, then the evidence note.
    screen = await chat(tmp_path, "1", NORTH, "3")

    question, note = screen.split("(tapped: 3 — Implementation)")
    numbers = {
        label: number
        for number, label in re.findall(r"\[(\d+)\] (.+)", question.rsplit("Statement 1 of 7")[1])
    }
    # Levels are always their own number; Skip, Back and Pause keep theirs on the note prompt.
    assert numbers["3 — Implementation"] == "3"
    for label in ("⬅ Back", "Skip", "Pause"):
        assert f"[{numbers[label]}] {label}" in note
