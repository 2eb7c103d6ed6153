"""Reading help: "Words explained", the word list, About this guide, the easy-read switch."""

from __future__ import annotations

from collections.abc import Sequence

from bot.content_model import About, Term
from bot.glossary import Glossary
from bot.telegram import callbacks
from bot.telegram.screens import Button, Screen
from bot.telegram.views import back_to_menu
from bot.texts import Texts

WORDS_PER_ROW = 2


def explain_words(texts: Texts, glossary: Glossary, screen: Screen) -> Screen:
    """Add a "Words explained" button to a screen that uses glossary terms."""
    if not screen.explain:
        return screen
    words_list = callbacks.menu("words")
    if any(button.data == words_list for row in screen.rows for button in row):
        return screen  # the screen already offers every word explained (the main menu)
    found = glossary.used_in(screen.text)
    if not found:
        return screen
    row = (Button(texts.plain("words.button"), callbacks.words(found)),)
    # Just above the last row (usually Main menu or Pause), where help is looked for.
    rows = (*screen.rows[:-1], row, *screen.rows[-1:]) if screen.rows else (row,)
    return Screen(screen.text, rows, screen.explain)


def meanings(texts: Texts, terms: Sequence[Term]) -> Screen:
    """Return what each term means, plainly."""
    lines = [texts.html("words.line", term=t.term, meaning=t.meaning) for t in terms]
    rows = ((Button(texts.plain("words.all"), callbacks.menu("words")),), back_to_menu(texts))
    text = "\n\n".join([texts.plain("words.heading"), *lines])
    return Screen(text, rows, explain=False)


def word_list(texts: Texts, glossary: Glossary) -> Screen:
    """Return every term as a button, two to a row."""
    # A to Z, so a word is where a reader looks for it.
    ordered = sorted(enumerate(glossary.terms), key=lambda item: item[1].term.casefold())
    buttons = [Button(term.term, callbacks.words((n,))) for n, term in ordered]
    rows = tuple(
        tuple(buttons[i : i + WORDS_PER_ROW]) for i in range(0, len(buttons), WORDS_PER_ROW)
    )
    return Screen(texts.plain("words.list"), (*rows, back_to_menu(texts)), explain=False)


def about(texts: Texts, about_: About | None, *, voice: bool = False) -> Screen:
    """Return About this guide: who the workforce is, or (next) a voice from experience."""
    if about_ is None:
        return Screen(texts.plain("about.heading"), (back_to_menu(texts),))
    if voice:
        text = texts.html("about.voice", voice=about_.voice, voice_by=about_.voice_by)
        rows = ((Button(texts.plain("page.back"), callbacks.menu("about")),), back_to_menu(texts))
    else:
        text = texts.html("about.intro", intro=about_.intro)
        rows = (
            (Button(texts.plain("about.next"), callbacks.menu("aboutvoice")),),
            back_to_menu(texts),
        )
    return Screen(f"{texts.plain('about.heading')}\n\n{text}", rows)


def reading_switched(texts: Texts, easy: bool) -> Screen:
    """Confirm the switch between easy read and the standard wording."""
    key = "reading.now_easy" if easy else "reading.now_standard"
    rows = (
        (Button(texts.plain("menu.evaluate"), callbacks.menu("evaluate")),),
        (Button(texts.plain("menu.team"), callbacks.menu("team")),),
        back_to_menu(texts),
    )
    return Screen(texts.plain(key), rows, explain=False)


def forget_confirm(texts: Texts) -> Screen:
    """Say what /forget deletes, and ask before doing it."""
    rows = (
        (Button(texts.plain("forget.yes"), callbacks.menu("forgetyes")),),
        (Button(texts.plain("forget.no"), callbacks.menu("main")),),
    )
    return Screen(texts.plain("forget.confirm"), rows, explain=False)


def forgotten(texts: Texts, closed: int) -> Screen:
    """Confirm the person's data is gone (and any round that closed with it)."""
    text = texts.plain("forget.done")
    if closed:
        text += "\n\n" + texts.html("forget.rounds_closed", count=closed)
    return Screen(text, (back_to_menu(texts),), explain=False)
