"""The self-evaluation as a user lives it: tap, type, go back, skip, pause, come back, export."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from bot.loading import Guide
from bot.telegram.local_chat import LocalChat
from tests.conftest import RunningBot, running_bot

ORGANISATION = "Leeds City Council"
STATEMENTS = 7


def rating_labels(chat: LocalChat) -> list[str]:
    """Return the rating buttons the bot really sent under the newest question."""
    return [label for label in chat.last.labels if label[:1].isdigit()]


async def start_evaluation(chat: LocalChat, organisation: str = ORGANISATION) -> None:
    """Open the menu, choose Self-evaluation and name the organisation."""
    await chat.send("/start")
    await chat.tap("Self-evaluation")
    assert "Which council or organisation" in chat.last.text
    await chat.send(organisation)
    assert "Statement 1 of 7" in chat.last.text


async def rate(chat: LocalChat, level: int, note: str | None = None) -> None:
    """Tap a level by the label on the keyboard, then type a note or skip it."""
    label = rating_labels(chat)[level - 1]
    await chat.tap(label)
    assert "evidence" in chat.last.text.lower()
    if note is None:
        await chat.tap("Skip")
    else:
        await chat.send(note)


async def test_whole_evaluation_from_start_to_csv(bot: RunningBot, chat: LocalChat) -> None:
    await start_evaluation(chat)
    for n in range(1, STATEMENTS + 1):
        assert f"Statement {n} of 7" in chat.last.text
        if n == 4:
            await chat.tap("Skip")
            continue
        await rate(chat, level=(n % 5) + 1, note=f"Evidence for statement {n}" if n % 2 else None)

    summary = chat.last.text
    assert f"Your ratings: {ORGANISATION}" in summary
    assert "You rated 6 of 7 and skipped 1" in summary
    assert "Skipped" in summary
    # The notes are one tap away, each under its statement.
    await chat.tap("My notes")
    assert "Evidence for statement 1" in chat.last.text
    await chat.tap("Back to the summary")

    await chat.tap("Export as CSV")
    document = chat.last.document
    assert document is not None and document.name.endswith(".csv")
    text = document.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == STATEMENTS
    assert {r["organisation"] for r in rows} == {ORGANISATION}
    assert rows[0]["statement_id"] == "strengths-based-practice"
    assert rows[0]["rating"] == "2" and rows[0]["rating_label"] == "Developing"
    assert rows[0]["note"] == "Evidence for statement 1"
    assert rows[3]["rating"] == "" and rows[3]["rating_label"] == "Skipped"
    assert all(r["answered_at"].endswith("Z") for r in rows)
    assert str(chat.user["id"]) not in {r["participant"] for r in rows}


async def test_every_answer_is_stored_the_moment_it_is_given(
    bot: RunningBot, chat: LocalChat
) -> None:
    await start_evaluation(chat)
    await chat.tap(rating_labels(chat)[2])
    evaluation = bot.store.evaluations_for(bot.store.participant_for("1001"))[0]
    answers = bot.store.answers_for(evaluation.id)
    assert answers["strengths-based-practice"].rating == 3


async def test_back_changes_the_previous_answer(bot: RunningBot, chat: LocalChat) -> None:
    await start_evaluation(chat)
    await chat.tap("2 — Developing")
    await chat.tap("⬅ Back")
    assert "Statement 1 of 7" in chat.last.text
    assert "Your answer so far: 2 — Developing" in chat.last.text
    await chat.tap("4 — Operational")
    await chat.tap("Skip")

    evaluation = bot.store.evaluations_for(bot.store.participant_for("1001"))[0]
    answers = bot.store.answers_for(evaluation.id)
    assert len(answers) == 1
    assert answers["strengths-based-practice"].rating == 4


async def test_back_to_a_note_offers_to_keep_it(chat: LocalChat) -> None:
    await start_evaluation(chat)
    await rate(chat, 3, note="We train every new starter")
    await chat.tap("⬅ Back")
    assert "Your note so far: We train every new starter" in chat.last.text
    await chat.tap("Keep my answer")
    assert "Statement 2 of 7" in chat.last.text


async def test_skip_records_skipped_and_asks_no_note(bot: RunningBot, chat: LocalChat) -> None:
    await start_evaluation(chat)
    await chat.tap("Skip")
    assert "Statement 2 of 7" in chat.last.text
    evaluation = bot.store.evaluations_for(bot.store.participant_for("1001"))[0]
    assert bot.store.answers_for(evaluation.id)["strengths-based-practice"].skipped


async def test_text_where_a_rating_is_expected_reprompts_and_stores_nothing(
    bot: RunningBot, chat: LocalChat
) -> None:
    await start_evaluation(chat)
    replies = await chat.send("pretty good I think")
    assert any("Please tap one of the buttons" in m.text for m in replies)
    assert "Statement 1 of 7" in chat.last.text
    assert "3 — Implementation" in chat.last.labels
    evaluation = bot.store.evaluations_for(bot.store.participant_for("1001"))[0]
    assert bot.store.answers_for(evaluation.id) == {}


async def test_a_typed_level_number_counts_as_the_rating(bot: RunningBot, chat: LocalChat) -> None:
    await start_evaluation(chat)
    await chat.send("3")
    assert "evidence" in chat.last.text.lower()


async def test_a_note_over_the_limit_is_refused_and_kept_out(
    bot: RunningBot, chat: LocalChat
) -> None:
    await start_evaluation(chat)
    await chat.tap("3 — Implementation")
    replies = await chat.send("x" * 1001)
    assert any("1001 characters" in m.text and "1000" in m.text for m in replies)
    evaluation = bot.store.evaluations_for(bot.store.participant_for("1001"))[0]
    assert bot.store.answers_for(evaluation.id)["strengths-based-practice"].note is None


async def test_pause_then_resume_after_a_restart(database: Path, guide: Guide) -> None:
    async with running_bot(database, guide) as first:
        chat = first.chat()
        await start_evaluation(chat)
        await rate(chat, 2, note="first note")
        await rate(chat, 5)
        await chat.tap("Pause")
        assert "Paused" in chat.last.text

    async with running_bot(database, guide, transport=first.transport) as second:
        chat = second.chat()
        await chat.send("/start")
        assert "Continue my self-evaluation" in chat.last.labels
        await chat.tap("Continue my self-evaluation")
        assert "Statement 3 of 7" in chat.last.text
        await chat.tap("⬅ Back")
        assert "Statement 2 of 7" in chat.last.text


async def test_leaving_without_pause_then_resume_command(database: Path, guide: Guide) -> None:
    async with running_bot(database, guide) as first:
        chat = first.chat()
        await start_evaluation(chat)
        await chat.tap("1 — Commitment")

    async with running_bot(database, guide, transport=first.transport) as second:
        chat = second.chat()
        await chat.send("/resume")
        assert "evidence" in chat.last.text.lower()
        assert "Statement 1 of 7" in chat.last.text


async def test_a_stale_button_gets_a_polite_answer_and_changes_nothing(
    bot: RunningBot, chat: LocalChat
) -> None:
    await start_evaluation(chat)
    first_question = chat.last
    await chat.tap("2 — Developing")
    await chat.tap("Skip")

    await chat.tap_data(
        first_question.callback_data("5 — Sustainable Delivery") or "",
        message=first_question.message_id,
    )

    assert any("earlier question" in m.text for m in chat.replies)
    assert "Statement 2 of 7" in chat.last.text
    evaluation = bot.store.evaluations_for(bot.store.participant_for("1001"))[0]
    assert bot.store.answers_for(evaluation.id)["strengths-based-practice"].rating == 2


async def test_forged_buttons_are_refused_without_writing(bot: RunningBot, chat: LocalChat) -> None:
    await start_evaluation(chat)
    for forged in (
        "e:99999:1:o.5",
        "e:1:1:o.drop-table",
        "r:no-such-resource",
        "garbage",
        "v:424242",
    ):
        await chat.tap_data(forged)
        assert chat.callback_answered
    evaluation = bot.store.evaluations_for(bot.store.participant_for("1001"))[0]
    assert bot.store.answers_for(evaluation.id) == {}


async def test_the_organisation_is_remembered_and_can_be_changed(chat: LocalChat) -> None:
    await start_evaluation(chat)
    await chat.send("/evaluate")
    assert "You have not finished rating" in chat.last.text
    await chat.tap("Start a new one")
    assert f"Are you rating {ORGANISATION}?" in chat.last.text
    await chat.tap("No, change the organisation")
    await chat.send("Bradford Council")
    assert "How close is Bradford Council to this?" in chat.last.text


async def test_results_lists_earlier_evaluations(chat: LocalChat) -> None:
    await start_evaluation(chat)
    await chat.tap("1 — Commitment")
    await chat.send("/results")
    assert "Your ratings" in chat.last.text
    [entry] = [label for label in chat.last.labels if ORGANISATION in label]
    assert "(unfinished)" in entry
    await chat.tap(entry)
    assert "1 — Commitment" in chat.last.text


async def test_low_ratings_lead_to_further_reading(chat: LocalChat) -> None:
    await start_evaluation(chat)
    for _ in range(STATEMENTS):
        await rate(chat, 1)
    await chat.tap("Where to look next")
    navigation = ("Back to the summary", "Main menu", "Words explained")
    reading = [label for label in chat.last.labels if label not in navigation]
    assert reading
    await chat.tap(reading[0])
    assert "Where to find it" in chat.last.text


async def test_more_detail_and_levels_keep_the_question_in_view(chat: LocalChat) -> None:
    await start_evaluation(chat)
    for _ in range(3):
        await rate(chat, 3)
    assert "Statement 4 of 7" in chat.last.text
    await chat.tap("More detail")
    assert any("career pathway" in m.text for m in chat.replies)
    assert "Statement 4 of 7" in chat.last.text
    await chat.tap("What do the levels mean?")
    glance = next(m for m in chat.replies if "5 — Sustainable Delivery" in m.text)
    assert "3 — Implementation" in chat.last.labels
    # The glance is short; each level's full meaning is one tap away.
    await chat.tap("Tell me more: 5 — Sustainable Delivery", message=glance)
    assert any("business as usual" in m.text for m in chat.replies)
    assert "Statement 4 of 7" in chat.last.text and "3 — Implementation" in chat.last.labels


async def test_export_with_nothing_to_export_says_so(chat: LocalChat) -> None:
    await chat.send("/export")
    assert "no answers to export" in chat.last.text


async def test_cancel_pauses_and_free_text_is_then_a_search(chat: LocalChat) -> None:
    await start_evaluation(chat)
    await chat.send("/cancel")
    assert "Paused" in chat.last.text
    await chat.send("safe staffing")
    assert "safe staffing" in chat.last.text.lower()


async def test_going_back_never_offers_skip_over_an_answer(chat: LocalChat) -> None:
    await start_evaluation(chat)
    await chat.tap(rating_labels(chat)[3])
    await chat.send("We review supervision notes every quarter")
    assert "Note saved." in [m.text for m in chat.replies]
    await chat.tap("⬅ Back")
    assert "Your note so far" in chat.last.text
    # Skip here would wipe the note: Keep my answer moves on instead.
    assert "Skip" not in chat.last.labels and "Keep my answer" in chat.last.labels
    await chat.tap("⬅ Back")
    assert "Skip" not in chat.last.labels
