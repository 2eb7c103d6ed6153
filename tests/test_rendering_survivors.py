"""What the Telegram layer renders, checked where the other tests leave room for a slip.

Each test here pins something a person sees or taps (the exact wording of a screen, a button
and where it leads, how a long list is paged) or what the log keeps. Screens met in the chat
are read from the chat; screens that are hard to reach there (content the shipped guide does
not have, a result the search never makes) are rendered directly. Everything is built inside
the tests, never while tests are collected, so a change to the code is always seen.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from html import escape
from typing import Any, cast

import pytest
from telegram import Bot

from bot import engine
from bot.content_model import Content, Resource, Statement
from bot.glossary import visible
from bot.loading import Guide
from bot.loading.guide import easy_option
from bot.search import Band, SearchIndex, SearchResult
from bot.telegram import callbacks, screens, views
from bot.telegram.local_chat import BotMessage, LocalChat
from bot.telegram.screens import Screen
from bot.texts import Texts
from storage import Answer, Evaluation
from tests.conftest import RunningBot
from tests.test_chat_evaluation import ORGANISATION, rate, rating_labels, start_evaluation
from tests.test_views_rendering import rating_prompts

WHEN = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
WORDS = "Words explained"  # added under any screen that uses a glossary term


def labels(screen: Screen) -> list[str]:
    return [button.label for row in screen.rows for button in row]


def data(screen: Screen) -> dict[str, str | None]:
    return {button.label: button.data for row in screen.rows for button in row}


def own_buttons(message: BotMessage) -> list[str]:
    """Return a message's button labels without the glossary's "Words explained"."""
    return [label for label in message.labels if label != WORDS]


def day(moment: datetime) -> str:
    """Return a date as the summary and results list write it: 2 Dec 2026."""
    return f"{moment.day} {moment:%b %Y}"


def between(text: str, before: str, after: str = "") -> str:
    """Return what a text shows between two fixed pieces of wording."""
    rest = text.split(before, 1)[1]
    return rest.split(after, 1)[0] if after else rest


# -- the main menu ---------------------------------------------------------------------------


async def test_cancel_with_nothing_running_shows_the_plain_menu_once_each(chat: LocalChat) -> None:
    # /cancel with no evaluation relies on the menu's defaults: nothing to continue, standard
    # words (so "Easy read" is offered), and the reading switch at the bottom, not the top.
    await chat.send("/cancel")

    menu = chat.last
    assert menu.html == "What would you like to do next?"
    assert menu.labels == [
        "Self-evaluation",
        "Team self-evaluation",
        "Find a resource",
        "Browse by topic",
        "My results",
        "Indicators",
        "Expected outcomes",
        "The rating scale",
        "Words explained",
        "About this guide",
        "Privacy",
        "📖 Easy read",
    ]
    assert menu.callback_data("📖 Easy read") == callbacks.menu("reading")


# -- questions: shown short, asked again -----------------------------------------------------


async def test_a_long_statement_is_asked_short_and_its_whole_text_is_one_tap_away(
    guide: Guide, chat: LocalChat
) -> None:
    statement = guide.content.statements[1]  # the shipped statement too long for a phone
    await start_evaluation(chat)
    await chat.tap("Skip")

    question = chat.last
    # Only the plain summary is shown: the progress line, the title, the summary, the ask.
    assert question.html == (
        "<i>Statement 2 of 7</i>\n\n"
        f"<b>{escape(statement.title, quote=False)}</b>\n\n"
        f"{escape(statement.plain, quote=False)}\n\n"
        f"How close is <b>{ORGANISATION}</b> to this?"
    )
    assert "Read the full statement" in question.labels

    await chat.tap("Read the full statement")

    whole = next(m for m in chat.replies if m.text.startswith("The full statement"))
    # The whole statement as written, not the summary again in front of it.
    assert whole.html == f"<b>The full statement</b>\n\n{escape(statement.text, quote=False)}"
    # The question comes back underneath, still waiting for its answer.
    assert chat.last.text.startswith("Statement 2 of 7")
    assert len(rating_labels(chat)) == 5


async def test_a_skipped_statement_asked_again_says_so_and_still_offers_skip(
    guide: Guide, chat: LocalChat
) -> None:
    statement = guide.content.statements[0]
    await start_evaluation(chat)
    first = chat.last.html
    await chat.tap("Skip")

    await chat.tap("⬅ Back")

    again = chat.last
    assert again.html == (
        f"{first}\n\nYour answer so far: <b>Skipped</b>. Tap Keep my answer, or choose again."
    )
    assert again.html.startswith(
        f"<i>Statement 1 of 7</i>\n\n<b>{escape(statement.title, quote=False)}</b>\n\n"
    )
    # Skipped before, so skipping again loses nothing: Skip stays, beside Keep my answer.
    assert "Skip" in again.labels and "Keep my answer" in again.labels


async def test_a_skipped_note_asked_again_shows_no_made_up_note(chat: LocalChat) -> None:
    await start_evaluation(chat)
    await rate(chat, 2)  # and skip the note

    await chat.tap("⬅ Back")

    note = chat.last
    assert "What evidence supports this rating?" in note.text
    # Nothing was typed: the note line says it was skipped, as a skipped rating does.
    assert between(note.text, "Your note so far:").strip() == "Skipped"


def test_a_typed_answer_asked_again_with_nothing_typed_shows_nothing_made_up(
    guide: Guide,
) -> None:
    # The organisation question, asked again before anything was kept (it cannot be skipped
    # in the chat, so this is rendered directly).
    prompt = engine.Prompt(
        step_id="ask-organisation",
        kind="text",
        text="Which council or organisation are you rating? Please type its name.",
        params={},
        has_current=True,
        current=None,
    )

    text = visible(views.question(guide.texts, prompt, 1, 1).text)

    assert between(text, "Your answer so far:", ". Tap").strip() == "Skipped"


def test_an_answer_no_longer_on_the_buttons_is_shown_as_it_was_given(guide: Guide) -> None:
    # A level the scale does not have (a scale edited since): shown as the value kept.
    rating = rating_prompts(guide)[0]
    again = replace(rating, current=7, has_current=True)

    screen = views.question(guide.texts, again, 1, 1)

    assert "Your answer so far: <b>7</b>." in screen.text


def test_a_statement_exactly_at_the_limit_is_shown_whole(guide: Guide) -> None:
    # QUESTION_LIMIT characters still fit beside "Your answer so far"; one more does not.
    def asked(length: int) -> Screen:
        prompt = engine.Prompt(
            step_id="rate",
            kind="rating",
            text="{text}",
            params={"text": "x" * length, "short": "In short"},
        )
        return views.question(guide.texts, prompt, 1, 1)

    at_limit = asked(views.QUESTION_LIMIT)
    over = asked(views.QUESTION_LIMIT + 1)

    assert at_limit.text == "x" * views.QUESTION_LIMIT
    assert "Read the full statement" not in labels(at_limit)
    assert over.text == "In short"
    assert "Read the full statement" in labels(over)


# -- More detail ---------------------------------------------------------------------------


def test_a_statement_shown_short_without_a_separate_full_text_shows_its_own_text(
    guide: Guide,
) -> None:
    long = next(p for p in rating_prompts(guide) if views.shortened(p) is not p)
    params = {k: v for k, v in long.params.items() if k != "full"}
    prompt = replace(long, params=params)

    screen = views.details(guide.texts, prompt)

    assert screen.text == f"<b>The full statement</b>\n\n{escape(params['text'], quote=False)}"


def test_a_question_cut_short_with_nothing_more_to_show_gives_just_the_heading(
    guide: Guide,
) -> None:
    # Neither the whole text nor the text itself is a parameter: nothing to add, and no error
    # (an error would greet "Read the full statement" with the generic apology).
    prompt = engine.Prompt(
        step_id="rate",
        kind="rating",
        text="y" * (views.QUESTION_LIMIT + 1),
        params={"short": "In short"},
    )

    screen = views.details(guide.texts, prompt)

    assert visible(screen.text).strip() == "The full statement"


def test_the_points_of_a_statement_keep_their_quotes_as_written(guide: Guide) -> None:
    # Like every value the bot fills in, only <, > and & are escaped (test_chat_html_escaping).
    base = next(p for p in rating_prompts(guide) if views.shortened(p) is p)
    prompt = replace(base, details=('Staff\'s "own" plan & <budget>',))

    screen = views.details(guide.texts, prompt)

    assert screen.text == '<b>More detail</b>\n\n• Staff\'s "own" plan &amp; &lt;budget&gt;'


# -- the summary ---------------------------------------------------------------------------


async def test_an_unfinished_evaluations_summary_lists_every_statement_in_order(
    guide: Guide, bot: RunningBot, chat: LocalChat
) -> None:
    statements = guide.content.statements
    await start_evaluation(chat)
    await rate(chat, 2, note="We have a plan & a budget")
    await chat.tap("Skip")
    await rate(chat, 1)
    await chat.tap("Pause")
    [evaluation] = bot.store.evaluations_for(bot.store.participant_for("1001"))

    await chat.send("/results")
    await chat.tap(chat.last.labels[0])

    shown = {0: "2 — Developing", 1: "Skipped", 2: "1 — Commitment"}
    lines = [
        f"{n}. {escape(s.title, quote=False)}: <b>{shown.get(n - 1, 'not answered yet')}</b>"
        for n, s in enumerate(statements, start=1)
    ]
    summary = chat.last
    assert summary.html == "\n".join(
        [
            f"<b>Your ratings: {ORGANISATION}</b>",
            f"You started on {day(evaluation.started_at)}. You rated 2 of 7 and skipped 1.",
            "",
            *lines,
            "",
            "You rated 2 of them 1 or 2. See where to look next.",
        ]
    )
    assert own_buttons(summary) == ["Where to look next", "My notes", "Export as CSV", "Main menu"]
    await chat.tap("My notes")
    assert "We have a plan & a budget" in chat.last.text


async def test_an_easy_read_summary_uses_the_easy_titles_and_levels(
    guide: Guide, chat: LocalChat
) -> None:
    statements = guide.content.statements
    first_level = guide.content.scales[0].points[0]
    await chat.send("/start")
    await chat.tap("📖 Easy read")
    await chat.tap("Main menu")
    await chat.tap("Self-evaluation")
    await chat.send(ORGANISATION)
    easy_label = easy_option(first_level)
    assert easy_label in chat.last.labels  # what the person tapped...
    await chat.tap(easy_label)
    await chat.tap("Skip")  # no note
    await chat.tap("Pause")

    await chat.send("/results")
    await chat.tap(chat.last.labels[0])

    text = chat.last.html
    # ...is what the summary shows, beside the easy titles the questions used.
    first, second = (s.easy_title or s.title for s in statements[:2])
    assert statements[0].easy_title and statements[0].easy_title != statements[0].title
    assert f"\n1. {escape(first, quote=False)}: <b>{easy_label}</b>\n" in text
    assert f"\n2. {escape(second, quote=False)}: <b>not answered yet</b>\n" in text


def test_a_summary_without_an_organisation_says_none_was_given(guide: Guide) -> None:
    # Older evaluations may have no organisation kept (the chat always asks for one now).
    content = guide.content
    evaluation = Evaluation(3, "p-1", None, "finished", WHEN, WHEN, 0)

    screen = views.summary(guide.texts, content, evaluation, {}, content.statements)

    assert screen.text.startswith("<b>Your ratings: Organisation not given</b>\nYou started on")


def test_a_rating_the_scale_no_longer_names_shows_as_its_number(guide: Guide) -> None:
    # Ratings kept from before the scale changed (or a 0 from an import): never another
    # level's name, never "None".
    content = guide.content
    first, second = content.statements[:2]
    answers = {
        first.id: Answer(first.id, 0, False, None, WHEN),
        second.id: Answer(second.id, 9, False, None, WHEN),
    }
    evaluation = Evaluation(3, "p-1", "Leeds", "finished", WHEN, WHEN, 2)

    text = views.summary(guide.texts, content, evaluation, answers, content.statements).text

    assert f"\n1. {escape(first.title, quote=False)}: <b>0</b>\n" in text
    assert f"\n2. {escape(second.title, quote=False)}: <b>9</b>\n" in text


def test_a_summary_by_default_covers_every_statement_in_standard_words(guide: Guide) -> None:
    # Called without a statement list or a reading mode: the whole guide, in standard words.
    content = guide.content
    answers = {s.id: Answer(s.id, 3, False, None, WHEN) for s in content.statements}
    evaluation = Evaluation(3, "p-1", "Leeds", "finished", WHEN, WHEN, len(answers))

    text = views.summary(guide.texts, content, evaluation, answers).text

    assert f"You rated {len(answers)} of {len(answers)} and skipped 0." in text
    for n, statement in enumerate(content.statements, start=1):
        assert f"\n{n}. {escape(statement.title, quote=False)}: <b>3 — Implementation</b>" in text


# -- lists that page: opened without a page, they start at the first -----------------------------


def test_lists_opened_without_a_page_start_at_the_first(guide: Guide) -> None:
    # Lists long enough for several pages, opened without naming one: page 1, with Next only.
    content, texts = guide.content, guide.texts
    statements = content.statements
    note = ("We checked this & agreed an action plan. " * 20)[:250]
    answers = {s.id: Answer(s.id, 1, False, note, WHEN) for s in statements}
    group = max(content.indicator_groups, key=lambda g: len(g.indicators))
    long = replace(group, indicators=group.indicators * 4)
    groups = content.indicator_groups

    opened = {
        "reading": views.reading(texts, content, 4, statements),
        "notes": views.notes(texts, 9, statements, answers),
        "indicators": views.indicator_group(texts, content, long, groups),
    }

    for name, screen in opened.items():
        assert "Page 1 of " in visible(screen.text), name  # these lists have several pages
        assert "Next ➡" in labels(screen) and "⬅ Back" not in labels(screen), name


def test_a_statement_with_nothing_to_read_does_not_end_the_reading_list(guide: Guide) -> None:
    content = guide.content
    # A statement the guide no longer lists (so nothing is tied to it), before one that has.
    dropped = Statement("no-longer-in-the-guide", "A statement since dropped", "Some text.")
    kept = content.statements[0]

    screen = views.reading(guide.texts, content, 4, [dropped, kept])

    text = visible(screen.text)
    assert "A statement since dropped" not in text
    first = views.reading_for(content, kept.id)[0]
    assert f"• {kept.title}: {first.title}" in text
    assert data(screen)[first.title] == callbacks.resource(first.id, reading_of=4)
    assert views.reading_for(content, dropped.id) == ()


def test_items_fill_a_page_up_to_the_limit_and_no_further() -> None:
    heading = "<b>Heading</b>"
    # What a page may hold: the limit, less the heading and its "Page 1 of 2" line; each item
    # also takes the blank line before it.
    room = views.SCREEN_LIMIT - len(visible(heading)) - views.PAGE_LINE
    first = "a" * (room // 2 - 2)
    exact = "b" * (room - len(first) - 4)

    assert views.pages(heading, [first, exact]) == [[first, exact]]  # exactly full: one page
    assert views.pages(heading, [first, exact + "b"]) == [[first], [exact + "b"]]
    assert views.pages(heading, ["one", "two", "three"]) == [["one", "two", "three"]]


# -- search ----------------------------------------------------------------------------------


def test_a_result_with_nothing_in_it_is_shown_as_nothing_found(guide: Guide) -> None:
    content = guide.content
    # The search itself pairs "none" with no hits; a result that does not (hand-made, or from a
    # changed search) must still never show "Here's what I found" above no resources at all.
    found = SearchIndex.build(content.resources, content.vocabulary).search("safe stafing")
    assert found.hits
    topic_data = [callbacks.topic(t.id) for t in content.topics]

    for result in (
        SearchResult("safe stafing", Band.SUGGEST, ()),
        SearchResult("safe stafing", Band.NONE, found.hits),
    ):
        screen = views.search_results(guide.texts, content, result, "safe stafing")

        assert visible(screen.text).startswith("Sorry, nothing in this guide matches safe")
        assert [b.data for row in screen.rows[:-1] for b in row] == topic_data


# -- resource cards --------------------------------------------------------------------------


async def test_a_card_with_a_link_says_where_to_find_it(guide: Guide, chat: LocalChat) -> None:
    resource = next(r for r in guide.content.resources if r.url)
    topic = next(t for t in guide.content.topics if t.id in resource.topics)
    await chat.send("/start")
    await chat.tap("Browse by topic")
    await chat.tap(topic.label)

    await chat.tap(resource.title)

    card = chat.last
    publisher = f"{resource.publisher}, {resource.year}" if resource.year else resource.publisher
    easy = ["<b>Easy read:</b> there is an easy read copy too."] if resource.accessible else []
    assert card.html == "\n".join(
        [
            f"<b>{escape(resource.title, quote=False)}</b>",
            f"<i>{escape(publisher, quote=False)}</i>",
            "",
            escape(resource.summary, quote=False),
            "",
            f"<b>Who it's for:</b> {', '.join(resource.audience)}",
            *easy,
            f"<b>Where to find it:</b> {resource.url}",
        ]
    )
    assert own_buttons(card) == ["Share", f"Back to {topic.label}", "Main menu"]


def hand_made(guide: Guide, **changes: Any) -> Resource:
    """Return a shipped resource with some fields changed."""
    return replace(guide.content.resources[0], **changes)


def test_a_card_keeps_quotes_as_written_and_lists_every_audience(guide: Guide) -> None:
    resource = hand_made(
        guide,
        title='Carers\' "first steps" guide',
        summary="What it's like & what to ask <first>.",
        audience=("carers", "managers"),
        year=2024,
        accessible=True,
        url="https://example.org/guide",
        home_page=None,
    )

    card = views.resource_card(guide.texts, resource)

    assert card.text == "\n".join(
        [
            '<b>Carers\' "first steps" guide</b>',
            f"<i>{escape(resource.publisher, quote=False)}, 2024</i>",
            "",
            "What it's like &amp; what to ask &lt;first&gt;.",
            "",
            "<b>Who it's for:</b> carers, managers",
            "<b>Easy read:</b> there is an easy read copy too.",
            "<b>Where to find it:</b> https://example.org/guide",
        ]
    )


def test_a_card_can_name_its_title_where_it_says_to_search(guide: Guide) -> None:
    # The loader lets an editor use {title} in this wording, so the card must fill it in.
    texts = Texts(
        {**guide.content.texts, "resource.home_page": "Search for “{title}” on {home_page}"}
    )
    resource = hand_made(guide, title="Safe & sound", url=None, home_page="https://www.hee.nhs.uk")

    card = views.resource_card(texts, resource)

    assert card.text.endswith("\nSearch for “Safe &amp; sound” on https://www.hee.nhs.uk")


# -- indicators and outcomes keep quotes as written --------------------------------------------


def test_an_indicator_group_keeps_quotes_in_its_title_and_measures(guide: Guide) -> None:
    content = guide.content
    group = content.indicator_groups[0]
    indicator = replace(group.indicators[0], measures=('People\'s "own" jobs & <pay>',))
    quoted = replace(group, title="Carers' experience", indicators=(indicator,))

    text = views.indicator_group(guide.texts, content, quoted, [quoted]).text

    assert text.startswith("<b>Carers' experience</b>\n\n")
    assert text.endswith('\n  • People\'s "own" jobs &amp; &lt;pay&gt;')


def test_an_outcome_keeps_its_quotes_as_written(guide: Guide) -> None:
    content = guide.content
    outcome = replace(content.outcomes[0], text='People\'s "own" goals & <plans> are met.')
    one: Content = replace(content, outcomes=(outcome,))

    text = views.outcomes(guide.texts, one).text

    assert '\n\n• People\'s "own" goals &amp; &lt;plans&gt; are met.' in text


# -- what the log keeps ----------------------------------------------------------------------


async def test_buttons_that_cannot_be_removed_are_logged_with_the_message_and_why(
    bot: RunningBot, chat: LocalChat, caplog: pytest.LogCaptureFixture
) -> None:
    await chat.send("/start")
    telegram_bot = cast(Bot, cast(Any, bot.application).bot)
    gone = chat.last.message_id + 1000  # a message the chat does not have (deleted, say)

    with caplog.at_level(logging.DEBUG, logger="bot.telegram.screens"):
        await screens.drop_buttons(telegram_bot, chat.chat_id, gone)  # no error: nothing to tidy

    [record] = [r for r in caplog.records if r.name == "bot.telegram.screens"]
    message = record.getMessage()
    assert str(gone) in message
    assert "message to edit not found" in message.lower()  # Telegram's reason
