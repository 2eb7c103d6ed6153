"""Self-evaluation in the chat: begin, answer by button or text, Back, Skip, Pause, resume."""

from __future__ import annotations

from dataclasses import replace

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot import engine
from bot.engine import Problem, Turn
from bot.evaluation import Position, RoundClosedError
from bot.loading.guide import EASY_SCALE_SUFFIX
from bot.telegram import callbacks, team_views, views
from bot.telegram.callbacks import EvaluationPress
from bot.telegram.screens import Button, Screen, drop_buttons, edit, send_screen
from bot.telegram.services import Services, participant, services
from bot.typed_text import cleaned

QUESTION_KINDS = ("choice", "rating", "text")


async def evaluate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start a self-evaluation, or offer to continue the unfinished one."""
    found = services(context)
    who = participant(update, context)
    position = found.evaluations.position(who)
    if position is not None and found.evaluations.can_continue(position):
        progress = found.evaluations.progress(position)
        await send_screen(update, context, views.in_progress(found.texts, progress))
        return
    await begin(update, context)


async def begin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start a new self-evaluation; earlier ones stay stored."""
    found = services(context)
    who = participant(update, context)
    old = found.evaluations.position(who)
    if old is not None:
        await drop_buttons(context.bot, _chat_id(update), old.message_id)
    position, turn = found.evaluations.begin(who)
    await show_turn(update, context, who, position, turn)


async def resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the question the participant stopped at, ask which one, or offer to start."""
    found = services(context)
    who = participant(update, context)
    position = found.evaluations.position(who)
    unfinished = found.evaluations.unfinished(who)
    if len(unfinished) > 1:
        if position is not None:
            await tidy(update, context, position)
            found.evaluations.pause(who, position)
        items = []
        for item in unfinished:
            round_ = found.store.round(item.round_id) if item.round_id else None
            label = (
                round_.name
                if round_
                else item.organisation or found.texts.plain("results.no_organisation")
            )
            total = len(found.evaluations.statements(item))
            items.append((item.id, label, item.answered, total))
        await send_screen(update, context, team_views.unfinished_choice(found.texts, items))
        return
    if position is not None and not found.evaluations.can_continue(position):
        await tidy(update, context, position)
        if not unfinished:
            await _round_closed(update, context, position)
            return
        position = None
    if position is None and unfinished:
        position = found.evaluations.switch_to(who, unfinished[0].id)
    if position is None:
        rows = (
            (Button(found.texts.plain("menu.evaluate"), "m:evaluate"),),
            views.back_to_menu(found.texts),
        )
        await send_screen(
            update, context, Screen(found.texts.plain("eval.nothing_to_resume"), rows)
        )
        return
    await drop_buttons(context.bot, _chat_id(update), position.message_id)
    await send_screen(update, context, Screen(found.texts.plain("eval.resuming")))
    await ask(update, context, who, position)


async def continue_evaluation(
    update: Update, context: ContextTypes.DEFAULT_TYPE, evaluation_id: int
) -> str | None:
    """Continue the unfinished evaluation the person chose (only one of their own)."""
    found = services(context)
    who = participant(update, context)
    before = found.evaluations.position(who)
    position = found.evaluations.switch_to(who, evaluation_id)
    if position is None:
        # Refused (finished, not theirs, forged): the question waiting stays as it was.
        return found.texts.plain("results.not_found")
    await tidy(update, context, before)
    await send_screen(update, context, Screen(found.texts.plain("eval.resuming")))
    await ask(update, context, who, position)
    return None


async def ask_again_if_active(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Put the waiting question back at the bottom of the chat after a help screen."""
    found = services(context)
    who = participant(update, context)
    position = found.evaluations.position(who)
    if position is None or not position.active or position.state.cursor is None:
        return
    await drop_buttons(context.bot, _chat_id(update), position.message_id)
    await ask(update, context, who, position)


async def tidy(
    update: Update, context: ContextTypes.DEFAULT_TYPE, position: Position | None
) -> None:
    """Take the buttons off the question on screen before the conversation moves elsewhere."""
    if position is not None:
        await drop_buttons(context.bot, _chat_id(update), position.message_id)


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop the evaluation for now (answers are kept) and show the menu."""
    found = services(context)
    who = participant(update, context)
    position = found.evaluations.position(who)
    if position is not None:
        await _pause(update, context, who, position)
        return
    await send_screen(update, context, views.main_menu(found.texts))


async def pause_if_active(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Pause a running evaluation so free text is read as a search; tell if one is unfinished."""
    found = services(context)
    who = participant(update, context)
    position = found.evaluations.position(who)
    if position is None:
        return False
    if position.active:
        await drop_buttons(context.bot, _chat_id(update), position.message_id)
        found.evaluations.pause(who, position)
    return found.evaluations.can_continue(position)


async def on_press(
    update: Update, context: ContextTypes.DEFAULT_TYPE, press: EvaluationPress
) -> str | None:
    """Handle a button under a question; return a short notice for the tap, if any."""
    found = services(context)
    who = participant(update, context)
    position = found.evaluations.position(who)
    query = update.callback_query
    assert query is not None
    pressed = query.message if isinstance(query.message, Message) else None
    current = (
        position is not None
        and position.evaluation_id == press.evaluation_id
        and position.state.turn == press.turn
    )
    if not current or position is None:
        # An old or forged button: tidy it away, store nothing, show where the user really is.
        if pressed is not None and pressed.reply_markup is not None:
            await drop_buttons(context.bot, pressed.chat_id, pressed.message_id)
        if position is not None:
            if pressed is None or pressed.message_id != position.message_id:
                # The question is asked again below: the copy on screen must not stay live.
                await drop_buttons(context.bot, _chat_id(update), position.message_id)
            await send_screen(update, context, Screen(found.texts.plain("eval.stale_button")))
            await ask(update, context, who, position)
            return None
        return found.texts.plain("eval.button_gone")
    prompt = found.evaluations.question(position)
    assert prompt is not None
    if press.action == "pause":
        await _pause(update, context, who, position)
        return None
    if press.action in ("more", "levels"):
        await drop_buttons(context.bot, _chat_id(update), position.message_id)
        await send_screen(update, context, _help_screen(found, prompt, press.action))
        await ask(update, context, who, position)
        return None
    reply = _reply_for(press)
    try:
        moved, turn = found.evaluations.reply(who, position, reply)
    except RoundClosedError:
        await drop_buttons(context.bot, _chat_id(update), position.message_id)
        await _round_closed(update, context, position)
        return None
    if turn.problem is not None:
        return _problem_text(found, turn)
    await _close_question(update, context, pressed, position, prompt, turn)
    await show_turn(update, context, who, moved, turn)
    return None


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE, position: Position) -> None:
    """Take typed text as the answer to the waiting question."""
    found = services(context)
    who = participant(update, context)
    message = update.effective_message
    assert message is not None and message.text is not None
    prompt = found.evaluations.question(position)
    assert prompt is not None
    typed = cleaned(message.text)
    if prompt.kind == "text" and typed.strip().isdigit():
        # "3" typed where words are wanted is a button number typed from habit, not a name.
        await drop_buttons(context.bot, message.chat_id, position.message_id)
        await send_screen(update, context, Screen(found.texts.plain("eval.looks_like_a_number")))
        await ask(update, context, who, position)
        return
    try:
        moved, turn = found.evaluations.reply(who, position, engine.Type(typed))
    except RoundClosedError:
        await drop_buttons(context.bot, message.chat_id, position.message_id)
        await _round_closed(update, context, position)
        return
    if turn.problem is not None:
        # Nothing was stored; say why and put the question (with its buttons) back in view.
        await drop_buttons(context.bot, message.chat_id, position.message_id)
        await send_screen(update, context, Screen(_problem_text(found, turn, typed)))
        await ask(update, context, who, position)
        return
    await _close_question(update, context, None, position, prompt, turn)
    if prompt.kind == "text" and turn.saved and turn.saved[0].item_id is not None:
        # A typed answer gets no edited "Your answer" line like a tap does: say it was kept.
        await send_screen(update, context, Screen(found.texts.plain("eval.note_saved")))
    await show_turn(update, context, who, moved, turn)


async def show_turn(
    update: Update, context: ContextTypes.DEFAULT_TYPE, who: str, position: Position, turn: Turn
) -> None:
    """Send what a move shows: messages, then the next question or the summary."""
    found = services(context)
    for prompt in turn.shown:
        if prompt.kind in QUESTION_KINDS:
            screen = _question(found, prompt, position)
            sent = await send_screen(update, context, screen)
            found.evaluations.show_question(who, position, sent.message_id)
        elif prompt.kind == "end":
            await send_screen(update, context, views.message(prompt))
            if prompt.summary:
                await send_summary(update, context, position.evaluation_id)
        else:
            await send_screen(update, context, views.message(prompt))


async def send_summary(
    update: Update, context: ContextTypes.DEFAULT_TYPE, evaluation_id: int
) -> None:
    """Send an evaluation's summary."""
    found = services(context)
    evaluation = found.store.evaluation(evaluation_id)
    assert evaluation is not None
    answers = found.store.answers_for(evaluation_id)
    statements = found.evaluations.statements(evaluation)
    round_ = found.store.round(evaluation.round_id) if evaluation.round_id else None
    if round_ is not None:
        # Name the round in the heading: a team's summary is not a solo one.
        evaluation = replace(evaluation, organisation=f"{round_.name} — {round_.organisation}")
    easy = found.evaluations.easy_read(evaluation.participant_id)
    screen = views.summary(
        found.texts, found.guide.content, evaluation, answers, statements, easy=easy
    )
    if evaluation.round_id is not None:
        # In a team round the way on is the round: its results, reminders, sharing.
        screen = Screen(
            screen.text,
            (*screen.rows[:-1], team_views.back_to_round(found.texts, evaluation.round_id)),
        )
    await send_screen(update, context, screen)


async def ask(
    update: Update, context: ContextTypes.DEFAULT_TYPE, who: str, position: Position
) -> None:
    """Send the question the position waits on, and remember which message holds it."""
    found = services(context)
    prompt = found.evaluations.question(position)
    assert prompt is not None
    screen = _question(found, prompt, position)
    sent = await send_screen(update, context, screen)
    found.evaluations.show_question(who, position, sent.message_id)


async def _pause(
    update: Update, context: ContextTypes.DEFAULT_TYPE, who: str, position: Position
) -> None:
    found = services(context)
    await drop_buttons(context.bot, _chat_id(update), position.message_id)
    found.evaluations.pause(who, position)
    rows = (
        (Button(found.texts.plain("eval.continue"), "m:resume"),),
        views.back_to_menu(found.texts),
    )
    await send_screen(update, context, Screen(found.texts.plain("eval.paused"), rows))


async def _close_question(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    pressed: Message | None,
    position: Position,
    prompt: engine.Prompt,
    turn: Turn,
) -> None:
    """Leave the answered question in the chat as a record, without its buttons."""
    if pressed is not None and pressed.message_id != position.message_id:
        # Answered on an older copy of the same question: the newest copy goes quiet too.
        await drop_buttons(context.bot, _chat_id(update), position.message_id)
    if pressed is not None and turn.saved and prompt.kind != "text":
        await edit(pressed, views.answered(services(context).texts, prompt, turn.saved[0].value))
        return
    message_id = pressed.message_id if pressed is not None else position.message_id
    await drop_buttons(context.bot, _chat_id(update), message_id)


async def _round_closed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, position: Position
) -> None:
    """Say the round is closed; pause, so the person's next text is not taken as an answer."""
    found = services(context)
    round_ = found.evaluations.round_of(position)
    found.evaluations.pause(participant(update, context), position)
    await send_screen(update, context, team_views.round_closed(found.texts, round_))


def _question(found: Services, prompt: engine.Prompt, position: Position) -> Screen:
    """Render a question, with "Who is good at this?" where a case study illustrates it."""
    cases = [
        r
        for r in found.guide.content.resources_for_statement(prompt.item_id or "")
        if r.kind == "case-study"
    ]
    screen = views.question(found.texts, prompt, position.evaluation_id, position.state.turn)
    if not cases:
        return screen
    row = tuple(
        Button(found.texts.plain("eval.who_is_good"), callbacks.resource(r.id, question=True))
        for r in cases[:1]
    )
    # Above the Back / Skip / Pause row, with the other helpers.
    return Screen(screen.text, (*screen.rows[:-1], row, *screen.rows[-1:]), screen.explain)


def _reply_for(press: EvaluationPress) -> engine.Reply:
    if press.option_id is not None:
        return engine.Choose(press.option_id)
    replies: dict[str | None, engine.Reply] = {
        "back": engine.Back(),
        "skip": engine.Skip(),
        "keep": engine.Keep(),
    }
    return replies[press.action]


def _help_screen(found: Services, prompt: engine.Prompt, action: str) -> Screen:
    if action == "levels" and prompt.scale is not None:
        easy = prompt.scale.endswith(EASY_SCALE_SUFFIX)
        scale = found.guide.content.scale(prompt.scale.removesuffix(EASY_SCALE_SUFFIX))
        if scale is not None:
            return views.scale(found.texts, scale, easy=easy)
    return views.details(found.texts, prompt)


def _problem_text(found: Services, turn: Turn, typed: str = "") -> str:
    problem = turn.problem or Problem.CHOOSE_A_BUTTON
    if problem == Problem.TOO_LONG:
        question = turn.question
        limit = question.max_length if question else 0
        return found.texts.html("problem.too-long", length=len(typed.strip()), max_length=limit)
    return found.texts.plain(f"problem.{problem.value}")


def _chat_id(update: Update) -> int:
    chat = update.effective_chat
    assert chat is not None
    return chat.id
