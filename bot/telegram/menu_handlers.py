"""The main menu, help, privacy, the reference pages, and the router for every button."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.telegram import callbacks, views
from bot.telegram import evaluation_handlers as evaluation
from bot.telegram import help_handlers as reading
from bot.telegram import resource_handlers as resources
from bot.telegram import results_handlers as results
from bot.telegram import team_handlers as team
from bot.telegram.screens import Screen, send_screen
from bot.telegram.services import participant, services
from bot.typed_text import addressed_elsewhere

log = logging.getLogger(__name__)

GROUP_PAYLOAD = "from-group"  # the deep link the group reply's button opens


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet the user and show the menu, or open the team round a join link points to."""
    found = services(context)
    payload = (context.args or [""])[0]
    if payload and payload != GROUP_PAYLOAD:
        await team.open_code(update, context, payload)
        return
    unfinished = await evaluation.pause_if_active(update, context)
    user = update.effective_user
    greeting = found.texts.html("menu.welcome", first_name=user.first_name if user else "")
    await send_screen(
        update,
        context,
        views.main_menu(
            found.texts,
            resume=unfinished,
            heading=greeting,
            easy=_easy(update, context),
            welcome=True,
        ),
    )


async def show_menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the main menu."""
    found = services(context)
    unfinished = await evaluation.pause_if_active(update, context)
    screen = views.main_menu(found.texts, resume=unfinished, easy=_easy(update, context))
    await send_screen(update, context, screen)


def _easy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    return services(context).evaluations.easy_read(participant(update, context))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain the commands."""
    texts = services(context).texts
    await send_screen(
        update, context, Screen(texts.plain("help.text"), (views.back_to_menu(texts),))
    )


async def privacy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say what is kept about the user."""
    texts = services(context).texts
    await send_screen(
        update, context, Screen(texts.plain("privacy.text"), (views.back_to_menu(texts),))
    )


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a command the bot does not have; leave alone one meant for another bot."""
    message = update.effective_message
    if message is not None and addressed_elsewhere(message.text or "", context.bot.username):
        return
    texts = services(context).texts
    await send_screen(
        update, context, Screen(texts.plain("unknown_command"), (views.back_to_menu(texts),))
    )


async def edited_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Never take an edit as an answer: at a question, ask for it to be sent again."""
    chat = update.effective_chat
    if chat is not None and chat.type == ChatType.PRIVATE and update.effective_user is not None:
        found = services(context)
        who = participant(update, context)
        position = found.evaluations.position(who)
        waiting = position is not None and position.active and position.state.cursor is not None
        if waiting or found.store.pending(who) is not None:
            await send_screen(update, context, Screen(found.texts.plain("edited.not_used")))
    # Nothing else runs for an edit: no command, no search, no answer.
    raise ApplicationHandlerStop


async def membership_changed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Note that someone blocked or unblocked the bot (there is nobody to answer)."""
    change = update.my_chat_member
    if change is not None:
        log.info(
            "the bot's membership of a %s chat is now %s",
            change.chat.type,
            change.new_chat_member.status,
        )


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a photo, sticker or voice note: only typed text is understood."""
    texts = services(context).texts
    await send_screen(
        update,
        context,
        Screen(texts.plain("unsupported_message"), (views.back_to_menu(texts),)),
    )


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Route a button tap; always answer the tap, politely refuse unknown buttons."""
    query = update.callback_query
    assert query is not None
    notice: str | None = None
    try:
        press = callbacks.parse(query.data)
        if update.effective_chat is None:
            # A button on a message shared through inline mode: there is no chat to answer in.
            notice = services(context).texts.plain("button.open_chat")
        elif press is None:
            log.info("ignored a button with unknown data")
            notice = services(context).texts.plain("eval.button_gone")
        else:
            notice = await _route(update, context, press)
    finally:
        # Telegram shows a spinner until the tap is answered, so answer even after an error.
        try:
            await query.answer(notice)
        except BadRequest as error:
            # A tap handled again after a restart was answered the first time: Telegram says
            # the query is too old. The work is done; there is nothing to tell the person.
            log.info("could not answer a tap: %s", error.message)


async def _route(
    update: Update, context: ContextTypes.DEFAULT_TYPE, press: callbacks.Press
) -> str | None:
    if isinstance(press, callbacks.EvaluationPress):
        return await evaluation.on_press(update, context, press)
    if isinstance(press, callbacks.ResourcePress):
        return await resources.open_resource(
            update,
            context,
            press.resource_id,
            press.topic_id,
            press.from_question,
            press.reading_of,
        )
    if isinstance(press, callbacks.TopicPress):
        return await resources.open_topic(update, context, press.topic_id)
    if isinstance(press, callbacks.IndicatorsPress):
        return await open_indicators(update, context, press.group_id, press.page)
    if isinstance(press, callbacks.OutcomesPress):
        found = services(context)
        screen = views.outcomes(found.texts, found.guide.content, press.page)
        await send_screen(update, context, screen)
        return None
    if isinstance(press, callbacks.ResultsPress):
        return await results.open_evaluation(
            update, context, press.evaluation_id, press.part, press.page
        )
    if isinstance(press, callbacks.TeamPress):
        return await team.on_team(update, context, press)
    if isinstance(press, callbacks.SetupPress):
        return await team.on_setup(update, context, press)
    if isinstance(press, callbacks.ContinuePress):
        return await evaluation.continue_evaluation(update, context, press.evaluation_id)
    if isinstance(press, callbacks.LevelPress):
        return await open_level(update, context, press.scale_id, press.value)
    if isinstance(press, callbacks.WordsPress):
        return await reading.explain(update, context, press.positions)
    return await _menu(update, context, press.item)


async def _menu(update: Update, context: ContextTypes.DEFAULT_TYPE, item: str) -> str | None:
    found = services(context)
    if item == "evaluate":
        await evaluation.evaluate(update, context)
    elif item == "new":
        await evaluation.begin(update, context)
    elif item == "resume":
        await evaluation.resume(update, context)
    else:
        await evaluation.pause_if_active(update, context)
        pages = {
            "main": show_menu,
            "find": resources.prompt_search,
            "topics": resources.list_topics,
            "results": results.list_results,
            "export": results.export,
            "privacy": privacy,
            "team": team.team_command,
            "newround": team.new_round,
            "joincode": team.ask_code,
            "words": reading.words_command,
            "about": reading.about_command,
            "aboutvoice": reading.about_voice,
            "reading": reading.switch_reading,
            "forget": reading.forget_command,
            "forgetyes": reading.forget,
        }
        if item in pages:
            await pages[item](update, context)
        elif item == "indicators":
            await send_screen(
                update,
                context,
                views.indicator_groups(found.texts, found.guide.content.indicator_groups),
            )
        elif item == "outcomes":
            await send_screen(update, context, views.outcomes(found.texts, found.guide.content))
        elif item == "scale":
            await show_scale(update, context)
    return None


async def show_scale(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the rating scale with what each level means."""
    found = services(context)
    easy = _easy(update, context)
    for scale in found.guide.content.scales:
        await send_screen(update, context, views.scale(found.texts, scale, easy=easy))


async def open_level(
    update: Update, context: ContextTypes.DEFAULT_TYPE, scale_id: str, value: int
) -> str | None:
    """Tell more about one level; mid-evaluation, put the question back underneath."""
    found = services(context)
    scale = found.guide.content.scale(scale_id)
    if scale is None or value not in {p.value for p in scale.points}:
        return found.texts.plain("eval.button_gone")
    await send_screen(update, context, views.level(found.texts, scale, value))
    await evaluation.ask_again_if_active(update, context)
    return None


async def open_indicators(
    update: Update, context: ContextTypes.DEFAULT_TYPE, group_id: str, page: int = 0
) -> str | None:
    """Show one group of performance indicators."""
    found = services(context)
    groups = found.guide.content.indicator_groups
    group = next((g for g in groups if g.id == group_id), None)
    if group is None:
        return found.texts.plain("eval.button_gone")
    screen = views.indicator_group(found.texts, found.guide.content, group, groups, page)
    await send_screen(update, context, screen)
    return None
