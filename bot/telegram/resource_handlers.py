"""Finding resources: free-text search, /find, topics, resource cards and inline mode."""

from __future__ import annotations

from telegram import InlineQueryResultArticle, InputTextMessageContent, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.search import Band
from bot.team import looks_like_code
from bot.telegram import evaluation_handlers as evaluation
from bot.telegram import help_views, views
from bot.telegram import team_handlers as team
from bot.telegram.screens import Screen, send_screen, shorten
from bot.telegram.services import participant, services

INLINE_RESULTS = 10
INLINE_DESCRIPTION = 120


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Read typed text as what a team screen waits for, an answer, or else a search."""
    found = services(context)
    who = participant(update, context)
    pending = found.store.pending(who)
    if pending is not None:
        await team.on_pending_text(update, context, pending)
        return
    position = found.evaluations.position(who)
    if position is not None and position.active and position.state.cursor is not None:
        await evaluation.on_text(update, context, position)
        return
    message = update.effective_message
    assert message is not None and message.text is not None
    if message.text.strip().isdigit():
        # A button number typed from habit, with no question waiting: not a search.
        screen = Screen(
            found.texts.plain("search.just_a_number"), (views.back_to_menu(found.texts),)
        )
        await send_screen(update, context, screen)
        return
    if looks_like_code(message.text) and found.teams.check_code(message.text).round is not None:
        # A join code pasted on its own, without /join: open it rather than search for it.
        await team.open_code(update, context, message.text)
        return
    await search(update, context, message.text)


async def find(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Search for the words after /find, or ask what to look for."""
    await evaluation.pause_if_active(update, context)
    query = " ".join(context.args or [])
    if not query.strip():
        await prompt_search(update, context)
        return
    await search(update, context, query)


async def prompt_search(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask the user to type what they are looking for."""
    found = services(context)
    await send_screen(
        update,
        context,
        Screen(found.texts.plain("search.prompt"), (views.back_to_menu(found.texts),)),
    )


async def search(update: Update, context: ContextTypes.DEFAULT_TYPE, query: str) -> None:
    """Search the catalogue and show results, suggestions, or topics to browse."""
    found = services(context)
    asked = found.glossary.asked_about(query)
    result = found.search.search(query)
    if asked is not None:
        # "What does strengths-based mean?": the answer is the word's meaning.
        await send_screen(
            update, context, help_views.meanings(found.texts, found.glossary.at((asked,)))
        )
        if result.band != Band.CONFIDENT:
            return
    if result.band == Band.NONE and result.terms:
        found.store.record_search_miss(result.terms)
    await send_screen(
        update,
        context,
        views.search_results(found.texts, found.guide.content, result, query.strip()),
    )


async def open_resource(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    resource_id: str,
    topic_id: str | None = None,
    from_question: bool = False,
    reading_of: int | None = None,
) -> str | None:
    """Show a resource's card, with the way back to where it was opened from."""
    found = services(context)
    resource = found.guide.content.resource(resource_id)
    if resource is None:
        return found.texts.plain("resource.not_found")
    topic = next((t for t in found.guide.content.topics if t.id == topic_id), None)
    screen = views.resource_card(found.texts, resource, topic, reading_of)
    await send_screen(update, context, screen)
    if from_question:
        await evaluation.ask_again_if_active(update, context)
    return None


async def list_topics(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the topics to browse."""
    found = services(context)
    await send_screen(update, context, views.topics(found.texts, found.guide.content))


async def open_topic(
    update: Update, context: ContextTypes.DEFAULT_TYPE, topic_id: str
) -> str | None:
    """Show the resources of one topic."""
    found = services(context)
    topic = next((t for t in found.guide.content.topics if t.id == topic_id), None)
    if topic is None:
        return found.texts.plain("topic.not_found")
    resources = found.search.by_topic(topic_id)
    await send_screen(update, context, views.topic(found.texts, topic, resources))
    return None


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer matching resources to share in any chat (typing @bot and a few words)."""
    found = services(context)
    query = update.inline_query
    assert query is not None
    if query.query.strip():
        result = found.search.search(query.query, limit=INLINE_RESULTS)
        resources = [hit.resource for hit in result.hits]
    else:
        resources = list(found.guide.content.resources[:INLINE_RESULTS])
    articles = [
        InlineQueryResultArticle(
            id=resource.id,
            title=resource.title,
            description=shorten(f"{resource.publisher}. {resource.summary}", INLINE_DESCRIPTION),
            input_message_content=InputTextMessageContent(
                views.resource_card(found.texts, resource).text, parse_mode=ParseMode.HTML
            ),
        )
        for resource in resources
    ]
    await query.answer(articles, cache_time=60)
