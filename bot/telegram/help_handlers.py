"""Reading help in the chat: Words explained, /words, About this guide, easy read on or off."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.telegram import evaluation_handlers as evaluation
from bot.telegram import help_views
from bot.telegram.screens import send_screen
from bot.telegram.services import participant, services
from storage.store import EASY_READ


async def words_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List every word the guide explains."""
    found = services(context)
    await send_screen(update, context, help_views.word_list(found.texts, found.glossary))


async def explain(
    update: Update, context: ContextTypes.DEFAULT_TYPE, positions: tuple[int, ...]
) -> str | None:
    """Show what the words on a screen mean."""
    found = services(context)
    terms = found.glossary.at(positions)
    if not terms:
        return found.texts.plain("eval.button_gone")
    await send_screen(update, context, help_views.meanings(found.texts, terms))
    # Opened from a question: put the question back underneath, as the other help does.
    await evaluation.ask_again_if_active(update, context)
    return None


async def about_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say who the care and support workforce is and why it matters (section 6.1)."""
    found = services(context)
    await send_screen(update, context, help_views.about(found.texts, found.guide.content.about))


async def about_voice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Give an expert by experience's words on what a good support worker does."""
    found = services(context)
    screen = help_views.about(found.texts, found.guide.content.about, voice=True)
    await send_screen(update, context, screen)


async def forget_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask before deleting everything kept about the person."""
    found = services(context)
    await send_screen(update, context, help_views.forget_confirm(found.texts))


async def forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Delete the person's answers, notes, places and memberships, as they confirmed."""
    found = services(context)
    old = found.evaluations.position(participant(update, context))
    await evaluation.tidy(update, context, old)
    closed = found.store.forget(participant(update, context))
    await send_screen(update, context, help_views.forgotten(found.texts, len(closed)))


async def switch_reading(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Turn easy read on, or back off, for everything the person sees from now on."""
    found = services(context)
    who = participant(update, context)
    easy = found.store.reading(who) != EASY_READ
    old = found.evaluations.position(who)
    position = found.evaluations.set_reading(who, easy)
    await send_screen(update, context, help_views.reading_switched(found.texts, easy))
    if position is not None and old is not None and old.active:
        # The question on screen is in the old words: ask it again in the new ones.
        await evaluation.tidy(update, context, old)
        await evaluation.ask(update, context, who, position)
