"""Screens rendered from the shipped guide: each says what it should, pages lead on and back.

(`test_screens_shipped.py` renders every screen once, when tests are collected, and checks its
length and that it has a way on; these check what the screens say and where their buttons go.)
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from html import escape

import pytest

from bot import engine
from bot.evaluation import Progress
from bot.glossary import visible
from bot.loading import Guide
from bot.search import Band, SearchIndex
from bot.telegram import callbacks, views
from bot.telegram.screens import Screen
from storage import Answer, Evaluation

WHEN = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def labels(screen: Screen) -> list[str]:
    return [button.label for row in screen.rows for button in row]


def data(screen: Screen) -> dict[str, str | None]:
    return {button.label: button.data for row in screen.rows for button in row}


def prompts(guide: Guide, easy: bool = False) -> list[engine.Prompt]:
    """Return every question of the evaluation flow, in order (rating each statement 1)."""
    flow = guide.evaluation_flow(easy)
    state = engine.start(flow, guide.context, {"organisation": "Leeds"}).state
    found = []
    while (prompt := engine.prompt_at(flow, guide.context, state)) is not None:
        found.append(prompt)
        if prompt.kind == "rating":
            reply: engine.Reply = engine.Choose("1")
        elif prompt.kind == "choice":
            reply = engine.Choose(prompt.options[0].id)
        else:
            reply = engine.Skip()
        state = engine.answer(flow, guide.context, state, reply).state
    return found


def rating_prompts(guide: Guide) -> list[engine.Prompt]:
    return [p for p in prompts(guide) if p.kind == "rating"]


# -- the statement's detail ----------------------------------------------------------------


def test_more_detail_lists_the_statements_points(guide: Guide) -> None:
    prompt = next(p for p in rating_prompts(guide) if p.details and views.shortened(p) is p)

    screen = views.details(guide.texts, prompt)

    assert screen.text.startswith("<b>More detail</b>\n\n")
    assert screen.text.endswith(
        "\n".join(f"• {escape(point, quote=False)}" for point in prompt.details)
    )


def test_a_statement_shown_short_offers_the_whole_text(guide: Guide) -> None:
    long = [p for p in rating_prompts(guide) if views.shortened(p) is not p]
    assert long, "the shipped guide has statements too long to show whole"
    prompt = long[0]

    question = views.question(guide.texts, prompt, 1, 1)
    screen = views.details(guide.texts, prompt)

    assert "Read the full statement" in labels(question)
    assert "More detail" not in labels(question)
    assert prompt.params["short"] in visible(question.text)
    assert screen.text.startswith("<b>The full statement</b>\n\n")
    full = prompt.params.get("full", prompt.params["text"])
    assert escape(full, quote=False) in screen.text


def test_a_statement_with_nothing_more_says_so(guide: Guide) -> None:
    prompt = next(p for p in rating_prompts(guide) if not p.details and views.shortened(p) is p)

    assert views.details(guide.texts, prompt).text == "There's no more detail for this statement."


def test_a_question_asked_again_shows_the_answer_so_far(guide: Guide) -> None:
    rating = rating_prompts(guide)[0]
    again = engine.Prompt(**{**rating.__dict__, "current": 4, "has_current": True})
    note = next(p for p in prompts(guide) if p.kind == "text")
    typed = engine.Prompt(**{**note.__dict__, "current": "Board <minutes>", "has_current": True})

    rated = views.question(guide.texts, again, 1, 1)
    noted = views.question(guide.texts, typed, 1, 1)

    assert "Your answer so far: <b>4 — " in rated.text
    assert "Keep my answer" in " ".join(labels(rated))
    assert "Skip" not in labels(rated)  # Skip would silently wipe the answer kept
    assert "Your note so far: <i>Board &lt;minutes&gt;</i>" in noted.text


# -- the scale -----------------------------------------------------------------------------


def test_the_scale_at_a_glance_has_a_line_and_a_button_per_level(guide: Guide) -> None:
    scale = guide.content.scales[0]

    screen = views.scale(guide.texts, scale)

    assert screen.text.startswith(f"<b>{scale.name}</b>\n")
    for point in scale.points:
        assert f"<b>{point.value} — {point.label}</b>: {point.short or point.label}" in screen.text
        button = f"Tell me more: {point.value} — {point.label}"
        assert data(screen)[button] == callbacks.level(scale.id, point.value)
    assert labels(screen)[-1] == "Main menu"


def test_the_easy_read_scale_is_five_steps_with_their_symbols(guide: Guide) -> None:
    scale = guide.content.scales[0]

    screen = views.scale(guide.texts, scale, easy=True)

    assert screen.text.startswith("<b>The 5 steps</b>\n")
    for point in scale.points:
        line = f"{point.symbol} <b>{point.value}</b> {point.easy_read or point.label}"
        assert f"\n\n{line}" in screen.text
    assert labels(screen) == ["Main menu"]
    assert views.scale(guide.texts, scale).text != screen.text  # standard words by default


def test_one_level_in_full_leads_to_the_other_levels(guide: Guide) -> None:
    scale = guide.content.scales[0]
    point = scale.points[2]

    screen = views.level(guide.texts, scale, point.value)

    assert screen.text.startswith(f"<b>{point.value} — {point.label}</b>\n{point.description}")
    assert screen.text.endswith(f"<i>{escape(scale.intro, quote=False)}</i>")
    others = [p for p in scale.points if p.value != point.value]
    assert [b.label for b in screen.rows[0]] == [str(p.value) for p in others]
    assert [b.data for b in screen.rows[0]] == [callbacks.level(scale.id, p.value) for p in others]
    assert labels(screen)[-1] == "Main menu"


# -- continuing, results, notes and reading ------------------------------------------------------


def test_an_unfinished_evaluation_offers_to_continue(guide: Guide) -> None:
    alone = views.in_progress(guide.texts, Progress("Leeds <North>", 3, 7))
    in_round = views.in_progress(guide.texts, Progress(None, 2, 5, "Spring & summer"))

    assert alone.text == (
        "You have not finished rating <b>Leeds &lt;North&gt;</b> yet: 3 of 7 done."
    )
    assert in_round.text == (
        "You have not finished rating <b>Spring &amp; summer</b> for "
        "<b>Organisation not given</b> yet: 2 of 5 done."
    )
    assert [row[0].data for row in alone.rows] == [
        callbacks.menu("resume"),
        callbacks.menu("new"),
        callbacks.menu("main"),
    ]


def evaluation(
    n: int, *, status: str = "finished", answered: int = 7, skipped: int = 0
) -> Evaluation:
    return Evaluation(n, "p-1", f"Council {n}", status, WHEN, WHEN, answered, None, skipped)


def test_the_results_list_names_each_evaluation_and_its_progress(guide: Guide) -> None:
    evaluations = [
        evaluation(1),
        evaluation(2, status="in_progress", answered=3, skipped=1),
        Evaluation(3, "p-1", None, "finished", WHEN, WHEN, 7),
    ]

    screen = views.results_list(guide.texts, evaluations, {1: 7, 2: 7})

    assert labels(screen) == [
        "Council 1 · 1 Dec 2026 · 7/7 rated",
        "(unfinished) Council 2 · 1 Dec 2026 · 2/7 rated, 1 skipped",
        "Organisation not given · 1 Dec 2026 · 7/7 rated",
        "Export as CSV",
        "Main menu",
    ]
    assert [row[0].data for row in screen.rows[:3]] == [callbacks.results(n) for n in (1, 2, 3)]


def test_the_results_list_shows_the_newest_twenty(guide: Guide) -> None:
    screen = views.results_list(guide.texts, [evaluation(n) for n in range(1, 26)], {})

    assert len(screen.rows) == 20 + 2
    assert screen.rows[19][0].data == callbacks.results(20)


def test_no_results_yet_offers_to_start(guide: Guide) -> None:
    screen = views.results_list(guide.texts, [], {})

    assert [row[0].data for row in screen.rows] == [callbacks.menu("evaluate"), "m:main"]


def notes_for(guide: Guide, length: int) -> dict[str, Answer]:
    note = ("We checked this & agreed <an> action plan. " * 20)[:length].strip()
    return {s.id: Answer(s.id, 3, False, note, WHEN) for s in guide.content.statements}


def test_notes_come_a_page_at_a_time_each_under_its_statement(guide: Guide) -> None:
    statements = guide.content.statements
    answers = notes_for(guide, 250)
    pages = []
    for page in range(10):
        pages.append(views.notes(guide.texts, 9, statements, answers, page))

    count = int(visible(pages[0].text).split("Page 1 of ")[1].split()[0])
    assert count >= 2
    shown = [visible(p.text) for p in pages[:count]]
    for n, text in enumerate(shown, start=1):
        assert text.startswith(f"Your notes\nPage {n} of {count}")
    for statement in statements:  # every note is on exactly one page
        assert sum(f"{statement.title}\n" in text for text in shown) == 1
    assert "&lt;an&gt;" in pages[0].text
    assert data(pages[0])["Next ➡"] == callbacks.results(9, "notes", 1)
    assert "⬅ Back" not in data(pages[0])
    assert data(pages[1])["⬅ Back"] == callbacks.results(9, "notes", 0)
    assert "Next ➡" not in data(pages[count - 1])
    assert pages[9].text == pages[count - 1].text  # past the end: the last page
    assert views.notes(guide.texts, 9, statements, answers, -3).text == pages[0].text
    assert data(pages[0])["Back to the summary"] == callbacks.results(9)


def test_few_notes_fit_one_page_without_a_page_line(guide: Guide) -> None:
    statements = guide.content.statements
    answers = {statements[0].id: Answer(statements[0].id, 2, False, "Short note", WHEN)}
    answers[statements[1].id] = Answer(statements[1].id, 2, False, None, WHEN)

    screen = views.notes(guide.texts, 9, statements, answers)

    assert screen.text == f"<b>Your notes</b>\n\n<b>{statements[0].title}</b>\n<i>Short note</i>"
    assert "Next ➡" not in data(screen)


def test_where_to_look_next_names_resources_for_each_low_rating(guide: Guide) -> None:
    content = guide.content
    low = list(content.statements)
    pages = [views.reading(guide.texts, content, 4, low, page=n) for n in range(len(low) + 1)]
    count = 1 + sum("Next ➡" in data(p) for p in pages[: len(low)])

    seen: list[str] = []
    for page in pages[:count]:
        text = visible(page.text)
        assert text.startswith("Where to look next\nFor the statements you rated 1 or 2:")
        for row in page.rows[:-3]:
            for button in row:
                resource_id = (button.data or "").split(":")[1]
                assert button.data == callbacks.resource(resource_id, reading_of=4)
                assert button.label in text  # a button for each resource the page names
                seen.append(resource_id)
    for statement in low:
        first = views.reading_for(content, statement.id)[: views.READING_PER_STATEMENT]
        assert statement.reading[0] == first[0].id  # the guide's own choice comes first
        assert any(f"• {statement.title}: {first[0].title}" in visible(p.text) for p in pages)
    assert pages[len(low)].text == pages[count - 1].text
    assert data(pages[0])["Back to the summary"] == callbacks.results(4)


def test_where_to_look_next_in_easy_read_uses_the_easy_titles(guide: Guide) -> None:
    content = guide.content
    statement = next(s for s in content.statements if s.easy_title)

    screen = views.reading(guide.texts, content, 4, [statement], easy=True)

    assert f"• {statement.easy_title}:" in visible(screen.text)
    assert "Signs it is working:" in visible(screen.text)


# -- indicators, outcomes, topics, search ---------------------------------------------------------


def test_indicator_pages_show_each_measure_and_lead_on(guide: Guide) -> None:
    content = guide.content
    group = max(content.indicator_groups, key=lambda g: len(g.indicators))
    pages = [
        views.indicator_group(guide.texts, content, group, content.indicator_groups, n)
        for n in range(len(group.indicators) + 2)
    ]

    text = "\n".join(visible(p.text) for p in pages)
    for indicator in group.indicators:
        assert indicator.title in text
        assert f"Aim for: {indicator.aim}." in text
        for measure in indicator.measures:
            assert f"\n  • {measure}" in text
    first = pages[0]
    assert first.text.startswith(f"<b>{escape(group.title, quote=False)}</b>")
    if "Next ➡" in data(first):
        assert data(first)["Next ➡"] == callbacks.indicators(group.id, 1)
        assert data(pages[1])["⬅ Back"] == callbacks.indicators(group.id, 0)
    others = [g for g in content.indicator_groups if g.id != group.id]
    for other in others:
        assert data(first)[other.title] == callbacks.indicators(other.id)
    assert group.title not in data(first)


def test_indicators_say_which_statements_they_measure(guide: Guide) -> None:
    content = guide.content
    linked = [
        (group, indicator)
        for group in content.indicator_groups
        for indicator in group.indicators
        if indicator.statements
    ]
    assert linked
    group, indicator = linked[0]
    titles = [content.statement(i).title for i in indicator.statements]  # type: ignore[union-attr]

    text = "".join(
        visible(views.indicator_group(guide.texts, content, group, [group], n).text)
        for n in range(len(group.indicators))
    )

    assert f"Measures: {'; '.join(titles)}" in text


def test_outcomes_come_a_page_at_a_time_with_the_statements_they_follow_from(
    guide: Guide,
) -> None:
    content = guide.content
    pages = [views.outcomes(guide.texts, content, n) for n in range(len(content.outcomes))]
    distinct = list(dict.fromkeys(p.text for p in pages))

    text = "\n".join(visible(t) for t in distinct)
    for outcome in content.outcomes:
        assert f"• {outcome.text}" in text
        titles = [s.title for s in (content.statement(i) for i in outcome.statements) if s]
        if titles:
            assert f"Follows from: {'; '.join(titles)}" in text
    if len(distinct) > 1:
        assert data(pages[0])["Next ➡"] == callbacks.outcomes(1)
        assert data(pages[1])["⬅ Back"] == callbacks.outcomes(0)


def test_topics_are_two_to_a_row_every_one_of_them(guide: Guide) -> None:
    rows = views.topic_buttons(guide.content)

    assert [b.data for row in rows for b in row] == [
        callbacks.topic(t.id) for t in guide.content.topics
    ]
    assert all(len(row) == 2 for row in rows[:-1])
    assert len(rows[-1]) in (1, 2)


def test_a_topic_lists_its_resources_and_leads_back(guide: Guide) -> None:
    topic = guide.content.topics[0]
    resources = guide.content.resources[:3]

    screen = views.topic(guide.texts, topic, resources)

    assert [row[0].data for row in screen.rows] == [
        *(callbacks.resource(r.id, topic_id=topic.id) for r in resources),
        callbacks.menu("topics"),
        callbacks.menu("main"),
    ]


@pytest.mark.parametrize(
    ("query", "band"),
    [("safe stafing", Band.CONFIDENT), ("pizza delivery near me", Band.NONE)],
)
def test_search_results_offer_the_resources_found_or_the_topics(
    guide: Guide, query: str, band: Band
) -> None:
    content = guide.content
    index = SearchIndex.build(content.resources, content.vocabulary)
    result = index.search(query)
    assert result.band == band

    screen = views.search_results(guide.texts, content, result, query)

    if band == Band.NONE:
        assert [b.data for row in screen.rows[:-1] for b in row] == [
            callbacks.topic(t.id) for t in content.topics
        ]
    else:
        assert screen.text == f"Here's what I found for <b>{query}</b>:"
        hits = [callbacks.resource(hit.resource.id) for hit in result.hits]
        assert [row[0].data for row in screen.rows] == [*hits, "m:topics", "m:main"]
    assert query in visible(screen.text)


def test_the_scale_lists_one_line_per_level_under_its_heading(guide: Guide) -> None:
    scale = guide.content.scales[0]

    lines = visible(views.scale(guide.texts, scale).text).split("\n")

    assert lines[0] == scale.name
    blank = lines.index("")
    assert lines[blank + 1 :] == [
        f"{p.value} — {p.label}: {p.short or p.label}" for p in scale.points
    ]


def test_where_to_look_next_shows_signs_under_each_line_and_pages_only_when_needed(
    guide: Guide,
) -> None:
    content = guide.content
    statement = content.statements[0]
    signs = content.signs_for_statement(statement.id)
    assert signs

    one = views.reading(guide.texts, content, 4, [statement], page=0)
    text = visible(one.text)

    first = views.reading_for(content, statement.id)[: views.READING_PER_STATEMENT]
    names = "; ".join(r.title for r in first)
    assert f"• {statement.title}: {names}\nSigns it is working: {signs}" in text
    assert "Page " not in text  # a single page has no page line
    assert [row[0].label for row in one.rows[: len(first)]] == [r.title for r in first]


def test_a_page_of_reading_has_a_button_for_every_resource_it_names(guide: Guide) -> None:
    content = guide.content
    low = list(content.statements)
    first = views.reading(guide.texts, content, 4, low, page=0)
    count = int(visible(first.text).split("Page 1 of ")[1].split()[0])

    for n in range(count):
        page = views.reading(guide.texts, content, 4, low, page=n)
        named = [
            s for s in low if f"• {s.title}: " in visible(page.text)
        ]  # the statements this page names
        expected: list[str] = []
        for statement in named:
            for resource in views.reading_for(content, statement.id)[:2]:
                if resource.title not in expected:
                    expected.append(resource.title)
        buttons = [row[0].label for row in page.rows if row[0].data and ":s." in row[0].data]
        assert buttons == expected[: views.READING_BUTTONS]
        assert visible(page.text).startswith(
            f"Where to look next\nFor the statements you rated 1 or 2:\nPage {n + 1} of {count}"
        )


def test_a_statements_reading_lists_each_resource_once_the_guides_choice_first(
    guide: Guide,
) -> None:
    content = guide.content
    for statement in content.statements:
        tied = content.resources_for_statement(statement.id)

        found = views.reading_for(content, statement.id)

        assert sorted(r.id for r in found) == sorted(r.id for r in tied)
        assert [r.id for r in found[: len(statement.reading)]] == [
            rid for rid in statement.reading if any(r.id == rid for r in tied)
        ]


def test_a_resource_card_names_its_publisher_and_year(guide: Guide) -> None:
    content = guide.content
    dated = next(r for r in content.resources if r.year)
    undated = next((r for r in content.resources if not r.year), None)

    card = views.resource_card(guide.texts, dated)

    assert visible(card.text).split("\n")[:2] == [dated.title, f"{dated.publisher}, {dated.year}"]
    if undated is not None:
        lines = visible(views.resource_card(guide.texts, undated).text).split("\n")
        assert lines[1] == undated.publisher


def test_a_search_that_is_not_sure_says_so(guide: Guide) -> None:
    content = guide.content
    result = SearchIndex.build(content.resources, content.vocabulary).search("care")
    assert result.band == Band.SUGGEST

    screen = views.search_results(guide.texts, content, result, "care")

    assert visible(screen.text) == "I'm not sure I've understood care. Did you mean one of these?"


def test_each_indicator_shows_its_text_aim_and_measures_together(guide: Guide) -> None:
    content = guide.content
    for group in content.indicator_groups:
        pages = [
            visible(views.indicator_group(guide.texts, content, group, [group], n).text)
            for n in range(len(group.indicators))
        ]
        text = "\n".join(dict.fromkeys(pages))
        assert "\n\n  • " not in text  # measures sit right under their indicator
        assert text.count("Measures: ") == sum(1 for i in group.indicators if i.statements)
        for indicator in group.indicators:
            data_word = guide.texts.plain(f"indicator.{indicator.data}")
            block = (
                f"{indicator.title}\n{indicator.text}\nAim for: {indicator.aim}. Data: {data_word}."
            )
            assert block in text
            after = text.split(block, 1)[1].split("\n")
            following = after[1] if len(after) > 1 else ""
            if indicator.statements:
                assert following.startswith("Measures: ")
            elif indicator.measures:
                assert following == f"  • {indicator.measures[0]}"
            else:
                assert following in ("", indicator.title) or not following.startswith("Measures")


def test_a_long_indicator_group_pages_with_next_and_back(guide: Guide) -> None:
    content = guide.content
    group = max(content.indicator_groups, key=lambda g: len(g.indicators))
    long = replace(group, indicators=group.indicators * 4)
    pages = [
        views.indicator_group(guide.texts, content, long, content.indicator_groups, n)
        for n in range(len(long.indicators))
    ]
    count = int(visible(pages[0].text).split("Page 1 of ")[1].split()[0])
    assert count >= 2

    for n in range(count):
        text = visible(pages[n].text)
        assert text.startswith(f"{group.title}\nPage {n + 1} of {count}\n\n")
        assert all(len(visible(p.text)) <= views.SCREEN_LIMIT for p in pages)
    assert data(pages[0])["Next ➡"] == callbacks.indicators(group.id, 1)
    assert data(pages[1])["⬅ Back"] == callbacks.indicators(group.id, 0)
    assert "Next ➡" not in data(pages[count - 1])


def test_outcomes_show_what_they_follow_from_right_under_them(guide: Guide) -> None:
    content = guide.content
    pages = [views.outcomes(guide.texts, content, n) for n in range(len(content.outcomes))]
    distinct = list(dict.fromkeys(visible(p.text) for p in pages))
    count = len(distinct)

    for n, text in enumerate(distinct, start=1):
        heading = visible(guide.texts.plain("outcomes.heading"))
        assert text.startswith(heading + (f"\nPage {n} of {count}" if count > 1 else ""))
    text = "\n".join(distinct)
    for outcome in content.outcomes:
        titles = [s.title for s in (content.statement(i) for i in outcome.statements) if s]
        if titles:
            assert f"• {outcome.text}\n  Follows from: {'; '.join(titles)}" in text


def test_a_skipped_rating_asked_again_says_it_was_skipped(guide: Guide) -> None:
    rating = rating_prompts(guide)[0]
    again = engine.Prompt(**{**rating.__dict__, "current": None, "has_current": True})

    screen = views.question(guide.texts, again, 1, 1)

    assert "Your answer so far: <b>Skipped</b>" in screen.text


def test_indicator_pages_hold_nothing_but_the_indicators_and_their_measures(
    guide: Guide,
) -> None:
    content = guide.content
    for group in content.indicator_groups:
        allowed = {f"<b>{escape(group.title, quote=False)}</b>", ""}
        for indicator in group.indicators:
            line = guide.texts.html(
                "indicator.line",
                title=indicator.title,
                text=indicator.text,
                aim=indicator.aim,
                data=guide.texts.plain(f"indicator.{indicator.data}"),
            )
            allowed |= set(line.split("\n"))
            allowed |= {f"  • {escape(m, quote=False)}" for m in indicator.measures}
            titles = [s.title for s in (content.statement(i) for i in indicator.statements) if s]
            if titles:
                allowed.add(guide.texts.html("indicator.statements", titles="; ".join(titles)))
        for n in range(len(group.indicators)):
            lines = views.indicator_group(guide.texts, content, group, [group], n).text
            for text_line in lines.split("\n"):
                assert text_line in allowed or text_line.startswith("<i>Page "), text_line


def test_outcome_pages_hold_nothing_but_the_outcomes(guide: Guide) -> None:
    content = guide.content
    heading = guide.texts.plain("outcomes.heading")
    allowed = set(heading.split("\n")) | {""}
    for outcome in content.outcomes:
        allowed.add(f"• {escape(outcome.text, quote=False)}")
        titles = [s.title for s in (content.statement(i) for i in outcome.statements) if s]
        allowed.add("  " + guide.texts.html("outcome.statements", titles="; ".join(titles)))
    for n in range(len(content.outcomes)):
        for line in views.outcomes(guide.texts, content, n).text.split("\n"):
            assert line in allowed or line.startswith("<i>Page "), line


def test_an_indicator_tied_to_no_statement_shows_no_measures_line(guide: Guide) -> None:
    content = guide.content
    group = content.indicator_groups[0]
    first = replace(group.indicators[0], statements=())
    alone = replace(group, indicators=(first,))

    text = views.indicator_group(guide.texts, content, alone, [alone]).text

    data_word = guide.texts.plain(f"indicator.{first.data}")
    line = f"Aim for: {escape(first.aim, quote=False)}. Data: {data_word}."
    after = text.split(line, 1)[1]
    expected = "".join(f"\n  • {escape(m, quote=False)}" for m in first.measures)
    assert after == expected
