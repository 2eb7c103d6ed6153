"""A team round as a council lives it: four people on their own phones, one organiser."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.loading import Guide
from bot.team import show_code
from bot.telegram.local_chat import BotMessage, LocalChat
from tests.conftest import RunningBot, running_bot

ORGANISATION = "Leeds City Council"
OLIVE, ANN, BEN, CAT, DAN, EVE = 2001, 2002, 2003, 2004, 2005, 2006  # Eve is an admin
CODE = re.compile(r"start=([0-9a-z]+)")


@pytest.fixture
async def team_bot(database: Path, guide: Guide) -> AsyncIterator[RunningBot]:
    """Run the bot with its job queue started (reminders are jobs), Eve as admin."""
    settings = Settings(
        database=database, admins=frozenset({str(EVE)}), flood=None, sends_per_second=0
    )
    async with running_bot(database, guide, settings) as running:
        await running.application.start()  # type: ignore[attr-defined]
        try:
            yield running
        finally:
            await running.application.stop()  # type: ignore[attr-defined]


def person(bot: RunningBot, user_id: int, name: str) -> LocalChat:
    """Open a private chat for one member of the team."""
    return bot.chat(user_id=user_id, first_name=name)


def rating_labels(chat: LocalChat) -> list[str]:
    """Return the rating buttons under the newest question."""
    return [label for label in chat.last.labels if label[:1].isdigit()]


async def create_round(olive: LocalChat, *, leave_out: str | None = None) -> str:
    """Start a round from /team as Olive; return its join code."""
    await olive.send("/team")
    await olive.tap("Start a team evaluation")
    assert "Which council or organisation" in olive.last.text
    await olive.send(ORGANISATION)
    assert "What should the round be called?" in olive.last.text
    suggestion = next(label for label in olive.last.labels if label.startswith("Use “"))
    assert "Workforce self-evaluation" in suggestion
    await olive.tap(suggestion)
    assert "Which statements should the round include?" in olive.last.text
    if leave_out is not None:
        await olive.tap(f"✅ {leave_out}")
        assert f"⬜ {leave_out}" in olive.last.labels
    await olive.tap("Create the round")
    assert "what name should your team see for you?" in olive.last.text
    await olive.tap("Use “Olive”")
    created = olive.last
    assert "Your round is ready" in created.text and ORGANISATION in created.text
    assert "Share the join link" in created.labels
    match = CODE.search(created.text)
    assert match is not None, created.text
    code = match[1]
    assert f"/join {show_code(code)}" in created.text
    assert len(code) >= 16 and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", code)
    return code


async def rate_all(chat: LocalChat, levels: list[int], note: str | None = None) -> None:
    """Rate each statement in turn (a note on the first one), finishing the evaluation."""
    for n, level in enumerate(levels):
        await chat.tap(rating_labels(chat)[level - 1])
        if n == 0 and note is not None:
            await chat.send(note)
        else:
            await chat.tap("Skip")


async def every_page(chat: LocalChat) -> str:
    """Return the text of the screen on show and of every page after it (tapping Next)."""
    texts = [chat.last.text]
    while "Next ➡" in chat.last.labels:
        await chat.tap("Next ➡")
        texts.append(chat.last.text)
    return "\n\n".join(texts)


async def wait_for(chat: LocalChat, text: str, timeout: float = 5.0) -> BotMessage:
    """Wait for a message from a background job (a reminder) to reach this chat."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        for message in reversed(chat.history):
            if text in message.text:
                return message
        await asyncio.sleep(0.02)
    raise AssertionError(f"no message with {text!r} arrived; last: {chat.history[-1].text!r}")


async def test_a_team_of_four_rates_disagrees_agrees_shares_and_exports(
    team_bot: RunningBot,
) -> None:
    olive = person(team_bot, OLIVE, "Olive")
    ann = person(team_bot, ANN, "Ann")
    ben = person(team_bot, BEN, "Ben")
    cat = person(team_bot, CAT, "Cat")
    code = await create_round(olive)

    # Ann joins by the link (Telegram sends /start CODE), choosing her own name.
    await ann.send(f"/start {code}")
    intro = ann.last.text
    assert "Workforce self-evaluation" in intro and ORGANISATION in intro and "Olive" in intro
    assert "co-organisers they add) will see your ratings and evidence notes" in intro
    await ann.send("Ann P (expert by experience)")
    assert "Statement 1 of 7" in ann.last.text
    assert "Which council" not in "".join(m.text for m in ann.replies)
    await rate_all(ann, [2, 2, 1, 3, 2, 2, 3], note="We have no plan for this yet")

    # Ben joins by typing the code, using his Telegram first name.
    await ben.send(f"/join {code}")
    await ben.tap("Use “Ben”")
    await rate_all(ben, [3, 2, 4, 3, 3, 2, 4], note="Supervision checks it monthly")

    # Cat joins, answers two statements, then stops.
    await cat.send(f"/join {code}")
    await cat.send("Cat")
    await cat.tap(rating_labels(cat)[2])
    await cat.tap("Skip")
    await cat.tap(rating_labels(cat)[1])
    await cat.tap("Skip")
    await cat.tap("Pause")

    # The organiser sees progress, by chosen name.
    await olive.send("/team")
    assert f"{ORGANISATION} · organiser" in olive.last.text
    await olive.tap(next(label for label in olive.last.labels if label.startswith("1. ")))
    screen = olive.last.text
    assert "3 joined to rate · 2 finished" in screen
    assert "Still rating: Cat (2/7)" in screen

    # Reminders: one to Cat, with a Stop reminders button; never twice in a day.
    await olive.tap("Remind those still rating")
    assert "Reminding 1 now: Cat." in olive.last.text
    reminder = await wait_for(cat, "A reminder from Olive")
    assert "You've answered 2 of 7" in reminder.text
    assert {"Continue rating", "Stop reminders"} <= set(reminder.labels)
    await olive.tap("Back to the round")
    await olive.tap("Remind those still rating")
    assert "Nobody to remind" in olive.last.text
    await cat.tap("Stop reminders", message=reminder)
    assert "You won't get more reminders" in cat.last.text

    # Results: statement 3 (rated 1 and 4) comes first, flagged; then the rest, with notes.
    await olive.tap("Back to the round")
    await olive.tap("Results")
    first_page = olive.last.text
    results = await every_page(olive)
    first_section = first_page.split("\n\n")[1]
    assert first_section.startswith("3. Strengths-based culture beyond the front line"), results
    assert "Talk about this one: ratings go from 1 to 4" in first_section
    assert results.count("Talk about this one") == 1
    assert "Ann P (expert by experience): We have no plan for this yet" in results
    assert "Ben: Supervision checks it monthly" in results

    # The chart comes as a picture.
    await olive.tap("Chart")
    photo = next(m.photo for m in olive.replies if m.photo is not None)
    assert photo.content.startswith(b"\x89PNG")

    # Agreed rating with a reason: reported as agreed, the rest as medians.
    await olive.tap("Back to the round")
    await olive.tap("Agree ratings")
    flagged = next(label for label in olive.last.labels if label.startswith("⚠️"))
    assert "Strengths-based culture beyond the front line" in flagged
    await olive.tap(flagged)
    await olive.tap("2 — Developing")
    assert "Why did the team agree this?" in olive.last.text
    await olive.send("Practice varies; supervision checks are new")
    assert "is agreed at 2 — Developing" in "\n".join(m.text for m in olive.replies)
    await olive.tap("Back to the round")
    await olive.tap("Results")
    results = await every_page(olive)
    assert "Agreed: 2 — Developing. Why: Practice varies; supervision checks are new" in results
    assert "Not agreed yet: the team position is the median" in results

    # Participants see nothing of the team until it is shared; then only the aggregate.
    await ann.send("/team")
    assert "taking part" in ann.last.text
    await ann.tap(next(label for label in ann.last.labels if label.startswith("1. ")))
    assert "Team results" not in ann.last.labels and "Results" not in ann.last.labels
    await olive.tap("Back to the round")
    await olive.tap("Share results with the team")
    assert "1 still rating: Cat. If you share now" in olive.last.text
    await olive.tap("Yes, share now")
    assert "Results shared" in olive.replies[0].text
    notice = await wait_for(ann, "shared the team's results")
    assert "Team results" in notice.labels
    await ann.send("/team")
    assert "taking part" in ann.last.text
    await ann.tap(next(label for label in ann.last.labels if label.startswith("1. ")))
    await ann.tap("Team results")
    shared = await every_page(ann)
    # Three raters at most: a median or a spread beside Ann's own rating would give the others'
    # away, so only the agreed rating shows, with no spread.
    assert "2 (agreed) · yours: 1 — Commitment" in shared
    assert "(median)" not in shared and "ratings from" not in shared
    assert "Too few ratings to show without giving away someone's own" in shared
    assert "Ben" not in shared and "Supervision" not in shared and "Olive" not in shared

    # Exports: the ratings CSV, the summary CSV and the chart.
    await olive.tap("Export CSV and chart")
    documents = [m.document for m in olive.replies if m.document is not None]
    assert [d.name.split("-")[2] for d in documents] == ["ratings", "summary"]
    ratings = list(csv.DictReader(io.StringIO(documents[0].content.decode("utf-8-sig"))))
    assert {r["name"] for r in ratings} == {"Ann P (expert by experience)", "Ben", "Cat"}
    assert not {str(ANN), str(BEN), str(CAT)} & {r["participant"] for r in ratings}
    assert len(ratings) == 7 + 7 + 2
    summary = list(csv.DictReader(io.StringIO(documents[1].content.decode("utf-8-sig"))))
    first_row = next(r for r in summary if r["statement_id"] == "strengths-based-culture")
    assert first_row["flagged"] == "yes" and first_row["agreed_rating"] == "2"
    assert first_row["lowest"] == "1" and first_row["highest"] == "4"
    assert first_row["team_position_source"] == "agreed"
    assert any(m.photo is not None for m in olive.replies)


async def test_closing_replacing_and_made_up_codes_are_refused_politely(
    team_bot: RunningBot,
) -> None:
    olive = person(team_bot, OLIVE, "Olive")
    dan = person(team_bot, DAN, "Dan")
    cat = person(team_bot, CAT, "Cat")
    code = await create_round(olive)
    await cat.send(f"/join {code}")
    await cat.send("Cat")
    round_id = team_bot.store.rounds()[0].id

    await olive.tap("Open the round")
    await olive.tap("Close the round")
    await olive.tap("Yes, close it")
    assert "is closed" in olive.replies[0].text
    await dan.send(f"/join {code}")
    assert "closed, so nobody can join it now" in dan.last.text
    # Cat's waiting question no longer takes answers, and nothing is stored.
    await cat.tap(rating_labels(cat)[3])
    assert "closed, so answers can't change" in cat.last.text
    await cat.send("/resume")
    assert "closed, so answers can't change" in cat.last.text
    assert not rating_labels(cat)
    evaluation_id = team_bot.store.round_evaluation(
        round_id, team_bot.store.participant_for(str(CAT))
    )
    assert evaluation_id is not None and team_bot.store.answers_for(evaluation_id) == {}

    await olive.tap("Reopen the round")
    await olive.tap("Invite people")
    await olive.tap("Replace the join link")
    await olive.tap("Yes, replace it")
    new_code = CODE.search(olive.last.text)
    assert new_code is not None and new_code[1] != code
    await dan.send(f"/start {code}")
    assert "that link no longer works" in dan.last.text
    await dan.send("/join NotARealCode123456")
    assert "doesn't open a team round" in dan.last.text
    await dan.send(f"/start {new_code[1]}")
    assert "Join a team self-evaluation" in dan.last.text


async def test_a_co_organiser_link_works_once(team_bot: RunningBot) -> None:
    olive = person(team_bot, OLIVE, "Olive")
    ben = person(team_bot, BEN, "Ben")
    dan = person(team_bot, DAN, "Dan")
    await create_round(olive)
    await olive.tap("Open the round")
    await olive.tap("Invite people")
    await olive.tap("Add a co-organiser")
    match = CODE.search(olive.last.text)
    assert match is not None
    await ben.send(f"/start {match[1]}")
    assert "Help organise a team self-evaluation" in ben.last.text
    await ben.send("Ben (Head of Commissioning)")
    assert "You're now an organiser" in "\n".join(m.text for m in ben.replies)
    assert "Results" in ben.last.labels
    await dan.send(f"/start {match[1]}")
    assert "already been used" in dan.last.text


async def test_nobody_reaches_a_round_they_have_no_role_in(team_bot: RunningBot) -> None:
    olive = person(team_bot, OLIVE, "Olive")
    ann = person(team_bot, ANN, "Ann")
    dan = person(team_bot, DAN, "Dan")
    eve = person(team_bot, EVE, "Eve")
    code = await create_round(olive)
    await ann.send(f"/join {code}")
    await ann.send("Ann")
    await ann.tap(rating_labels(ann)[0])
    await ann.send("A private note")
    round_id = team_bot.store.rounds()[0].id
    agreed_before = team_bot.store.agreed_ratings(round_id)

    # A participant forging organiser buttons: refused, nothing written.
    for action in ("results", "chart", "export", "remind", "share", "link", "coorg", "closeyes"):
        await ann.tap_data(f"g:{round_id}:{action}")
        assert ann.callback_answers == ["Sorry, only the round's organisers can do that."]
    await ann.tap_data(f"g:{round_id}:setagreed:0.5")
    assert ann.callback_answers == ["Sorry, only the round's organisers can do that."]
    assert team_bot.store.agreed_ratings(round_id) == agreed_before
    round_ = team_bot.store.round(round_id)
    assert round_ is not None and round_.is_open and not round_.shared
    await ann.tap_data(f"g:{round_id}:team")
    assert ann.callback_answers == ["The organiser hasn't shared the team's results yet."]

    # Someone outside the round, and buttons for a round that does not exist.
    await dan.send("/start")
    for data in (f"g:{round_id}:open", f"g:{round_id}:results", f"g:{round_id}:rate", "g:999:open"):
        await dan.tap_data(data)
        assert dan.callback_answers == ["Sorry, I can't find that round, or you're not in it."]
    await dan.send("/export")
    assert "A private note" not in "".join(m.text for m in dan.replies)
    await dan.send("/team")
    assert "You're not in a team round yet" in dan.last.text

    # An admin named in WORKFORCE_GUIDE_ADMINS sees every round.
    await eve.send("/team")
    assert f"{ORGANISATION} · admin" in eve.last.text
    await eve.tap(next(label for label in eve.last.labels if label.startswith("1. ")))
    await eve.tap("Results")
    assert "Ann: A private note" in eve.last.text


async def test_a_round_of_some_statements_asks_only_those(team_bot: RunningBot) -> None:
    olive = person(team_bot, OLIVE, "Olive")
    ann = person(team_bot, ANN, "Ann")
    code = await create_round(olive, leave_out="Strengths-based practice by our staff")
    await ann.send(f"/join {code}")
    await ann.send("Ann")
    assert "Statement 1 of 6" in ann.last.text
    assert "Strengths-based practice by our staff" not in ann.last.text
    await rate_all(ann, [3, 3, 3, 3, 3, 3])
    assert "You rated 6 of 6" in ann.last.text


async def test_solo_and_team_evaluations_side_by_side_resume_asks_which(
    team_bot: RunningBot,
) -> None:
    olive = person(team_bot, OLIVE, "Olive")
    ann = person(team_bot, ANN, "Ann")
    code = await create_round(olive)
    # Ann starts a solo evaluation, answers one, then joins the round and answers one there.
    await ann.send("/evaluate")
    await ann.send("Bradford Council")
    await ann.tap(rating_labels(ann)[4])
    await ann.tap("Skip")
    await ann.send(f"/join {code}")
    await ann.send("Ann")
    await ann.tap(rating_labels(ann)[0])
    await ann.tap("Skip")

    await ann.send("/resume")
    assert "Which would you like to continue?" in ann.last.text
    solo = next(label for label in ann.last.labels if label.startswith("Bradford Council"))
    await ann.tap(solo)
    assert "Statement 2 of 7" in ann.last.text
    assert "Bradford Council" in ann.last.text

    await ann.send("/resume")
    team = next(label for label in ann.last.labels if label.startswith("Workforce"))
    await ann.tap(team)
    assert "Statement 2 of 7" in ann.last.text and ORGANISATION in ann.last.text
    # A made-up evaluation id in a continue button is refused.
    await ann.tap_data("c:99999")
    assert ann.callback_answers == ["Sorry, I can't find that one."]


async def test_moving_on_ends_a_waiting_question(team_bot: RunningBot) -> None:
    olive = person(team_bot, OLIVE, "Olive")
    ann = person(team_bot, ANN, "Ann")
    code = await create_round(olive)
    await ann.send(f"/join {code}")
    await ann.send("Ann")
    await ann.tap(rating_labels(ann)[1])
    round_id = team_bot.store.rounds()[0].id

    await olive.tap("Open the round")
    await olive.tap("Agree ratings")
    await olive.tap(olive.last.labels[0])
    await olive.tap("3 — Implementation")
    assert "Why did the team agree this?" in olive.last.text
    # Olive goes back instead of typing a reason: her next message is a search again.
    await olive.tap("Back to the round")
    await olive.send("safe staffing")
    assert "Here's what I found" in olive.last.text
    agreed = next(iter(team_bot.store.agreed_ratings(round_id).values()))
    assert agreed.rating == 3 and agreed.reason is None

    # A finished team evaluation's summary leads back to the round.
    await ann.send("An evidence note")
    await rate_all(ann, [3, 3, 3, 3, 3, 3])
    assert "Back to the round" in ann.last.labels


async def test_codes_are_forgiving_to_type_and_members_are_never_turned_away(
    team_bot: RunningBot,
) -> None:
    olive = person(team_bot, OLIVE, "Olive")
    ann = person(team_bot, ANN, "Ann")
    ben = person(team_bot, BEN, "Ben")
    code = await create_round(olive)

    # Ann finds "I have a code" on the team screen and types it in capitals, with spaces.
    await ann.send("/team")
    await ann.tap("I have a code to join")
    await ann.send(" ".join(show_code(code).upper().split("-")))
    assert "Join a team self-evaluation" in ann.last.text
    await ann.send("Ann")
    # Ben pastes the grouped code on its own, with no /join.
    await ben.send(show_code(code))
    assert "Join a team self-evaluation" in ben.last.text
    await ben.tap("Use “Ben”")

    # After the link is replaced, a member using the old one is taken back to the round.
    await olive.tap("Open the round")
    await olive.tap("Invite people")
    await olive.tap("Replace the join link")
    await olive.tap("Yes, replace it")
    await ann.send(f"/start {code}")
    assert any("You're already in" in m.text for m in ann.replies)

    # A member made co-organiser keeps the name the team knows.
    await olive.tap("Back to the round")
    await olive.tap("Invite people")
    await olive.tap("Add a co-organiser")
    assert "Send the organiser link to one person" in olive.last.labels
    invite = CODE.search(olive.last.text)
    assert invite is not None
    await ann.send(f"/start {invite[1]}")
    await ann.tap("Use “Ann”")
    round_id = team_bot.store.rounds()[0].id
    member = team_bot.store.member(round_id, team_bot.store.participant_for(str(ANN)))
    assert member is not None and member.is_organiser and member.display_name == "Ann"


async def test_a_second_round_with_the_same_name_is_numbered(team_bot: RunningBot) -> None:
    olive = person(team_bot, OLIVE, "Olive")
    await create_round(olive)
    await create_round(olive)
    names = sorted(r.name for r in team_bot.store.rounds())
    assert names[1] == names[0] + " (2)"
    await olive.send("/team")
    assert "1. " in olive.last.text and "2. " in olive.last.text


async def test_a_half_way_median_is_not_called_a_level(team_bot: RunningBot) -> None:
    olive = person(team_bot, OLIVE, "Olive")
    ann, ben = person(team_bot, ANN, "Ann"), person(team_bot, BEN, "Ben")
    code = await create_round(olive, leave_out=None)
    for chat, level in ((ann, 2), (ben, 3)):
        await chat.send(f"/join {code}")
        await chat.send(chat.user["first_name"])
        await chat.tap(rating_labels(chat)[level - 1])
        await chat.tap("Skip")
    await olive.tap("Open the round")
    await olive.tap("Results")
    results = await every_page(olive)
    assert "the median is 2.5, between 2 — Developing and 3 — Implementation" in results


async def test_joining_by_link_offers_easy_read_and_keeps_the_join(team_bot: RunningBot) -> None:
    olive = person(team_bot, OLIVE, "Olive")
    sam = person(team_bot, ANN, "Sam")
    code = await create_round(olive)
    await sam.send(f"/start {code}")
    assert "📖 Easy read" in sam.last.labels
    await sam.tap("📖 Easy read")
    assert any("Easy read is on" in m.text for m in sam.replies)
    assert "Join your council's team" in sam.last.text  # the join screen, in easy read
    await sam.tap("Use “Sam”")
    assert "Number 1 of 7" in sam.last.text  # the easy-read flow
    await sam.tap(next(label for label in sam.last.labels if label.startswith("📝 2 ")))
    participant = team_bot.store.participant_for(str(ANN))
    evaluation = team_bot.store.round_evaluation(team_bot.store.rounds()[0].id, participant)
    assert evaluation is not None
    assert team_bot.store.answers_for(evaluation)["strengths-based-practice"].rating == 2


async def test_results_wording_for_one_rater_and_for_agreement(team_bot: RunningBot) -> None:
    olive = person(team_bot, OLIVE, "Olive")
    ann, ben = person(team_bot, ANN, "Ann"), person(team_bot, BEN, "Ben")
    code = await create_round(olive)
    for chat, levels in ((ann, (3, 4)), (ben, (3,))):
        await chat.send(f"/join {code}")
        await chat.send(chat.user["first_name"])
        for level in levels:
            await chat.tap(rating_labels(chat)[level - 1])
            await chat.tap("Skip")
    await olive.tap("Open the round")
    await olive.tap("Results")
    results = await every_page(olive)
    assert "2 people rated it. They all gave 3." in results
    assert "1 person rated it: 4." in results
    # Sharing now warns that statements with fewer than 3 ratings will show only agreements.
    await olive.tap("Back to the round")
    await olive.tap("Share results with the team")
    assert "fewer than 4 ratings" in olive.last.text
