"""Build screens from data: every interpolated value is escaped, every word comes from content."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from html import escape

from bot.content_model import Content, IndicatorGroup, Resource, Scale, Statement, Topic
from bot.engine import Prompt
from bot.evaluation import Progress
from bot.glossary import visible
from bot.loading.guide import easy_option
from bot.search import Band, SearchResult
from bot.telegram import callbacks
from bot.telegram.screens import Button, Screen, shorten
from bot.texts import Texts
from storage import Answer, Evaluation

LOW_RATINGS = (1, 2)  # ratings that earn "where to look next" suggestions
SCREEN_LIMIT = 600  # visible characters a phone shows without much scrolling
PAGE_LINE = 16  # "Page 10 of 12" and its line break
QUESTION_LIMIT = 560  # a question's text, leaving room for "Your answer so far"
QUERY_SHOWN = 80  # a pasted paragraph is not echoed back in full


def fill(template: str, params: Mapping[str, object]) -> str:
    """Fill a flow template, escaping every value for Telegram HTML."""
    return template.format_map({k: escape(str(v), quote=False) for k, v in params.items()})


def main_menu(
    texts: Texts,
    *,
    resume: bool = False,
    heading: str | None = None,
    easy: bool = False,
    welcome: bool = False,
) -> Screen:
    """Return the main menu, with a Continue button when an evaluation is unfinished."""
    rows: list[tuple[Button, ...]] = []
    reading = Button(
        texts.plain("menu.reading_standard" if easy else "menu.reading_easy"),
        callbacks.menu("reading"),
    )
    if resume:
        rows.append((Button(texts.plain("menu.resume"), callbacks.menu("resume")),))
    rows.append((Button(texts.plain("menu.evaluate"), callbacks.menu("evaluate")),))
    if welcome and not easy:
        rows.append((reading,))  # near the top on the first screen, where it is needed first
    rows += [
        (Button(texts.plain("menu.team"), callbacks.menu("team")),),
        (Button(texts.plain("menu.find"), callbacks.menu("find")),),
        (
            Button(texts.plain("menu.topics"), callbacks.menu("topics")),
            Button(texts.plain("menu.results"), callbacks.menu("results")),
        ),
        (
            Button(texts.plain("menu.indicators"), callbacks.menu("indicators")),
            Button(texts.plain("menu.outcomes"), callbacks.menu("outcomes")),
        ),
        (
            Button(texts.plain("menu.scale"), callbacks.menu("scale")),
            Button(texts.plain("menu.words"), callbacks.menu("words")),
        ),
        (
            Button(texts.plain("menu.about"), callbacks.menu("about")),
            Button(texts.plain("menu.privacy"), callbacks.menu("privacy")),
        ),
    ]
    if not (welcome and not easy):
        rows.append((reading,))
    return Screen(heading or texts.plain("menu.again"), tuple(rows))


def back_to_menu(texts: Texts) -> tuple[Button, ...]:
    """Return a row with the Main menu button: no screen is a dead end."""
    return (Button(texts.plain("menu.main"), callbacks.menu("main")),)


def shortened(prompt: Prompt) -> Prompt:
    """Return the question with its statement cut to the plain summary when it is too long."""
    short = prompt.params.get("short")
    if not short or len(visible(fill(prompt.text, prompt.params))) <= QUESTION_LIMIT:
        return prompt
    return replace(prompt, params={**prompt.params, "text": short})


def question(texts: Texts, prompt: Prompt, evaluation_id: int, turn: int) -> Screen:
    """Render a flow question with its answer buttons, help, Skip, Back and Pause."""
    full = prompt
    prompt = shortened(prompt)
    lines = [_question_text(prompt)]
    if prompt.has_current:
        lines.append(_current_answer(texts, prompt))
    rows: list[tuple[Button, ...]] = [
        (Button(o.label, callbacks.evaluation_option(evaluation_id, turn, o.id)),)
        for o in prompt.options
    ]
    if prompt.has_current:
        rows.append((Button(texts.plain("button.keep"), _action(evaluation_id, turn, "keep")),))
    helpers = []
    if prompt is not full:
        # The plain summary is shown; the whole statement and its points are one tap away.
        label = texts.plain("button.full_statement")
        helpers.append(Button(label, _action(evaluation_id, turn, "more")))
    elif prompt.details:
        helpers.append(Button(texts.plain("button.more"), _action(evaluation_id, turn, "more")))
    if prompt.scale is not None:
        helpers.append(Button(texts.plain("button.levels"), _action(evaluation_id, turn, "levels")))
    rows.append(tuple(helpers))
    moves = []
    if prompt.can_back:
        moves.append(Button(texts.plain("button.back"), _action(evaluation_id, turn, "back")))
    # With an answer already given, Keep moves on; Skip would silently wipe that answer.
    if prompt.can_skip and not (prompt.has_current and prompt.current is not None):
        moves.append(Button(texts.plain("button.skip"), _action(evaluation_id, turn, "skip")))
    moves.append(Button(texts.plain("button.pause"), _action(evaluation_id, turn, "pause")))
    rows.append(tuple(moves))
    return Screen("\n\n".join(lines), tuple(r for r in rows if r))


def _question_text(prompt: Prompt) -> str:
    lines = []
    if prompt.progress is not None:
        progress = prompt.progress
        lines.append(
            f"<i>{fill(progress.template, {'n': progress.n, 'total': progress.total})}</i>"
        )
    lines.append(fill(prompt.text, prompt.params))
    return "\n\n".join(lines)


def _action(evaluation_id: int, turn: int, action: str) -> str:
    return callbacks.evaluation_action(evaluation_id, turn, action)


def _current_answer(texts: Texts, prompt: Prompt) -> str:
    # A skipped note reads "Skipped", as a skipped rating does, never as an empty line.
    typed = prompt.current if prompt.current is not None else texts.plain("eval.skipped")
    if prompt.kind == "text" and prompt.item_id is None:
        # A question outside the statements (the organisation's name) is no "note".
        return texts.html("eval.typed_so_far", answer=typed)
    if prompt.kind == "text":
        return texts.html("eval.note_so_far", answer=typed)
    return texts.html("eval.answer_so_far", answer=answer_label(texts, prompt, prompt.current))


def answer_label(texts: Texts, prompt: Prompt, value: object) -> str:
    """Return how an answer reads: the option's label, the typed text, or Skipped."""
    if value is None:
        return texts.plain("eval.skipped")
    for option in prompt.options:
        if option.id == str(value):
            return option.label
    return str(value)


def answered(texts: Texts, prompt: Prompt, value: object) -> Screen:
    """Return the question as it reads once answered: its text and the answer, no buttons."""
    shown = texts.html("eval.your_answer", answer=answer_label(texts, prompt, value))
    # As it was asked: a question shown short stays short in the chat's record.
    return Screen(f"{_question_text(shortened(prompt))}\n\n{shown}")


def message(prompt: Prompt) -> Screen:
    """Render a flow message or end text."""
    return Screen(fill(prompt.text, prompt.params))


def details(texts: Texts, prompt: Prompt) -> Screen:
    """Return the statement's points, and its whole text when the question showed less."""
    was_short = shortened(prompt) is not prompt
    parts = [texts.plain("eval.full_heading" if was_short else "eval.details_heading")]
    if was_short:
        parts.append(escape(prompt.params.get("full", prompt.params.get("text", "")), quote=False))
    if prompt.details:
        parts.append("\n".join(f"• {escape(point, quote=False)}" for point in prompt.details))
    if len(parts) == 1:
        return Screen(texts.plain("eval.no_details"))
    return Screen("\n\n".join(parts))


def scale(texts: Texts, scale: Scale, *, easy: bool = False) -> Screen:
    """Return the scale at a glance: a short line per level, and Tell me more for each."""
    if easy:
        lines = [
            texts.html(
                "scale.easy_level",
                symbol=p.symbol,
                value=p.value,
                phrase=p.easy_read or p.label,
            )
            for p in scale.points
        ]
        text = "\n\n".join([texts.plain("scale.easy_heading"), *lines])
        return Screen(text, (back_to_menu(texts),))
    lines = [
        texts.html("scale.glance_level", value=p.value, label=p.label, short=p.short or p.label)
        for p in scale.points
    ]
    heading = texts.html("scale.glance_heading", name=scale.name)
    rows = tuple(
        (
            Button(
                texts.label("scale.tell_me_more", value=p.value, label=p.label),
                callbacks.level(scale.id, p.value),
            ),
        )
        for p in scale.points
    )
    return Screen("\n".join([heading, "", *lines]), (*rows, back_to_menu(texts)))


def level(texts: Texts, scale: Scale, value: int) -> Screen:
    """Return one level in full: its name, what it means, and how the scale is used."""
    point = next(p for p in scale.points if p.value == value)
    text = texts.html(
        "scale.level", value=point.value, label=point.label, description=point.description
    )
    others = tuple(
        Button(str(p.value), callbacks.level(scale.id, p.value))
        for p in scale.points
        if p.value != value
    )
    rows = (others, back_to_menu(texts))
    return Screen(f"{text}\n\n<i>{escape(scale.intro, quote=False)}</i>", rows)


def in_progress(texts: Texts, progress: Progress) -> Screen:
    """Offer to continue an unfinished evaluation or start a new one."""
    organisation = progress.organisation or texts.plain("results.no_organisation")
    if progress.round_name is not None:
        text = texts.html(
            "eval.in_progress_round",
            name=progress.round_name,
            organisation=organisation,
            answered=progress.answered,
            total=progress.total,
        )
    else:
        text = texts.html(
            "eval.in_progress",
            organisation=organisation,
            answered=progress.answered,
            total=progress.total,
        )
    rows = (
        (Button(texts.plain("eval.continue"), callbacks.menu("resume")),),
        (Button(texts.plain("eval.start_new"), callbacks.menu("new")),),
        back_to_menu(texts),
    )
    return Screen(text, rows)


READING_PER_STATEMENT = 2  # most specific first, in the summary's reading
READING_BUTTONS = 8  # resource buttons on the reading screen


def summary(
    texts: Texts,
    content: Content,
    evaluation: Evaluation,
    answers: dict[str, Answer],
    statements: Sequence[Statement] | None = None,
    *,
    easy: bool = False,
) -> Screen:
    """Return an evaluation's summary: each rating, with notes and reading one tap away."""
    statements = content.statements if statements is None else statements
    labels = answer_labels(texts, content, easy)
    heading = texts.html(
        "summary.heading",
        organisation=evaluation.organisation or texts.plain("results.no_organisation"),
        date=_date(evaluation.started_at),
        rated=sum(1 for a in answers.values() if a.rating is not None),
        skipped=sum(1 for a in answers.values() if a.skipped),
        total=len(statements),
    )
    lines = [heading, ""]
    for n, statement in enumerate(statements, start=1):
        answer = answers.get(statement.id)
        if answer is None or (answer.rating is None and not answer.skipped):
            shown = texts.plain("summary.not_answered")
        elif answer.skipped:
            shown = texts.plain("eval.skipped")
        else:
            shown = labels.get(answer.rating or 0, str(answer.rating))
        title = (statement.easy_title or statement.title) if easy else statement.title
        lines.append(texts.html("summary.line", n=n, title=title, answer=shown))
    low = low_rated(statements, answers)
    notes = sum(1 for a in answers.values() if a.note)
    rows: list[tuple[Button, ...]] = []
    lines.append("")
    if low:
        lines.append(texts.html("summary.low", count=len(low)))
        reading = callbacks.results(evaluation.id, part="reading")
        rows.append((Button(texts.plain("summary.reading_button"), reading),))
    elif evaluation.answered:
        lines.append(texts.plain("summary.all_good"))
    if notes:
        rows.append(
            (
                Button(
                    texts.plain("summary.notes_button"), callbacks.results(evaluation.id, "notes")
                ),
            )
        )
    rows.append((Button(texts.plain("export.button"), callbacks.menu("export")),))
    rows.append(back_to_menu(texts))
    return Screen("\n".join(lines).strip(), tuple(rows))


def low_rated(statements: Sequence[Statement], answers: Mapping[str, Answer]) -> list[Statement]:
    """Return the statements rated 1 or 2, in order."""
    return [s for s in statements if s.id in answers and answers[s.id].rating in LOW_RATINGS]


def reading(
    texts: Texts,
    content: Content,
    evaluation_id: int,
    statements: Sequence[Statement],
    *,
    easy: bool = False,
    page: int = 0,
) -> Screen:
    """Return a page of where to look next for the statements rated low, with its resources."""
    heading = texts.plain("summary.reading_heading")
    items: list[str] = []
    per_item: list[list[Resource]] = []
    for statement in statements:
        tied = reading_for(content, statement.id)
        if not tied:
            continue
        first = tied[:READING_PER_STATEMENT]
        names = "; ".join(r.title for r in first)
        title = (statement.easy_title or statement.title) if easy else statement.title
        line = texts.html("summary.reading_line", title=title, resources=names)
        signs = content.signs_for_statement(statement.id)
        if signs:
            line += "\n" + texts.html("summary.signs", signs=signs)
        items.append(line)
        per_item.append(list(tied))
    split = pages(heading, items)
    page = min(max(page, 0), len(split) - 1)
    text = "\n\n".join([_page_heading(texts, heading, page, len(split)), *split[page]])
    # The buttons are the resources this page names, in the order it names them.
    start = sum(len(p) for p in split[:page])
    shown: list[Resource] = []
    for resources in per_item[start : start + len(split[page])]:
        shown += [r for r in resources[:READING_PER_STATEMENT] if r not in shown]
    rows = [
        (Button(r.title, callbacks.resource(r.id, reading_of=evaluation_id)),)
        for r in shown[:READING_BUTTONS]
    ]
    pager = _pager(
        texts, page, len(split), lambda n: callbacks.results(evaluation_id, "reading", n)
    )
    back = (Button(texts.plain("summary.back"), callbacks.results(evaluation_id)),)
    return Screen(text, tuple(r for r in (*rows, pager, back, back_to_menu(texts)) if r))


def notes(
    texts: Texts,
    evaluation_id: int,
    statements: Sequence[Statement],
    answers: Mapping[str, Answer],
    page: int = 0,
) -> Screen:
    """Return a page of the evaluation's evidence notes, each under its statement."""
    heading = texts.plain("summary.notes_heading")
    items = [
        texts.html("summary.note_item", title=s.title, note=answers[s.id].note)
        for s in statements
        if s.id in answers and answers[s.id].note
    ]
    split = pages(heading, items)
    page = min(max(page, 0), len(split) - 1)
    text = "\n\n".join([_page_heading(texts, heading, page, len(split)), *split[page]])
    pager = _pager(texts, page, len(split), lambda n: callbacks.results(evaluation_id, "notes", n))
    back = (Button(texts.plain("summary.back"), callbacks.results(evaluation_id)),)
    return Screen(text, tuple(r for r in (pager, back, back_to_menu(texts)) if r))


def answer_labels(texts: Texts, content: Content, easy: bool) -> dict[int, str]:
    """Return each level as its rating button reads, so what is shown matches what was tapped."""
    if easy:
        return {p.value: easy_option(p) for s in content.scales for p in s.points}
    option = texts.plain("rating.option")
    return {v: option.format(value=v, label=name) for v, name in content.rating_labels().items()}


def reading_for(content: Content, statement_id: str) -> tuple[Resource, ...]:
    """Return a statement's resources: those content puts first, then the rest as listed."""
    statement = content.statement(statement_id)
    tied = content.resources_for_statement(statement_id)
    first = statement.reading if statement is not None else ()
    chosen = [r for rid in first for r in tied if r.id == rid]
    return (*chosen, *(r for r in tied if r not in chosen))


def results_list(
    texts: Texts, evaluations: Sequence[Evaluation], totals: Mapping[int, int]
) -> Screen:
    """List the user's evaluations, newest first, each a button to its summary."""
    if not evaluations:
        rows = (
            (Button(texts.plain("menu.evaluate"), callbacks.menu("evaluate")),),
            back_to_menu(texts),
        )
        return Screen(texts.plain("results.none"), rows)
    buttons: list[tuple[Button, ...]] = []
    for evaluation in evaluations[:20]:
        label = texts.label(
            "results.item" if not evaluation.skipped else "results.item_skipped",
            organisation=evaluation.organisation or texts.plain("results.no_organisation"),
            date=_date(evaluation.started_at),
            rated=evaluation.answered - evaluation.skipped,
            skipped=evaluation.skipped,
            total=totals.get(evaluation.id, evaluation.answered),
        )
        if evaluation.status != "finished":
            # First, so a long organisation name cannot push it off the button.
            label = texts.plain("results.unfinished").strip() + " " + label
        buttons.append((Button(label, callbacks.results(evaluation.id)),))
    buttons.append((Button(texts.plain("export.button"), callbacks.menu("export")),))
    buttons.append(back_to_menu(texts))
    return Screen(texts.plain("results.heading"), tuple(buttons))


def _date(moment: datetime) -> str:
    return f"{moment.day} {moment:%b %Y}"


def resource_card(
    texts: Texts, resource: Resource, topic: Topic | None = None, reading_of: int | None = None
) -> Screen:
    """Return a resource: title, publisher, summary, who it is for, where to find it."""
    publisher = (
        texts.html("resource.publisher_year", publisher=resource.publisher, year=resource.year)
        if resource.year
        else texts.html("resource.publisher", publisher=resource.publisher)
    )
    lines = [f"<b>{escape(resource.title, quote=False)}</b>", f"<i>{publisher}</i>", ""]
    lines.append(escape(resource.summary, quote=False))
    lines.append("")
    lines.append(texts.html("resource.audience", audience=", ".join(resource.audience)))
    if resource.accessible:
        lines.append(texts.plain("resource.accessible"))
    if resource.url:
        lines.append(texts.html("resource.link", url=resource.url))
    elif resource.home_page:
        lines.append(
            texts.html("resource.home_page", title=resource.title, home_page=resource.home_page)
        )
    else:
        lines.append(texts.plain("resource.in_framework"))
    if topic is not None:
        back = Button(texts.label("topic.back", label=topic.label), callbacks.topic(topic.id))
    elif reading_of is not None:
        back = Button(texts.plain("summary.reading_back"), callbacks.results(reading_of, "reading"))
    else:
        back = Button(texts.plain("menu.topics"), callbacks.menu("topics"))
    rows = (
        (Button(texts.plain("resource.share"), share=resource.title),),
        (back, Button(texts.plain("menu.main"), callbacks.menu("main"))),
    )
    return Screen("\n".join(lines), rows)


def search_results(texts: Texts, content: Content, result: SearchResult, query: str) -> Screen:
    """Return search results: confident answers, did-you-mean suggestions, or nothing."""
    shown_query = shorten(query, QUERY_SHOWN)
    if result.band == Band.NONE or not result.hits:
        rows = (*topic_buttons(content), back_to_menu(texts))
        return Screen(texts.html("search.none", query=shown_query), rows)
    key = "search.results" if result.band == Band.CONFIDENT else "search.suggest"
    rows = tuple(
        (
            Button(
                f"{hit.resource.title} — {hit.resource.publisher}",
                callbacks.resource(hit.resource.id),
            ),
        )
        for hit in result.hits
    )
    extra = (Button(texts.plain("menu.topics"), callbacks.menu("topics")),)
    return Screen(texts.html(key, query=shown_query), (*rows, extra, back_to_menu(texts)))


def topic_buttons(content: Content) -> tuple[tuple[Button, ...], ...]:
    """Return one button per topic, two to a row."""
    buttons = [Button(t.label, callbacks.topic(t.id)) for t in content.topics]
    return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))


def topics(texts: Texts, content: Content) -> Screen:
    """Return the list of topics."""
    return Screen(texts.plain("topics.heading"), (*topic_buttons(content), back_to_menu(texts)))


def topic(texts: Texts, topic_: Topic, resources: Sequence[Resource]) -> Screen:
    """Return a topic's resources as buttons; each card leads back here."""
    rows = tuple(
        (Button(r.title, callbacks.resource(r.id, topic_id=topic_.id)),) for r in resources
    )
    more = (Button(texts.plain("menu.topics"), callbacks.menu("topics")),)
    heading = texts.html("topic.heading", label=topic_.label)
    return Screen(heading, (*rows, more, back_to_menu(texts)))


def indicator_groups(texts: Texts, groups: Sequence[IndicatorGroup]) -> Screen:
    """Return the indicator groups as buttons."""
    rows = tuple((Button(g.title, callbacks.indicators(g.id)),) for g in groups)
    return Screen(texts.plain("indicators.heading"), (*rows, back_to_menu(texts)))


def pages(heading: str, items: Sequence[str], limit: int = SCREEN_LIMIT) -> list[list[str]]:
    """Pack items into pages that stay under the limit with their heading (one item at least)."""
    result: list[list[str]] = [[]]
    # Room for the "Page 2 of 3" line that a heading gets once there is more than one page.
    start = len(visible(heading)) + PAGE_LINE
    size = start
    for item in items:
        length = len(visible(item)) + 2
        if result[-1] and size + length > limit:
            result.append([])
            size = start
        result[-1].append(item)
        size += length
    return result


def _pager(texts: Texts, page: int, count: int, encode: Callable[[int], str]) -> tuple[Button, ...]:
    """Return Back and Next buttons between pages."""
    row: list[Button] = []
    if page > 0:
        row.append(Button(texts.plain("page.back"), encode(page - 1)))
    if page + 1 < count:
        row.append(Button(texts.plain("page.next"), encode(page + 1)))
    return tuple(row)


def _page_heading(texts: Texts, heading: str, page: int, count: int) -> str:
    if count == 1:
        return heading
    return heading + "\n" + texts.html("page.of", n=page + 1, total=count)


def indicator_group(
    texts: Texts,
    content: Content,
    group: IndicatorGroup,
    groups: Sequence[IndicatorGroup],
    page: int = 0,
) -> Screen:
    """Return a page of a group's indicators: what to measure, the aim, the data, the links."""
    heading = f"<b>{escape(group.title, quote=False)}</b>"
    parts = []
    for indicator in group.indicators:
        line = texts.html(
            "indicator.line",
            title=indicator.title,
            text=indicator.text,
            aim=indicator.aim,
            data=texts.plain(f"indicator.{indicator.data}"),
        )
        titles = [s.title for s in (content.statement(i) for i in indicator.statements) if s]
        linked = texts.html("indicator.statements", titles="; ".join(titles)) if titles else ""
        parts.append(line + (f"\n{linked}" if linked else ""))
        # Each measure is its own item, so a long list can run on to the next page.
        parts += [f"  • {escape(m, quote=False)}" for m in indicator.measures]
    split = pages(heading, parts)
    page = min(max(page, 0), len(split) - 1)
    body = "\n\n".join(split[page]).replace("\n\n  • ", "\n  • ")  # measures sit together
    text = _page_heading(texts, heading, page, len(split)) + "\n\n" + body
    pager = _pager(texts, page, len(split), lambda n: callbacks.indicators(group.id, n))
    others = tuple(
        (Button(g.title, callbacks.indicators(g.id)),) for g in groups if g.id != group.id
    )
    return Screen(text, tuple(r for r in (pager, *others, back_to_menu(texts)) if r))


def outcomes(texts: Texts, content: Content, page: int = 0) -> Screen:
    """Return a page of the expected outcomes, each with the statements it follows from."""
    heading = texts.plain("outcomes.heading")
    items = []
    for outcome in content.outcomes:
        titles = [s.title for s in (content.statement(i) for i in outcome.statements) if s]
        item = f"• {escape(outcome.text, quote=False)}"
        if titles:
            item += "\n  " + texts.html("outcome.statements", titles="; ".join(titles))
        items.append(item)
    split = pages(heading, items)
    page = min(max(page, 0), len(split) - 1)
    text = "\n\n".join([_page_heading(texts, heading, page, len(split)), *split[page]])
    pager = _pager(texts, page, len(split), callbacks.outcomes)
    return Screen(text, tuple(r for r in (pager, back_to_menu(texts)) if r))
