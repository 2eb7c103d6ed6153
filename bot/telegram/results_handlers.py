"""Earlier evaluations: the list, one summary, and the CSV export."""

from __future__ import annotations

from datetime import UTC, datetime

from telegram import InputFile, Update
from telegram.ext import ContextTypes

from bot.telegram import callbacks, views
from bot.telegram.evaluation_handlers import send_summary
from bot.telegram.screens import Button, Screen, send_screen
from bot.telegram.services import participant, services
from storage import csv_bytes


async def list_results(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the user's evaluations, newest first."""
    found = services(context)
    evaluations = found.store.evaluations_for(participant(update, context))
    totals = {e.id: len(found.evaluations.statements(e)) for e in evaluations}
    await send_screen(update, context, views.results_list(found.texts, evaluations, totals))


async def open_evaluation(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    evaluation_id: int,
    part: str | None = None,
    page: int = 0,
) -> str | None:
    """Show one of the user's own evaluations (or its reading, or its notes); others: not found."""
    found = services(context)
    evaluation = found.store.evaluation(evaluation_id)
    if evaluation is None or evaluation.participant_id != participant(update, context):
        return found.texts.plain("results.not_found")
    if part is None:
        await send_summary(update, context, evaluation_id)
        return None
    answers = found.store.answers_for(evaluation_id)
    statements = found.evaluations.statements(evaluation)
    if part == "notes":
        screen = views.notes(found.texts, evaluation_id, statements, answers, page)
    else:
        easy = found.evaluations.easy_read(evaluation.participant_id)
        low = views.low_rated(statements, answers)
        screen = views.reading(
            found.texts, found.guide.content, evaluation_id, low, easy=easy, page=page
        )
    await send_screen(update, context, screen)
    return None


async def export(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the user's own answers as a CSV document."""
    found = services(context)
    rows = found.store.export_rows(participant(update, context))
    chat = update.effective_chat
    assert chat is not None
    if not rows:
        await send_screen(
            update,
            context,
            Screen(found.texts.plain("export.none"), (views.back_to_menu(found.texts),)),
        )
        return
    content = found.guide.content
    data = csv_bytes(
        rows, statement_titles=content.statement_titles(), rating_labels=content.rating_labels()
    )
    name = f"self-evaluation-{datetime.now(UTC):%Y-%m-%d}.csv"
    await context.bot.send_document(
        chat_id=chat.id,
        document=InputFile(data, filename=name),
        caption=found.texts.html("export.caption", rows=len(rows)),
        parse_mode="HTML",
        # A document is a screen too: never a dead end.
        reply_markup=Screen(
            "",
            (
                (Button(found.texts.plain("menu.results"), callbacks.menu("results")),),
                views.back_to_menu(found.texts),
            ),
        ).markup(),
    )
