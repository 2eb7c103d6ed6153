"""Team round screens, built from data: every value escaped, every word from content."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from urllib.parse import quote

from bot.content_model import Statement
from bot.glossary import visible
from bot.team import MIN_SHARED_RATERS, Role, StatementResult, format_level, show_code, talk_first
from bot.telegram import callbacks
from bot.telegram.screens import Button, Screen
from bot.telegram.views import PAGE_LINE, SCREEN_LIMIT, back_to_menu, pages
from bot.texts import Texts
from storage.models import Member, Round

Row = tuple[Button, ...]


def join_link(bot_username: str, code: str) -> str:
    """Return the deep link that opens the bot with a round's code."""
    return f"https://t.me/{bot_username}?start={code}"


def share_url(link: str, text: str) -> str:
    """Return Telegram's share link, which lets the organiser pick chats to send the link to."""
    return f"https://t.me/share/url?url={quote(link, safe='')}&text={quote(text, safe='')}"


def team_home(texts: Texts, rounds: Sequence[tuple[Round, Role]]) -> Screen:
    """Return the team screen: start a round, or open one of the person's rounds."""
    lines = [texts.plain("team.heading"), ""]
    lines.append(texts.plain("team.rounds_heading" if rounds else "team.none"))
    rows: list[Row] = [
        (Button(texts.plain("team.start"), callbacks.menu("newround")),),
        (Button(texts.plain("team.have_code"), callbacks.menu("joincode")),),
    ]
    # The list in the text says whose council and what role; each button carries its number.
    for n, (round_, role) in enumerate(rounds, start=1):
        lines.append(
            texts.html(
                "team.round_line",
                n=n,
                name=round_.name,
                organisation=round_.organisation,
                role=_role(texts, role),
            )
        )
        label = texts.label("team.round_item", n=n, name=round_.name)
        rows.append((Button(label, callbacks.team(round_.id, "open")),))
    rows.append(back_to_menu(texts))
    return Screen("\n".join(lines), tuple(rows))


def _role(texts: Texts, role: Role) -> str:
    return texts.plain(f"team.role.{role.value}")


def ask(texts: Texts, key: str, *suggestions: Button) -> Screen:
    """Return a question waiting for typed text, with tappable suggestions and Cancel."""
    rows: list[Row] = [(button,) for button in suggestions]
    rows.append((Button(texts.plain("team.cancel_setup"), callbacks.setup("cancel")),))
    return Screen(texts.plain(key), tuple(rows))


def choose_statements(
    texts: Texts, statements: Sequence[Statement], chosen: Sequence[str]
) -> Screen:
    """Return the statements as on/off buttons, with Include all and Create the round."""
    rows: list[Row] = []
    for index, statement in enumerate(statements):
        key = "team.statement_on" if statement.id in chosen else "team.statement_off"
        label = texts.label(key, title=statement.title)
        rows.append((Button(label, callbacks.setup("toggle", index)),))
    rows.append((Button(texts.plain("team.include_all"), callbacks.setup("all")),))
    rows.append(
        (
            Button(texts.plain("team.create"), callbacks.setup("create")),
            Button(texts.plain("team.cancel_setup"), callbacks.setup("cancel")),
        )
    )
    return Screen(texts.plain("team.choose_statements"), tuple(rows))


def created(texts: Texts, round_: Round, link: str, code: str) -> Screen:
    """Return the new round's join link, a share button, the code and what to do next."""
    text = texts.html(
        "team.created",
        name=round_.name,
        organisation=round_.organisation,
        count=len(round_.statement_ids),
        link=link,
        code=show_code(code),
    )
    message = texts.label("team.share_message", name=round_.name, organisation=round_.organisation)
    rows = (
        (Button(texts.plain("team.share_link"), url=share_url(link, message)),),
        (
            Button(texts.plain("team.rate_now"), callbacks.team(round_.id, "rate")),
            Button(texts.plain("team.open_round"), callbacks.team(round_.id, "open")),
        ),
        back_to_menu(texts),
    )
    return Screen(text, rows)


def join_intro(
    texts: Texts,
    round_: Round,
    organisers: Sequence[Member],
    suggested: str,
    *,
    organiser: bool,
    easy: bool = False,
) -> Screen:
    """Return what joining means and ask for the name the team will see."""
    names = ", ".join(m.display_name for m in organisers) or "—"
    key = "team.coorg_intro" if organiser else "team.join_intro"
    if easy and not organiser:
        key = "team.join_intro_easy"
    text = texts.html(key, name=round_.name, organisation=round_.organisation, organisers=names)
    rows: list[Row] = []
    if suggested.strip():
        label = texts.label("team.use_first_name", first_name=suggested.strip())
        rows.append((Button(label, callbacks.team(round_.id, "myname")),))
    reading = texts.plain("menu.reading_standard" if easy else "menu.reading_easy")
    rows.append((Button(reading, callbacks.team(round_.id, "easy")),))
    rows.append(back_to_menu(texts))
    return Screen(text, tuple(rows))


def round_screen(
    texts: Texts,
    round_: Round,
    role: Role,
    members: Sequence[Member],
    me: Member | None,
    total: int,
) -> Screen:
    """Return a round as its organiser (progress, who is still rating) or a member sees it."""
    status = texts.plain(f"team.status.{round_.status}")
    lines = [
        texts.html(
            "team.round_heading", name=round_.name, organisation=round_.organisation, status=status
        )
    ]
    manage = role in (Role.ORGANISER, Role.ADMIN)
    if manage:
        rating = [m for m in members if m.evaluation_id is not None or not m.is_organiser]
        finished = [m for m in rating if m.finished]
        waiting = [m for m in rating if not m.finished]
        lines.append(texts.html("team.progress", joined=len(rating), finished=len(finished)))
        if waiting:
            names = ", ".join(f"{m.display_name} ({m.answered}/{total})" for m in waiting)
            key = "team.still_rating" if round_.is_open else "team.did_not_finish"
            lines.append(texts.html(key, names=names))
        else:
            lines.append(texts.plain("team.nobody_rating"))
        lines.append(texts.plain("team.shared_yes" if round_.shared else "team.shared_no"))
    lines.append(_my_progress(texts, me, total))
    anyone_waiting = any(
        not m.finished for m in members if m.evaluation_id is not None or not m.is_organiser
    )
    return Screen("\n".join(lines), _round_buttons(texts, round_, me, manage, anyone_waiting))


def _my_progress(texts: Texts, me: Member | None, total: int) -> str:
    if me is None or me.evaluation_id is None:
        return texts.plain("team.you_not_rating")
    if me.finished:
        return texts.html("team.you_finished", display_name=me.display_name)
    line = texts.html(
        "team.you_rate", display_name=me.display_name, answered=me.answered, total=total
    )
    if not me.reminders:
        line += "\n" + texts.plain("team.reminders_off_note")
    return line


def _round_buttons(
    texts: Texts, round_: Round, me: Member | None, manage: bool, waiting: bool
) -> tuple[Row, ...]:
    def button(key: str, action: str) -> Button:
        return Button(texts.plain(key), callbacks.team(round_.id, action))

    rows: list[Row] = []
    if me is not None and round_.is_open and not me.finished:
        key = "team.continue_rating" if me.evaluation_id is not None else "team.rate_now"
        rows.append((button(key, "rate"),))
    if me is not None and me.evaluation_id is not None:
        rows.append((button("team.btn.mine", "mine"),))
    if manage:
        rows.append((button("team.btn.results", "results"), button("team.btn.chart", "chart")))
        rows.append((button("team.btn.agree", "agree"), button("team.btn.export", "export")))
        if round_.is_open and waiting:
            rows.append((button("team.btn.remind", "remind"),))
        share = ("team.btn.unshare", "unshare") if round_.shared else ("team.btn.share", "share")
        rows.append((button(*share),))
        if round_.is_open:
            rows.append((button("team.btn.link", "link"),))
        close = ("team.btn.close", "close") if round_.is_open else ("team.btn.reopen", "reopen")
        rows.append((button(*close),))
    elif round_.shared:
        rows.append((button("team.btn.team_results", "team"),))
    if me is not None and not me.finished and round_.is_open:
        rem = ("team.btn.stoprem", "stoprem") if me.reminders else ("team.btn.startrem", "startrem")
        rows.append((button(*rem),))
    rows.append(
        (
            Button(texts.plain("team.all_rounds"), callbacks.menu("team")),
            Button(texts.plain("menu.main"), callbacks.menu("main")),
        )
    )
    return tuple(rows)


def back_to_round(texts: Texts, round_id: int) -> Row:
    """Return a row leading back to the round screen and the main menu."""
    return (
        Button(texts.plain("team.back_to_round"), callbacks.team(round_id, "open")),
        Button(texts.plain("menu.main"), callbacks.menu("main")),
    )


def level_label(texts: Texts, levels: Mapping[int, str], value: int) -> str:
    """Return a level as the buttons show it: "3 — Implementation"."""
    return texts.label("rating.option", value=value, label=levels.get(value, str(value)))


def results(
    texts: Texts,
    round_: Round,
    results_: Sequence[StatementResult],
    levels: Mapping[int, str],
    finished: int,
    page: int = 0,
) -> Screen:
    """Return a page of the team's results, flagged statements first, each with its notes."""
    raters = len({name for r in results_ for name, _ in r.ratings})
    heading = texts.html(
        "team.results_heading",
        name=round_.name,
        organisation=round_.organisation,
        raters=raters,
        finished=finished,
    )
    numbers = {r.statement.id: n for n, r in enumerate(results_, start=1)}
    # A statement and its notes must fit on a page under the heading and its page line.
    block_limit = SCREEN_LIMIT - len(visible(heading)) - PAGE_LINE - 4
    items = []
    for result in talk_first(results_):
        title = texts.html(
            "team.result_title", n=numbers[result.statement.id], title=result.statement.title
        )
        block = "\n".join([title, *_result_lines(texts, result, levels)])
        notes = [texts.html("team.result_note", display_name=n, note=t) for n, t in result.notes]
        # A statement keeps its notes on its own page; a long run of notes goes on to the next
        # page under the statement's title again, so no note seems to belong to another.
        has_note = False
        for note in notes:
            candidate = f"{block}\n{note}"
            if len(visible(candidate)) > block_limit and has_note:
                items.append(block)
                block = texts.html("team.result_continued", title=title) + "\n" + note
            else:
                block = candidate
            has_note = True
        items.append(block)
    split = pages(heading, items)
    page = min(max(page, 0), len(split) - 1)
    text = _paged_text(texts, heading, split, page)
    pager = _pager_row(texts, page, len(split), lambda n: callbacks.team(round_.id, "results", n))
    rows = (
        pager,
        (
            Button(texts.plain("team.btn.chart"), callbacks.team(round_.id, "chart")),
            Button(texts.plain("team.btn.agree"), callbacks.team(round_.id, "agree")),
        ),
        (Button(texts.plain("team.btn.export"), callbacks.team(round_.id, "export")),),
        back_to_round(texts, round_.id),
    )
    return Screen(text, tuple(r for r in rows if r))


def _paged_text(texts: Texts, heading: str, split: Sequence[Sequence[str]], page: int) -> str:
    """Join a page's items under its heading, saying which page it is when there are more."""
    shown = heading
    if len(split) > 1:
        shown += "\n" + texts.html("page.of", n=page + 1, total=len(split))
    body = "\n\n".join(split[page])
    return f"{shown}\n\n{body}"


def _pager_row(
    texts: Texts, page: int, count: int, encode: Callable[[int], str]
) -> tuple[Button, ...]:
    row = []
    if page > 0:
        row.append(Button(texts.plain("page.back"), encode(page - 1)))
    if page + 1 < count:
        row.append(Button(texts.plain("page.next"), encode(page + 1)))
    return tuple(row)


def _result_lines(texts: Texts, result: StatementResult, levels: Mapping[int, str]) -> list[str]:
    if not result.ratings:
        lines = [texts.plain("team.result_none")]
    else:
        lines = []
        if result.flagged:
            lines.append(
                texts.html("team.result_flag", lowest=result.lowest, highest=result.highest)
            )
        # One rater, or raters who all agree, read better without a "lowest" and "highest".
        if result.raters == 1:
            key = "team.result_stats_one"
        elif result.lowest == result.highest:
            key = "team.result_stats_same"
        else:
            key = "team.result_stats"
        lines.append(
            texts.html(
                key,
                raters=result.raters,
                median=format_level(result.median),
                lowest=result.lowest,
                highest=result.highest,
            )
        )
    agreed = result.agreed
    if agreed is not None:
        level = level_label(texts, levels, agreed.rating)
        if agreed.reason:
            lines.append(texts.html("team.result_agreed", level=level, reason=agreed.reason))
        else:
            lines.append(texts.html("team.result_agreed_no_reason", level=level))
    elif result.median is not None:
        lines.append(_median_line(texts, result.median, levels))
    return lines


def _median_line(texts: Texts, median: float, levels: Mapping[int, str]) -> str:
    """Say where the team stands by its median; a half is between two levels, not a level."""
    if median == int(median):
        return texts.html("team.result_median", median=level_label(texts, levels, int(median)))
    return texts.html(
        "team.result_median_between",
        median=format_level(median),
        lower=level_label(texts, levels, int(median)),
        upper=level_label(texts, levels, int(median) + 1),
    )


def shared_results(
    texts: Texts,
    round_: Round,
    results_: Sequence[StatementResult],
    mine: Mapping[str, int | None],
    labels: Mapping[int, str],
    page: int = 0,
) -> Screen:
    """Return a page of what a participant may see: positions and spreads, never anyone's own."""
    heading = texts.html("team.shared_heading", name=round_.name, organisation=round_.organisation)
    lines: list[str] = []
    for result in results_:
        own = mine.get(result.statement.id)
        shown_mine = texts.plain("team.not_rated") if own is None else labels.get(own, str(own))
        if result.position is None:
            lines.append(
                texts.html("team.shared_none_line", title=result.statement.title, mine=shown_mine)
            )
            continue
        if result.raters < MIN_SHARED_RATERS:
            # With few raters a median or a spread, beside one's own rating, gives the others'
            # away: show the agreed rating alone, or nothing.
            if result.agreed is not None:
                line = texts.html(
                    "team.shared_agreed_only_line",
                    title=result.statement.title,
                    position=format_level(result.position),
                    mine=shown_mine,
                )
            else:
                line = texts.html(
                    "team.shared_too_few_line", title=result.statement.title, mine=shown_mine
                )
            lines.append(line)
            continue
        lines.append(
            texts.html(
                "team.shared_line",
                title=result.statement.title,
                position=format_level(result.position),
                source=texts.plain(f"team.source.{result.position_source}"),
                lowest=result.lowest if result.lowest is not None else "—",
                highest=result.highest if result.highest is not None else "—",
                mine=shown_mine,
            )
        )
    split = pages(heading, lines)
    page = min(max(page, 0), len(split) - 1)
    pager = _pager_row(texts, page, len(split), lambda n: callbacks.team(round_.id, "team", n))
    rows = tuple(r for r in (pager, back_to_round(texts, round_.id)) if r)
    return Screen(_paged_text(texts, heading, split, page), rows)


def agree_list(
    texts: Texts, round_: Round, results_: Sequence[StatementResult], levels: Mapping[int, str]
) -> Screen:
    """Return the statements to agree, flagged first, each with its agreed state."""
    rows: list[Row] = []
    numbers = {r.statement.id: n for n, r in enumerate(results_)}
    for result in talk_first(results_):
        if result.agreed is not None:
            state = texts.label("team.agree_state.agreed", level=result.agreed.rating)
        else:
            state = texts.plain("team.agree_state.none")
        flag = "⚠️ " if result.flagged else ""
        label = flag + texts.label("team.agree_item", title=result.statement.title, state=state)
        action = callbacks.team(round_.id, "agreeone", numbers[result.statement.id])
        rows.append((Button(label, action),))
    rows.append(back_to_round(texts, round_.id))
    return Screen(texts.plain("team.agree_heading"), tuple(rows))


def agree_one(
    texts: Texts,
    round_: Round,
    index: int,
    result: StatementResult,
    levels: Mapping[int, str],
) -> Screen:
    """Return one statement's spread and the five levels to record as agreed."""
    stats = "\n".join(_result_lines(texts, result, levels))
    text = texts.html("team.agree_one", title=result.statement.title, stats="{stats}")
    text = text.replace("{stats}", stats)  # stats is already escaped HTML
    rows: list[Row] = [
        (Button(level_label(texts, levels, v), callbacks.team(round_.id, "setagreed", index, v)),)
        for v in sorted(levels)
    ]
    if result.agreed is not None:
        rows.append(
            (Button(texts.plain("team.clear_agreed"), callbacks.team(round_.id, "unagree", index)),)
        )
    rows.append(
        (
            Button(texts.plain("team.btn.agree"), callbacks.team(round_.id, "agree")),
            Button(texts.plain("team.back_to_round"), callbacks.team(round_.id, "open")),
        )
    )
    return Screen(text, tuple(rows))


def ask_reason(texts: Texts, round_id: int, index: int, title: str, level: str) -> Screen:
    """Ask why the team agreed a level, with No reason to move on."""
    rows = (
        (Button(texts.plain("team.no_reason"), callbacks.team(round_id, "noreason", index)),),
        back_to_round(texts, round_id),
    )
    return Screen(texts.html("team.ask_reason", level=level, title=title), rows)


def confirm(texts: Texts, round_: Round, key: str, yes_key: str, action: str) -> Screen:
    """Ask before a step that cannot be undone by accident (replace link, close)."""
    rows = (
        (Button(texts.plain(yes_key), callbacks.team(round_.id, action)),),
        back_to_round(texts, round_.id),
    )
    return Screen(texts.html(key, name=round_.name), rows)


def link(texts: Texts, round_: Round, link_: str, code: str) -> Screen:
    """Return the join link and code, with share, replace and co-organiser buttons."""
    message = texts.label("team.share_message", name=round_.name, organisation=round_.organisation)
    rows = (
        (Button(texts.plain("team.share_link"), url=share_url(link_, message)),),
        (Button(texts.plain("team.btn.renew"), callbacks.team(round_.id, "renew")),),
        (Button(texts.plain("team.btn.coorg"), callbacks.team(round_.id, "coorg")),),
        back_to_round(texts, round_.id),
    )
    text = texts.html("team.link", name=round_.name, link=link_, code=show_code(code))
    return Screen(text, rows)


def share_confirm(texts: Texts, round_: Round, waiting: Sequence[Member], too_few: int) -> Screen:
    """Ask before sharing while some still rate, or while some statements have too few ratings."""
    lines = []
    if waiting:
        names = ", ".join(m.display_name for m in waiting)
        lines.append(texts.html("team.share_confirm", count=len(waiting), names=names))
    if too_few:
        lines.append(texts.html("team.share_too_few", count=too_few, least=MIN_SHARED_RATERS))
    lines.append(texts.plain("team.share_anyway"))
    rows = (
        (Button(texts.plain("team.share_yes"), callbacks.team(round_.id, "shareyes")),),
        back_to_round(texts, round_.id),
    )
    return Screen("\n\n".join(lines), rows)


def shared_notice(texts: Texts, round_: Round, organisers: str) -> Screen:
    """Tell a member the organiser has shared the team's results."""
    text = texts.html(
        "team.shared_notice",
        organisers=organisers,
        name=round_.name,
        organisation=round_.organisation,
    )
    rows = ((Button(texts.plain("team.btn.team_results"), callbacks.team(round_.id, "team")),),)
    return Screen(text, rows)


def round_closed(texts: Texts, round_: Round | None) -> Screen:
    """Say the round is closed, so answers can no longer change, with the way back to it."""
    name = round_.name if round_ is not None else ""
    rows = (back_to_round(texts, round_.id),) if round_ is not None else ()
    return Screen(texts.html("team.round_closed", name=name), rows)


def reminder(texts: Texts, round_: Round, organisers: str, answered: int, total: int) -> Screen:
    """Return the reminder a member gets, with Continue rating and Stop reminders."""
    text = texts.html(
        "team.reminder",
        organisers=organisers,
        name=round_.name,
        organisation=round_.organisation,
        answered=answered,
        total=total,
    )
    rows = (
        (Button(texts.plain("team.continue_rating"), callbacks.team(round_.id, "rate")),),
        (Button(texts.plain("team.reminder_stop"), callbacks.team(round_.id, "stoprem")),),
    )
    return Screen(text, rows)


def unfinished_choice(texts: Texts, items: Sequence[tuple[int, str, int, int]]) -> Screen:
    """Ask which unfinished evaluation to continue: (id, label, answered, total) each."""
    rows: list[Row] = [
        (
            Button(
                texts.label("eval.which_item", label=label, answered=answered, total=total),
                callbacks.continue_evaluation(evaluation_id),
            ),
        )
        for evaluation_id, label, answered, total in items
    ]
    rows.append(back_to_menu(texts))
    return Screen(texts.plain("eval.which"), tuple(rows))
