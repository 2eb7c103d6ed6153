"""Team rounds in the chat: start one, join by link or code, run it, see and agree results.

Every button re-checks the person's role in the store: callback data carries ids only.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

from telegram import InputFile, Message, Update
from telegram.constants import ParseMode
from telegram.error import Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot import team as teamlib
from bot.team import CodeCheck, Role, StatementResult
from bot.telegram import callbacks, team_views, views
from bot.telegram import evaluation_handlers as evaluation
from bot.telegram.screens import Button, Screen, edit, send_screen, send_to_chat
from bot.telegram.services import Services, participant, services
from bot.typed_text import addressed_elsewhere, cleaned
from storage.models import Pending, Round

log = logging.getLogger(__name__)

# matplotlib promises nothing about drawing two figures at once in two threads: one at a time.
_DRAWING = threading.Lock()
REMINDER_SPACING = 0.05  # seconds between reminders: well under Telegram's 30 messages a second

# What the person's next typed message is for (kept in the store, so a restart keeps it).
NEW_ORGANISATION = "new-organisation"
NEW_NAME = "new-name"
NEW_STATEMENTS = "new-statements"
NEW_DISPLAY_NAME = "new-display-name"
DISPLAY_NAME = "display-name"
JOIN_CODE = "join-code"
AGREED_REASON = "agreed-reason"
ORGANISER_ONLY = frozenset(
    {
        "results",
        "chart",
        "remind",
        "agree",
        "agreeone",
        "setagreed",
        "unagree",
        "noreason",
        "share",
        "shareyes",
        "unshare",
        "link",
        "renew",
        "renewyes",
        "coorg",
        "close",
        "closeyes",
        "reopen",
        "export",
    }
)


# -- the team screen and starting a round ------------------------------------------------------


async def team_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the team screen: start a round, or open one of the person's rounds."""
    found = services(context)
    who = participant(update, context)
    await evaluation.pause_if_active(update, context)
    visible = found.teams.visible_rounds(who)
    rounds = [(r, found.teams.role(r.id, who) or Role.PARTICIPANT) for r in visible]
    await send_screen(update, context, team_views.team_home(found.texts, rounds))


async def new_round(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask for the organisation the new round is for (offering the remembered one)."""
    found = services(context)
    who = participant(update, context)
    found.store.set_pending(who, NEW_ORGANISATION, {})
    remembered = found.store.organisation(who)
    suggestions = []
    if remembered:
        label = found.texts.label("team.use_organisation", organisation=remembered)
        suggestions.append(Button(label, callbacks.setup("org")))
    await send_screen(
        update, context, team_views.ask(found.texts, "team.ask_organisation", *suggestions)
    )


async def ask_code(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask for the code an organiser gave, to join without the link."""
    found = services(context)
    found.store.set_pending(participant(update, context), JOIN_CODE, {})
    rows = (
        (Button(found.texts.plain("menu.team"), callbacks.menu("team")),),
        views.back_to_menu(found.texts),
    )
    await send_screen(update, context, Screen(found.texts.plain("team.ask_code"), rows))


async def on_setup(
    update: Update, context: ContextTypes.DEFAULT_TYPE, press: callbacks.SetupPress
) -> str | None:
    """Handle a button of the new-round set-up, checking it matches the set-up in the store."""
    found = services(context)
    who = participant(update, context)
    pending = found.store.pending(who)
    if press.action == "cancel":
        found.store.clear_pending(who)
        await send_screen(
            update, context, views.main_menu(found.texts, heading=_t(found, "setup_cancelled"))
        )
        return None
    wanted = {
        "org": NEW_ORGANISATION,
        "name": NEW_NAME,
        "toggle": NEW_STATEMENTS,
        "all": NEW_STATEMENTS,
        "create": NEW_STATEMENTS,
        "myname": NEW_DISPLAY_NAME,
    }
    if pending is None or pending.kind != wanted[press.action]:
        return found.texts.plain("team.setup_gone")
    if press.action == "org":
        organisation = found.store.organisation(who)
        if not organisation:
            return found.texts.plain("team.setup_gone")
        await _setup_step(update, context, pending, organisation)
    elif press.action == "name":
        default = teamlib.default_round_name(found.store.now())
        await _setup_step(update, context, pending, default)
    elif press.action == "myname":
        await _setup_step(update, context, pending, _first_name(update))
    elif press.action == "create":
        if not pending.data.get("chosen"):
            return found.texts.plain("team.need_a_statement")
        found.store.set_pending(who, NEW_DISPLAY_NAME, pending.data)
        await _ask_display_name(update, context)
    else:
        return await _toggle(update, context, pending, press)
    return None


async def _toggle(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    pending: Pending,
    press: callbacks.SetupPress,
) -> str | None:
    found = services(context)
    statements = found.guide.content.statements
    chosen = list(pending.data.get("chosen", []))
    if press.action == "all":
        chosen = [s.id for s in statements]
    elif press.index is not None and press.index < len(statements):
        statement_id = statements[press.index].id
        chosen = (
            [s for s in chosen if s != statement_id]
            if statement_id in chosen
            else [
                *chosen,
                statement_id,
            ]
        )
    else:
        return found.texts.plain("team.setup_gone")
    # Keep content order whatever order they were tapped in.
    chosen = [s.id for s in statements if s.id in chosen]
    found.store.set_pending(
        participant(update, context), NEW_STATEMENTS, {**pending.data, "chosen": chosen}
    )
    screen = team_views.choose_statements(found.texts, statements, chosen)
    message = _pressed(update)
    if message is not None:
        await edit(message, screen)
    else:
        await send_screen(update, context, screen)
    return None


async def _setup_step(
    update: Update, context: ContextTypes.DEFAULT_TYPE, pending: Pending, value: str
) -> None:
    """Take one answer of the set-up (typed or tapped) and ask the next question."""
    found = services(context)
    who = participant(update, context)
    limits = {
        NEW_ORGANISATION: teamlib.ORGANISATION_MAX,
        NEW_NAME: teamlib.ROUND_NAME_MAX,
        NEW_DISPLAY_NAME: teamlib.DISPLAY_NAME_MAX,
    }
    value = " ".join(value.split())
    limit = limits.get(pending.kind, teamlib.ROUND_NAME_MAX)
    if not value or len(value) > limit:
        await send_screen(
            update, context, Screen(found.texts.html("team.bad_name", max_length=limit))
        )
        return
    if pending.kind == NEW_ORGANISATION:
        found.store.set_pending(who, NEW_NAME, {"organisation": value})
        default = teamlib.default_round_name(found.store.now())
        suggestion = Button(
            found.texts.label("team.use_round_name", name=default), callbacks.setup("name")
        )
        await send_screen(
            update, context, team_views.ask(found.texts, "team.ask_round_name", suggestion)
        )
    elif pending.kind == NEW_NAME:
        chosen = [s.id for s in found.guide.content.statements]
        found.store.set_pending(
            who, NEW_STATEMENTS, {**pending.data, "name": value, "chosen": chosen}
        )
        screen = team_views.choose_statements(found.texts, found.guide.content.statements, chosen)
        await send_screen(update, context, screen)
    elif pending.kind == NEW_DISPLAY_NAME:
        await _create(update, context, pending, value)


async def _ask_display_name(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = services(context)
    suggestions = []
    first = _first_name(update)
    if first:
        label = found.texts.label("team.use_first_name", first_name=first)
        suggestions.append(Button(label, callbacks.setup("myname")))
    await send_screen(
        update, context, team_views.ask(found.texts, "team.ask_display_name", *suggestions)
    )


async def _create(
    update: Update, context: ContextTypes.DEFAULT_TYPE, pending: Pending, display_name: str
) -> None:
    found = services(context)
    who = participant(update, context)
    data = pending.data
    organisation = str(data["organisation"])
    name = found.teams.unique_name(who, organisation, str(data["name"]))
    with found.store.transaction():
        round_ = found.store.create_round(
            who,
            organisation=organisation,
            name=name,
            statement_ids=[str(s) for s in data["chosen"]],
            display_name=display_name,
        )
        found.store.set_organisation(who, round_.organisation)
        found.store.clear_pending(who)
    code = found.store.join_code(round_.id) or ""
    link = team_views.join_link(context.bot.username, code)
    await send_screen(update, context, team_views.created(found.texts, round_, link, code))


# -- joining -------------------------------------------------------------------------------


async def join_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Join a round with the code after /join."""
    found = services(context)
    code = (context.args or [""])[0].strip()
    if not code:
        await send_screen(
            update,
            context,
            Screen(found.texts.plain("team.join_usage"), (views.back_to_menu(found.texts),)),
        )
        return
    await open_code(update, context, code)


async def open_code(update: Update, context: ContextTypes.DEFAULT_TYPE, code: str) -> None:
    """Check a code from a link or /join: refuse it politely, or ask for the name to show."""
    found = services(context)
    who = participant(update, context)
    await evaluation.pause_if_active(update, context)
    result = found.teams.check_code(code)
    member = found.store.member(result.round.id, who) if result.round else None
    organiser = result.check == CodeCheck.ORGANISER
    if result.round is not None and member is not None and (member.is_organiser or not organiser):
        # Already in: an old or replaced link still brings a member back to their round.
        text = found.texts.html("team.already_member", name=result.round.name)
        await send_screen(update, context, Screen(text))
        await show_round(update, context, result.round.id)
        return
    if result.round is None or result.check not in (CodeCheck.JOIN, CodeCheck.ORGANISER):
        await _refuse_code(update, context, result)
        return
    round_ = result.round
    found.store.set_pending(who, DISPLAY_NAME, {"round_id": round_.id, "code": result.code})
    await _show_join_intro(update, context, round_, result.code)


async def _show_join_intro(
    update: Update, context: ContextTypes.DEFAULT_TYPE, round_: Round, code: str
) -> None:
    """Say what joining means and ask for the name the team will see."""
    found = services(context)
    who = participant(update, context)
    member = found.store.member(round_.id, who)
    organiser = found.teams.check_code(code).check == CodeCheck.ORGANISER
    # A member becoming a co-organiser keeps the name the team already knows.
    suggested = member.display_name if member is not None else _first_name(update)
    screen = team_views.join_intro(
        found.texts,
        round_,
        found.teams.organisers(round_.id),
        suggested,
        organiser=organiser,
        easy=found.evaluations.easy_read(who),
    )
    await send_screen(update, context, screen)


async def _refuse_code(
    update: Update, context: ContextTypes.DEFAULT_TYPE, result: teamlib.CodeResult
) -> None:
    found = services(context)
    name = result.round.name if result.round else ""
    key = {
        CodeCheck.REPLACED: "team.code_replaced",
        CodeCheck.USED: "team.code_used",
        CodeCheck.CLOSED: "team.code_closed",
    }.get(result.check, "team.code_unknown")
    rows = (
        (Button(found.texts.plain("menu.team"), callbacks.menu("team")),),
        views.back_to_menu(found.texts),
    )
    await send_screen(update, context, Screen(found.texts.html(key, name=name), rows))


async def _join(
    update: Update, context: ContextTypes.DEFAULT_TYPE, pending: Pending, display_name: str
) -> None:
    """Join with the chosen name, re-checking the code now (it may have changed meanwhile)."""
    found = services(context)
    who = participant(update, context)
    display_name = " ".join(display_name.split())
    if not display_name or len(display_name) > teamlib.DISPLAY_NAME_MAX:
        text = found.texts.html("team.bad_name", max_length=teamlib.DISPLAY_NAME_MAX)
        await send_screen(update, context, Screen(text))
        return
    code = str(pending.data.get("code", ""))
    result = found.teams.check_code(code)
    found.store.clear_pending(who)
    if result.round is None or result.check not in (CodeCheck.JOIN, CodeCheck.ORGANISER):
        await _refuse_code(update, context, result)
        return
    round_ = result.round
    if result.check == CodeCheck.ORGANISER:
        if not found.store.accept_organiser_invite(code, who, display_name):
            await _refuse_code(update, context, teamlib.CodeResult(CodeCheck.USED, round_, code))
            return
        text = found.texts.html("team.coorg_joined", display_name=display_name, name=round_.name)
        await send_screen(update, context, Screen(text))
        await show_round(update, context, round_.id)
        return
    found.store.join_round(round_.id, who, display_name)
    text = found.texts.html("team.joined", display_name=display_name, name=round_.name)
    await send_screen(update, context, Screen(text))
    await _rate(update, context, round_)


# -- typed input the team screens wait for ------------------------------------------------------


async def on_pending_text(
    update: Update, context: ContextTypes.DEFAULT_TYPE, pending: Pending
) -> None:
    """Use typed text for what the team screens are waiting for."""
    found = services(context)
    message = update.effective_message
    assert message is not None and message.text is not None
    text = cleaned(message.text)
    if pending.kind in (NEW_ORGANISATION, NEW_NAME, NEW_DISPLAY_NAME):
        await _setup_step(update, context, pending, text)
    elif pending.kind == NEW_STATEMENTS:
        await send_screen(update, context, Screen(found.texts.plain("team.tap_to_choose")))
        chosen = pending.data.get("chosen", [])
        screen = team_views.choose_statements(found.texts, found.guide.content.statements, chosen)
        await send_screen(update, context, screen)
    elif pending.kind == DISPLAY_NAME:
        await _join(update, context, pending, text)
    elif pending.kind == JOIN_CODE:
        found.store.clear_pending(participant(update, context))
        await open_code(update, context, text)
    elif pending.kind == AGREED_REASON:
        await _save_reason(update, context, pending, text)
    else:
        found.store.clear_pending(participant(update, context))


async def forget_pending(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop waiting for typed input once the person moves on with a command or the menu."""
    if update.effective_user is None:
        return
    message = update.message
    if message is not None and addressed_elsewhere(message.text or "", context.bot.username):
        return  # a command for another bot is not the person moving on
    found = services(context)
    who = participant(update, context)
    query = update.callback_query
    if query is not None and not _moves_on(found, who, callbacks.parse(query.data)):
        return  # a forged button, or one for someone else's data, does nothing at all
    if found.store.pending(who) is not None:
        found.store.clear_pending(who)


def _moves_on(found: Services, who: str, press: callbacks.Press | None) -> bool:
    """Tell whether a button takes the person somewhere (so the typed answer awaited is off)."""
    if press is None:
        return False
    evaluation_id = None
    moves = callbacks.EvaluationPress | callbacks.ResultsPress | callbacks.ContinuePress
    if isinstance(press, moves):
        evaluation_id = press.evaluation_id
    if evaluation_id is not None:
        evaluation = found.store.evaluation(evaluation_id)
        return evaluation is not None and evaluation.participant_id == who
    if isinstance(press, callbacks.TeamPress):
        return found.teams.role(press.round_id, who) is not None
    return True


# -- the round screen and its buttons ----------------------------------------------------------


async def show_round(update: Update, context: ContextTypes.DEFAULT_TYPE, round_id: int) -> None:
    """Show a round to the person as their role allows."""
    found = services(context)
    who = participant(update, context)
    round_ = found.store.round(round_id)
    role = found.teams.role(round_id, who)
    if round_ is None or role is None:
        await send_screen(update, context, Screen(found.texts.plain("team.not_found")))
        return
    screen = team_views.round_screen(
        found.texts,
        round_,
        role,
        found.store.members(round_id),
        found.store.member(round_id, who),
        len(round_.statement_ids),
    )
    await send_screen(update, context, screen)


async def on_team(
    update: Update, context: ContextTypes.DEFAULT_TYPE, press: callbacks.TeamPress
) -> str | None:
    """Route a round button after checking, in the store, that the person may use it."""
    found = services(context)
    who = participant(update, context)
    round_ = found.store.round(press.round_id)
    role = found.teams.role(press.round_id, who)
    if press.action == "myname":
        return await _join_with_first_name(update, context, press.round_id)
    if press.action == "easy":
        return await _switch_reading_while_joining(update, context, press.round_id)
    if round_ is None or role is None:
        return found.texts.plain("team.not_found")
    if press.action in ORGANISER_ONLY and role not in (Role.ORGANISER, Role.ADMIN):
        log.info("refused %s on round %s for a %s", press.action, press.round_id, role)
        return found.texts.plain("team.not_allowed")
    handler = _ACTIONS.get(press.action)
    if handler is None:
        return found.texts.plain("eval.button_gone")
    notice: str | None = await handler(update, context, round_, press)
    return notice


async def _switch_reading_while_joining(
    update: Update, context: ContextTypes.DEFAULT_TYPE, round_id: int
) -> str | None:
    """Turn easy read on or off from the join screen, and show that screen again."""
    found = services(context)
    who = participant(update, context)
    pending = found.store.pending(who)
    round_ = found.store.round(round_id)
    if pending is None or pending.kind != DISPLAY_NAME or round_ is None:
        return found.texts.plain("team.setup_gone")
    easy = not found.evaluations.easy_read(who)
    found.evaluations.set_reading(who, easy)
    key = "reading.now_easy" if easy else "reading.now_standard"
    await send_screen(update, context, Screen(found.texts.plain(key), explain=False))
    await _show_join_intro(update, context, round_, str(pending.data.get("code", "")))
    return None


async def _join_with_first_name(
    update: Update, context: ContextTypes.DEFAULT_TYPE, round_id: int
) -> str | None:
    found = services(context)
    pending = found.store.pending(participant(update, context))
    if pending is None or pending.kind != DISPLAY_NAME or pending.data.get("round_id") != round_id:
        return found.texts.plain("team.setup_gone")
    member = found.store.member(round_id, participant(update, context))
    name = member.display_name if member is not None else _first_name(update)
    await _join(update, context, pending, name)
    return None


async def _open(update: Update, context: ContextTypes.DEFAULT_TYPE, round_: Round, _: Any) -> None:
    await show_round(update, context, round_.id)


async def _rate_action(
    update: Update, context: ContextTypes.DEFAULT_TYPE, round_: Round, _: Any
) -> str | None:
    found = services(context)
    if found.store.member(round_.id, participant(update, context)) is None:
        return found.texts.plain("team.not_found")
    await _rate(update, context, round_)
    return None


async def _rate(update: Update, context: ContextTypes.DEFAULT_TYPE, round_: Round) -> None:
    """Start or continue the person's own evaluation in the round."""
    found = services(context)
    who = participant(update, context)
    if not round_.is_open:
        await _round_closed(update, context, round_)
        return
    evaluation_id = found.store.round_evaluation(round_.id, who)
    if evaluation_id is None:
        old = found.evaluations.position(who)
        await evaluation.tidy(update, context, old)
        position, turn = found.evaluations.begin(who, round_)
        await evaluation.show_turn(update, context, who, position, turn)
        return
    stored = found.store.evaluation(evaluation_id)
    if stored is not None and stored.status == "finished":
        await evaluation.send_summary(update, context, evaluation_id)
        return
    await evaluation.tidy(update, context, found.evaluations.position(who))
    switched = found.evaluations.switch_to(who, evaluation_id)
    if switched is None:
        await send_screen(update, context, Screen(found.texts.plain("team.not_found")))
        return
    await evaluation.ask(update, context, who, switched)


async def _round_closed(update: Update, context: ContextTypes.DEFAULT_TYPE, round_: Round) -> None:
    await send_screen(update, context, team_views.round_closed(services(context).texts, round_))


async def _mine(update: Update, context: ContextTypes.DEFAULT_TYPE, round_: Round, _: Any) -> None:
    found = services(context)
    evaluation_id = found.store.round_evaluation(round_.id, participant(update, context))
    if evaluation_id is None:
        await show_round(update, context, round_.id)
        return
    await evaluation.send_summary(update, context, evaluation_id)


async def _results(
    update: Update, context: ContextTypes.DEFAULT_TYPE, round_: Round, press: Any
) -> None:
    found = services(context)
    results = found.teams.results(round_)
    finished = sum(1 for m in found.store.members(round_.id) if m.finished)
    page = getattr(press, "index", None) or 0
    screen = team_views.results(found.texts, round_, results, _levels(found), finished, page)
    await send_screen(update, context, screen)


async def _team_results(
    update: Update, context: ContextTypes.DEFAULT_TYPE, round_: Round, press: Any
) -> str | None:
    found = services(context)
    if not round_.shared:
        return found.texts.plain("team.not_shared")
    evaluation_id = found.store.round_evaluation(round_.id, participant(update, context))
    mine: dict[str, int | None] = {}
    if evaluation_id is not None:
        mine = {k: a.rating for k, a in found.store.answers_for(evaluation_id).items()}
    easy = found.evaluations.easy_read(participant(update, context))
    labels = views.answer_labels(found.texts, found.guide.content, easy)
    page = getattr(press, "index", None) or 0
    screen = team_views.shared_results(
        found.texts, round_, found.teams.results(round_), mine, labels, page
    )
    await send_screen(update, context, screen)
    return None


async def _chart(
    update: Update, context: ContextTypes.DEFAULT_TYPE, round_: Round, _: Any
) -> str | None:
    found = services(context)
    drawing = found.teams.chart_drawing(round_)
    if drawing is None:
        return found.texts.plain("team.nothing_yet")
    # Drawing takes about a second: in a worker thread, everyone else is answered meanwhile.
    picture = await asyncio.to_thread(_draw, drawing)
    await context.bot.send_photo(
        chat_id=_chat_id(update),
        photo=InputFile(picture, filename=f"round-{round_.id}-chart.png"),
        caption=found.texts.html("team.chart_caption", name=round_.name),
        parse_mode=ParseMode.HTML,
        # The way on sits under the picture itself: no extra message repeating the name.
        reply_markup=Screen("", (team_views.back_to_round(found.texts, round_.id),)).markup(),
    )
    return None


def _draw(drawing: Callable[[], bytes]) -> bytes:
    with _DRAWING:
        return drawing()


async def _export(
    update: Update, context: ContextTypes.DEFAULT_TYPE, round_: Round, press: Any
) -> str | None:
    found = services(context)
    answers = found.store.team_answers(round_.id)
    if not answers:
        return found.texts.plain("team.nothing_yet")
    date = f"{found.store.now():%Y-%m-%d}"
    chat_id = _chat_id(update)
    await context.bot.send_document(
        chat_id=chat_id,
        document=InputFile(
            found.teams.ratings_csv(round_), filename=f"round-{round_.id}-ratings-{date}.csv"
        ),
        caption=found.texts.html("team.ratings_caption", name=round_.name, rows=len(answers)),
        parse_mode=ParseMode.HTML,
    )
    await context.bot.send_document(
        chat_id=chat_id,
        document=InputFile(
            found.teams.summary_csv(round_), filename=f"round-{round_.id}-summary-{date}.csv"
        ),
        caption=found.texts.html("team.summary_caption", name=round_.name),
        parse_mode=ParseMode.HTML,
    )
    return await _chart(update, context, round_, press)


async def _agree(update: Update, context: ContextTypes.DEFAULT_TYPE, round_: Round, _: Any) -> None:
    found = services(context)
    screen = team_views.agree_list(found.texts, round_, found.teams.results(round_), _levels(found))
    await send_screen(update, context, screen)


async def _agree_one(
    update: Update, context: ContextTypes.DEFAULT_TYPE, round_: Round, press: callbacks.TeamPress
) -> str | None:
    found = services(context)
    result = _result_at(found, round_, press.index)
    if result is None or press.index is None:
        return found.texts.plain("eval.button_gone")
    screen = team_views.agree_one(found.texts, round_, press.index, result, _levels(found))
    await send_screen(update, context, screen)
    return None


async def _set_agreed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, round_: Round, press: callbacks.TeamPress
) -> str | None:
    found = services(context)
    who = participant(update, context)
    result = _result_at(found, round_, press.index)
    if result is None or press.index is None or press.level is None:
        return found.texts.plain("eval.button_gone")
    statement = result.statement
    with found.store.transaction():
        found.store.agree_rating(round_.id, statement.id, press.level, who)
        found.store.set_pending(
            who, AGREED_REASON, {"round_id": round_.id, "statement_id": statement.id}
        )
    level = team_views.level_label(found.texts, _levels(found), press.level)
    screen = team_views.ask_reason(found.texts, round_.id, press.index, statement.title, level)
    await send_screen(update, context, screen)
    return None


async def _no_reason(
    update: Update, context: ContextTypes.DEFAULT_TYPE, round_: Round, press: callbacks.TeamPress
) -> str | None:
    found = services(context)
    who = participant(update, context)
    found.store.clear_pending(who)
    result = _result_at(found, round_, press.index)
    if result is None or result.agreed is None:
        return found.texts.plain("eval.button_gone")
    await _agreed_saved(update, context, round_, result.statement.id)
    return None


async def _save_reason(
    update: Update, context: ContextTypes.DEFAULT_TYPE, pending: Pending, text: str
) -> None:
    found = services(context)
    who = participant(update, context)
    round_id = int(pending.data.get("round_id", 0))
    statement_id = str(pending.data.get("statement_id", ""))
    round_ = found.store.round(round_id)
    if round_ is None or not found.teams.can_manage(round_id, who):
        found.store.clear_pending(who)
        await send_screen(update, context, Screen(found.texts.plain("team.not_allowed")))
        return
    reason = text.strip()
    if len(reason) > teamlib.REASON_MAX:
        await send_screen(
            update,
            context,
            Screen(
                found.texts.html(
                    "problem.too-long", length=len(reason), max_length=teamlib.REASON_MAX
                )
            ),
        )
        return
    with found.store.transaction():
        found.store.set_agreed_reason(round_id, statement_id, reason)
        found.store.clear_pending(who)
    await _agreed_saved(update, context, round_, statement_id)


async def _agreed_saved(
    update: Update, context: ContextTypes.DEFAULT_TYPE, round_: Round, statement_id: str
) -> None:
    found = services(context)
    agreed = found.store.agreed_ratings(round_.id).get(statement_id)
    statement = found.guide.content.statement(statement_id)
    if agreed is None or statement is None:
        return
    level = team_views.level_label(found.texts, _levels(found), agreed.rating)
    text = found.texts.html("team.reason_saved", title=statement.title, level=level)
    await send_screen(update, context, Screen(text))
    await _agree(update, context, round_, None)


async def _unagree(
    update: Update, context: ContextTypes.DEFAULT_TYPE, round_: Round, press: callbacks.TeamPress
) -> str | None:
    found = services(context)
    result = _result_at(found, round_, press.index)
    if result is None:
        return found.texts.plain("eval.button_gone")
    found.store.clear_agreed(round_.id, result.statement.id)
    text = found.texts.html("team.agreed_cleared", title=result.statement.title)
    await send_screen(update, context, Screen(text))
    await _agree(update, context, round_, None)
    return None


async def _remind(
    update: Update, context: ContextTypes.DEFAULT_TYPE, round_: Round, _: Any
) -> None:
    found = services(context)
    now = found.store.now()
    waiting = found.teams.still_rating(round_.id)
    due = [m for m in waiting if found.teams.reminder_due(m, now)]
    skipped = [m for m in waiting if m not in due]
    lines = []
    if due:
        names = ", ".join(m.display_name for m in due)
        lines.append(found.texts.html("team.reminding", count=len(due), names=names))
    else:
        lines.append(found.texts.plain("team.nobody_to_remind"))
    if skipped and due:
        names = ", ".join(m.display_name for m in skipped)
        lines.append(found.texts.html("team.not_reminded", names=names))
    for n, member in enumerate(due):
        data = {"round_id": round_.id, "participant_id": member.participant_id}
        if context.job_queue is not None:
            context.job_queue.run_once(send_reminder, when=n * REMINDER_SPACING, data=data)
    rows = (team_views.back_to_round(found.texts, round_.id),)
    await send_screen(update, context, Screen("\n".join(lines), rows))


async def send_reminder(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send one reminder (a JobQueue job), re-checking in the store that it is still due."""
    job = context.job
    assert job is not None and isinstance(job.data, dict)
    found = services(context)
    round_ = found.store.round(int(job.data["round_id"]))
    member = found.store.member(int(job.data["round_id"]), str(job.data["participant_id"]))
    if round_ is None or member is None or member.finished or not round_.is_open:
        return
    # Claimed in the store first: a second tap, or a restart, cannot send a second one today.
    if not found.store.claim_reminder(round_.id, member.participant_id, teamlib.REMINDER_EVERY):
        return
    organisers = ", ".join(m.display_name for m in found.teams.organisers(round_.id))
    screen = team_views.reminder(
        found.texts, round_, organisers, member.answered, len(round_.statement_ids)
    )
    await _send_to_member(context, member.participant_id, screen)


async def _send_to_member(
    context: ContextTypes.DEFAULT_TYPE, participant_id: str, screen: Screen
) -> None:
    """Send a message nobody asked for (a reminder, a notice) to a member's private chat."""
    chat = services(context).store.user_key(participant_id)
    if chat is None or not chat.isdigit():
        return
    try:
        await send_to_chat(context.bot, int(chat), screen)
    except Forbidden:
        log.info("a round member has blocked the bot; nothing sent")
    except TelegramError as error:
        log.warning("could not send a message to a round member: %s", error)


async def _reminders(
    update: Update, context: ContextTypes.DEFAULT_TYPE, round_: Round, press: callbacks.TeamPress
) -> str | None:
    found = services(context)
    on = press.action == "startrem"
    if not found.store.set_reminders(round_.id, participant(update, context), on):
        return found.texts.plain("team.not_found")
    key = "team.reminders_on" if on else "team.reminders_stopped"
    rows = (team_views.back_to_round(found.texts, round_.id),)
    await send_screen(update, context, Screen(found.texts.html(key, name=round_.name), rows))
    return None


async def _share(
    update: Update, context: ContextTypes.DEFAULT_TYPE, round_: Round, press: callbacks.TeamPress
) -> None:
    found = services(context)
    shared = press.action in ("share", "shareyes")
    waiting = found.teams.still_rating(round_.id)
    too_few = sum(1 for r in found.teams.results(round_) if r.raters < teamlib.MIN_SHARED_RATERS)
    if press.action == "share" and (waiting or too_few):
        screen = team_views.share_confirm(found.texts, round_, waiting, too_few)
        await send_screen(update, context, screen)
        return
    found.store.set_round_shared(round_.id, shared)
    key = "team.shared_now" if shared else "team.unshared_now"
    await send_screen(update, context, Screen(found.texts.plain(key)))
    await show_round(update, context, round_.id)
    if shared and context.job_queue is not None:
        who = participant(update, context)
        others = [m for m in found.store.members(round_.id) if m.participant_id != who]
        for n, member in enumerate(others):
            data = {"round_id": round_.id, "participant_id": member.participant_id}
            context.job_queue.run_once(send_shared_notice, when=n * REMINDER_SPACING, data=data)


async def send_shared_notice(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Tell one member the results are shared (a JobQueue job), if they still are."""
    job = context.job
    assert job is not None and isinstance(job.data, dict)
    found = services(context)
    round_ = found.store.round(int(job.data["round_id"]))
    member = found.store.member(int(job.data["round_id"]), str(job.data["participant_id"]))
    if round_ is None or member is None or not round_.shared:
        return
    organisers = ", ".join(m.display_name for m in found.teams.organisers(round_.id))
    screen = team_views.shared_notice(found.texts, round_, organisers)
    await _send_to_member(context, member.participant_id, screen)


async def _link(
    update: Update, context: ContextTypes.DEFAULT_TYPE, round_: Round, press: callbacks.TeamPress
) -> None:
    found = services(context)
    if press.action == "renewyes":
        code = found.store.replace_join_code(round_.id)
    else:
        code = found.store.join_code(round_.id) or found.store.replace_join_code(round_.id)
    link = team_views.join_link(context.bot.username, code)
    await send_screen(update, context, team_views.link(found.texts, round_, link, code))


async def _confirm(
    update: Update, context: ContextTypes.DEFAULT_TYPE, round_: Round, press: callbacks.TeamPress
) -> None:
    found = services(context)
    if press.action == "renew":
        screen = team_views.confirm(
            found.texts, round_, "team.renew_confirm", "team.renew_yes", "renewyes"
        )
    else:
        screen = team_views.confirm(
            found.texts, round_, "team.close_confirm", "team.close_yes", "closeyes"
        )
    await send_screen(update, context, screen)


async def _open_or_close(
    update: Update, context: ContextTypes.DEFAULT_TYPE, round_: Round, press: callbacks.TeamPress
) -> None:
    found = services(context)
    opening = press.action == "reopen"
    found.store.set_round_open(round_.id, opening)
    key = "team.reopened_now" if opening else "team.closed_now"
    await send_screen(update, context, Screen(found.texts.html(key, name=round_.name)))
    await show_round(update, context, round_.id)


async def _coorganiser(
    update: Update, context: ContextTypes.DEFAULT_TYPE, round_: Round, _: Any
) -> None:
    found = services(context)
    code = found.store.new_organiser_invite(round_.id)
    link = team_views.join_link(context.bot.username, code)
    message = found.texts.label(
        "team.share_message", name=round_.name, organisation=round_.organisation
    )
    rows = (
        (
            Button(
                found.texts.plain("team.share_organiser_link"),
                url=team_views.share_url(link, message),
            ),
        ),
        team_views.back_to_round(found.texts, round_.id),
    )
    text = found.texts.html("team.coorg_link", name=round_.name, link=link)
    await send_screen(update, context, Screen(text, rows))


_ACTIONS: dict[str, Any] = {
    "open": _open,
    "rate": _rate_action,
    "mine": _mine,
    "results": _results,
    "team": _team_results,
    "chart": _chart,
    "export": _export,
    "agree": _agree,
    "agreeone": _agree_one,
    "setagreed": _set_agreed,
    "noreason": _no_reason,
    "unagree": _unagree,
    "remind": _remind,
    "stoprem": _reminders,
    "startrem": _reminders,
    "share": _share,
    "shareyes": _share,
    "unshare": _share,
    "link": _link,
    "renewyes": _link,
    "renew": _confirm,
    "close": _confirm,
    "closeyes": _open_or_close,
    "reopen": _open_or_close,
    "coorg": _coorganiser,
}


# -- helpers -------------------------------------------------------------------------------


def _t(found: Services, key: str) -> str:
    return found.texts.plain(f"team.{key}")


def _levels(found: Services) -> dict[int, str]:
    return found.guide.content.rating_labels()


def _result_at(found: Services, round_: Round, index: int | None) -> StatementResult | None:
    results = found.teams.results(round_)
    if index is None or not 0 <= index < len(results):
        return None
    return results[index]


def _first_name(update: Update) -> str:
    user = update.effective_user
    return " ".join((user.first_name if user else "").split())[: teamlib.DISPLAY_NAME_MAX]


def _pressed(update: Update) -> Message | None:
    query = update.callback_query
    if query is None or not isinstance(query.message, Message):
        return None
    return query.message


def _chat_id(update: Update) -> int:
    chat = update.effective_chat
    assert chat is not None
    return chat.id
