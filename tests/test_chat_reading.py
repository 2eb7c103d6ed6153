"""Reading help as people meet it: easy read, Words explained, short screens, ways back."""

from __future__ import annotations

from bot.telegram.local_chat import LocalChat
from tests.conftest import RunningBot
from tests.test_chat_evaluation import ORGANISATION, rating_labels, start_evaluation


async def test_the_welcome_spells_out_ld_and_a_and_offers_easy_read(chat: LocalChat) -> None:
    await chat.send("/start")
    assert "LD&A means learning disabilities and autism" in chat.last.text
    assert "📖 Easy read" in chat.last.labels


async def test_easy_read_rates_the_same_levels_in_easy_words(
    bot: RunningBot, chat: LocalChat
) -> None:
    await chat.send("/start")
    await chat.tap("📖 Easy read")
    assert "Easy read is on" in chat.last.text
    await chat.tap("Main menu")
    assert "Standard words" in chat.last.labels
    await chat.tap("Self-evaluation")
    await chat.send(ORGANISATION)
    question = chat.last
    assert "Number 1 of 7" in question.text
    levels = [label for label in question.labels if label[:1] not in "⬅SPW"]
    symbols = {label.split(" ")[0] for label in levels[:5]}
    assert len(symbols) == 5, levels  # one symbol per level, all different
    await chat.tap(levels[2])
    assert "Why did you choose this?" in chat.last.text
    participant = bot.store.participant_for(str(chat.user["id"]))
    evaluation = bot.store.evaluations_for(participant)[0]
    assert bot.store.answers_for(evaluation.id)["strengths-based-practice"].rating == 3

    # Switched back mid-question, the question comes again in the standard words.
    await chat.send("/easyread")
    assert any("Easy read is off" in m.text for m in chat.replies)
    assert "What evidence supports this rating?" in chat.last.text


async def test_a_screen_with_a_hard_word_explains_it(chat: LocalChat) -> None:
    await start_evaluation(chat)
    assert "strengths-based" in chat.last.text.lower()
    await chat.tap("Words explained")
    meaning = next(m for m in chat.replies if m.text.startswith("Words explained"))
    assert "strengths-based" in meaning.text.lower()
    # The question comes back underneath, so the way on is where it was.
    assert "Statement 1 of 7" in chat.last.text and rating_labels(chat)
    await chat.tap("All words", message=meaning)
    assert "Tap a word to see what it means" in chat.last.text
    await chat.tap(chat.last.labels[0])
    assert ":" in chat.last.text
    await chat.tap_data("w:999")
    assert chat.callback_answers == ["Sorry, that button doesn't work any more."]


async def test_words_lists_every_term(bot: RunningBot, chat: LocalChat) -> None:
    await chat.send("/words")
    terms = [t.term for t in bot.application.bot_data["services"].glossary.terms]  # type: ignore[attr-defined]
    assert terms and set(terms) <= set(chat.last.labels)


async def test_about_gives_the_workforce_and_a_voice_from_experience(chat: LocalChat) -> None:
    await chat.send("/about")
    assert "About this guide" in chat.last.text
    await chat.tap("What makes a good support worker?")
    assert "put themselves in our shoes" in chat.last.text
    assert "Main menu" in chat.last.labels


async def test_outcomes_come_a_page_at_a_time(chat: LocalChat) -> None:
    await chat.send("/start")
    await chat.tap("Expected outcomes")
    first = chat.last
    if "Next ➡" in first.labels:
        await chat.tap("Next ➡")
        assert "Page 2 of" in chat.last.text and chat.last.text != first.text
        await chat.tap("⬅ Back")
        assert chat.last.text == first.text
    assert "Main menu" in chat.last.labels


async def test_a_card_opened_from_a_topic_leads_back_to_it(chat: LocalChat) -> None:
    await chat.send("/start")
    await chat.tap("Browse by topic")
    topic = chat.last.labels[0]
    await chat.tap(topic)
    await chat.tap(chat.last.labels[0])
    assert f"Back to {topic}" in chat.last.labels
    await chat.tap(f"Back to {topic}")
    assert topic in chat.last.text


async def test_nothing_matches_still_has_a_way_on(chat: LocalChat) -> None:
    await chat.send("pizza delivery near me")
    assert "nothing in this guide matches" in chat.last.text
    assert "Main menu" in chat.last.labels


async def test_who_is_good_at_this_opens_the_case_study_and_keeps_the_question(
    chat: LocalChat,
) -> None:
    await start_evaluation(chat)
    for _ in range(2):
        await chat.tap(rating_labels(chat)[2])
        await chat.tap("Skip")
    assert "Statement 3 of 7" in chat.last.text
    await chat.tap("Who is good at this?")
    assert any("Darlington" in m.text for m in chat.replies)
    assert "Statement 3 of 7" in chat.last.text and rating_labels(chat)


async def test_low_ratings_get_specific_reading_first_behind_one_button(
    chat: LocalChat,
) -> None:
    await start_evaluation(chat)
    for _ in range(7):
        await chat.tap(rating_labels(chat)[0])
        await chat.tap("Skip")
    assert "You rated 7 of them 1 or 2" in chat.last.text
    await chat.tap("Where to look next")
    assert "Back to the summary" in chat.last.labels
    while "• Commissioning" not in chat.last.text:
        await chat.tap("Next ➡")
    reading = chat.last
    # Commissioning: values-based recruitment comes before the general reading.
    commissioning = next(
        line for line in reading.text.splitlines() if line.startswith("• Commissioning")
    )
    assert commissioning.split(": ", 1)[1].startswith("Values-based recruitment")
    assert "Signs it is working" in reading.text
    # The buttons are the resources the page names, and each card leads back here.
    navigation = {"⬅ Back", "Next ➡", "Back to the summary", "Main menu", "Words explained"}
    named = [
        title
        for line in reading.text.splitlines()
        if line.startswith("• ")
        for title in line.split(": ", 1)[1].split("; ")
    ]
    buttons = [label for label in reading.labels if label not in navigation]
    assert buttons
    for label in buttons:  # a long title is cut on its button: compare the start
        assert any(title.startswith(label.rstrip("…")) for title in named), label
    await chat.tap(buttons[0])
    assert "Back to where to look next" in chat.last.labels
    await chat.tap("Back to where to look next")
    await chat.tap("Back to the summary")
    assert "Your ratings" in chat.last.text


async def test_the_export_document_has_a_way_on(chat: LocalChat) -> None:
    await start_evaluation(chat)
    await chat.tap(rating_labels(chat)[2])
    await chat.send("/export")
    assert chat.last.document is not None and "Main menu" in chat.last.labels


async def test_asking_what_a_word_means_gives_its_meaning(chat: LocalChat) -> None:
    await chat.send("what does strenghts based mean")
    assert chat.last.text.startswith("Words explained")
    assert "strengths-based" in chat.last.text.lower()


async def test_a_bare_number_typed_for_a_name_is_not_taken(
    bot: RunningBot, chat: LocalChat
) -> None:
    await chat.send("/start")
    await chat.tap("Self-evaluation")
    await chat.send("3")
    assert "looks like a button number" in chat.replies[-2].text
    assert "Which council or organisation" in chat.last.text
    participant = bot.store.participant_for(str(chat.user["id"]))
    assert bot.store.organisation(participant) is None


async def test_going_back_to_the_organisation_does_not_call_it_a_note(chat: LocalChat) -> None:
    await start_evaluation(chat)
    await chat.tap("⬅ Back")
    assert "Your answer so far: Leeds City Council" in chat.last.text
    assert "note" not in chat.last.text.lower()


async def test_a_carer_whose_question_is_not_covered_is_told_where_to_turn(
    chat: LocalChat,
) -> None:
    await chat.send("respite")
    assert "contact your council's adult social care team" in chat.last.text


async def test_a_bare_number_with_nothing_waiting_is_not_a_search(chat: LocalChat) -> None:
    await chat.send("7")
    assert "Please tap a button" in chat.last.text
    assert "Main menu" in chat.last.labels
