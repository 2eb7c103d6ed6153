"""The one composition root: ``build_application`` wires content, store, search and handlers."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import Forbidden
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot.config import Settings
from bot.evaluation import Evaluations
from bot.glossary import Glossary
from bot.loading import Guide, load_guide
from bot.search import SearchIndex
from bot.team import Teams
from bot.telegram import evaluation_handlers as evaluation
from bot.telegram import help_handlers as reading
from bot.telegram import menu_handlers as menu
from bot.telegram import resource_handlers as resources
from bot.telegram import results_handlers as results
from bot.telegram import team_handlers as team
from bot.telegram.commits import GroupCommit
from bot.telegram.delivery import RetryingLimiter, is_undelivered, start_notices
from bot.telegram.durable import DurableApplication, InboxRequest, handle_waiting
from bot.telegram.flood import GATE_KEY, FloodGate, hold_back_floods
from bot.telegram.help_views import explain_words
from bot.telegram.ordering import PerPersonOrder
from bot.telegram.screens import DRESS_KEY
from bot.telegram.services import SERVICES_KEY, Services, services
from storage import Store

# The Application as built here: python-telegram-bot's default context and data types.
BotApplication = Application[Any, ContextTypes.DEFAULT_TYPE, Any, Any, Any, Any]

log = logging.getLogger(__name__)

# Without a token the bot talks to an in-process stand-in for Telegram (the terminal chat and
# the tests); python-telegram-bot still wants a token-shaped string.
LOCAL_TOKEN = "1:local-terminal-chat"

COMMANDS = (
    "start",
    "evaluate",
    "resume",
    "team",
    "join",
    "results",
    "export",
    "find",
    "words",
    "about",
    "easyread",
    "forget",
    "help",
    "cancel",
    "privacy",
)


def build_application(
    settings: Settings,
    *,
    guide: Guide | None = None,
    store: Store | None = None,
    request: BaseRequest | None = None,
) -> BotApplication:
    """Build the bot: check content (raising ContentError), open the store, wire handlers."""
    guide = guide or load_guide(settings.content_dir, settings.flows_dir)
    owns_store = store is None
    store = store or Store.open(settings.database)
    builder = (
        ApplicationBuilder()
        .token(settings.token or LOCAL_TOKEN)
        .application_class(DurableApplication)
    )
    if settings.base_url:
        builder = builder.base_url(settings.base_url)
    if request is not None:
        builder = builder.request(request)
    # The writes of one turn of the event loop are committed together, before any reply.
    commits = GroupCommit(store)
    # Every update is kept in the store as it arrives, before Telegram is told it came.
    fetcher = request if request is not None else HTTPXRequest(connection_pool_size=1)
    builder = builder.get_updates_request(InboxRequest(fetcher, store, commits))
    # Telegram's flood limits, 429s waited out, and calls that fail on the way tried again;
    # no call leaves before what it may say was saved is on disk.
    limiter = RetryingLimiter(overall_max_rate=settings.sends_per_second, settle=commits.settle)
    builder = builder.rate_limiter(limiter)  # type: ignore[arg-type]
    # Different people's updates side by side; each person's strictly in order.
    builder = builder.concurrent_updates(PerPersonOrder())
    builder = builder.post_init(_start)
    if owns_store:

        async def close_store(_: BotApplication) -> None:
            store.close()

        builder = builder.post_shutdown(close_store)
    application = builder.build()
    assert isinstance(application, DurableApplication)
    application.store = store
    application.commits = commits
    application.bot_data[SERVICES_KEY] = Services(
        settings=settings,
        guide=guide,
        store=store,
        search=SearchIndex.build(guide.content.resources, guide.content.vocabulary),
        evaluations=Evaluations(store, guide),
        teams=Teams(store, guide.content, settings.admins),
        glossary=Glossary(guide.content.glossary),
    )
    found = application.bot_data[SERVICES_KEY]
    application.before_shutdown.append(found.evaluations.write_on_screen)
    application.bot_data[DRESS_KEY] = partial(explain_words, found.texts, found.glossary)
    if settings.flood is not None:
        application.bot_data[GATE_KEY] = FloodGate(settings.flood)
    _add_handlers(application)
    return application


def _add_handlers(application: BotApplication) -> None:
    private = filters.ChatType.PRIVATE
    commands = {
        "start": menu.start,
        "help": menu.help_command,
        "privacy": menu.privacy,
        "evaluate": evaluation.evaluate,
        "resume": evaluation.resume,
        "cancel": evaluation.cancel,
        "results": results.list_results,
        "export": results.export,
        "find": resources.find,
        "team": team.team_command,
        "join": team.join_command,
        "words": reading.words_command,
        "about": reading.about_command,
        "easyread": reading.switch_reading,
        "forget": reading.forget_command,
    }
    # One person flooding the bot is held back before anything else is done for them.
    application.add_handler(TypeHandler(Update, hold_back_floods), -3)
    # An edited message must never count as a new answer or command: it stops here, first.
    application.add_handler(MessageHandler(filters.UpdateType.EDITED, menu.edited_message), -2)
    # Moving on with a command or the menu ends any typed input the team screens waited for;
    # group -1 runs first and lets the update go on to its own handler.
    application.add_handler(MessageHandler(private & filters.COMMAND, team.forget_pending), -1)
    # Every button but the ones that answer the waiting question (set-up steps, "Use my name",
    # "No reason") also ends it, so a later message is never taken for the wrong thing.
    application.add_handler(
        CallbackQueryHandler(
            team.forget_pending, pattern=r"^(?!n:|g:\d+:(?:myname|noreason|easy)$)"
        ),
        -1,
    )
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback, filters=private))
    application.add_handler(MessageHandler(filters.ChatType.GROUPS & filters.COMMAND, in_group))
    application.add_handler(CallbackQueryHandler(menu.on_button))
    application.add_handler(InlineQueryHandler(resources.inline_query))
    application.add_handler(
        ChatMemberHandler(menu.membership_changed, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    application.add_handler(MessageHandler(private & filters.COMMAND, menu.unknown_command))
    application.add_handler(MessageHandler(private & filters.TEXT, resources.on_text))
    application.add_handler(MessageHandler(private & ~filters.TEXT, menu.not_text))
    application.add_error_handler(on_error)


async def _start(application: BotApplication) -> None:
    """Before polling: publish the command menu, then handle what was left from a stop."""
    await _set_commands(application)
    await handle_waiting(application)
    start_notices(application)


async def _set_commands(application: BotApplication) -> None:
    """Publish the command menu (the / list in Telegram's chat box)."""
    texts = application.bot_data[SERVICES_KEY].texts
    await application.bot.set_my_commands(
        [BotCommand(name, texts.plain(f"command.{name}")) for name in COMMANDS]
    )


def _unreachable(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Deal with a reply Telegram would not take: note who to tell later; True if it was that."""
    error = context.error
    if isinstance(error, Forbidden):
        log.info("a chat has blocked the bot: nothing more can be sent to it")
        return True
    if not is_undelivered(error):
        return False
    chat = update.effective_chat
    # Answers were stored before the reply was sent: the update is done, the person is owed
    # a notice (sent once Telegram answers again) rather than this update handled again.
    log.warning("a reply could not be delivered after retries: %s", error)
    if chat is not None and chat.type == ChatType.PRIVATE:
        services(context).store.note_undelivered(chat.id)
    return True


async def in_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer in a group with a button to talk privately: answers should stay personal."""
    message = update.effective_message
    if message is None:
        return
    texts = services(context).texts
    link = f"https://t.me/{context.bot.username}?start=from-group"
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.plain("group.open_private"), url=link)]]
    )
    await message.reply_text(texts.plain("group.private_only"), reply_markup=keyboard)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure with its traceback, then apologise without showing any internals."""
    application = context.application
    if isinstance(update, Update) and _unreachable(update, context):
        return
    in_full = True
    if isinstance(application, DurableApplication):
        in_full = application.note_failure(update, context.error)
    if in_full:
        log.error("error while handling an update", exc_info=context.error)
    else:
        # The same error again within a minute: one line, so a storm cannot flood the log.
        log.error("error while handling an update (again): %s", type(context.error).__name__)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != ChatType.PRIVATE:
        return
    try:
        await context.bot.send_message(
            update.effective_chat.id, services(context).texts.plain("error.generic")
        )
    except Exception:  # the apology itself failed (e.g. Telegram unreachable): logged, no loop
        log.exception("could not send the apology after an error")
