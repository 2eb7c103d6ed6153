"""What the bot shows, as data, and the few functions that send or edit it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import MessageLimit, ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

log = logging.getLogger(__name__)

LIMIT = MessageLimit.MAX_TEXT_LENGTH  # 4096
# In bot_data: a function that finishes every screen before it is sent (adds "Words explained").
DRESS_KEY = "dress"
BUTTON_LABEL_LIMIT = 60  # longer labels are cut on phones anyway


@dataclass(frozen=True)
class Button:
    """An inline button: callback data, a link, or an inline-mode share."""

    label: str
    data: str | None = None
    url: str | None = None
    share: str | None = None  # text to pre-fill when sharing through inline mode

    def markup(self) -> InlineKeyboardButton:
        """Return the python-telegram-bot button."""
        label = shorten(self.label, BUTTON_LABEL_LIMIT)
        if self.url is not None:
            return InlineKeyboardButton(label, url=self.url)
        if self.share is not None:
            return InlineKeyboardButton(label, switch_inline_query=self.share)
        return InlineKeyboardButton(label, callback_data=self.data)


@dataclass(frozen=True)
class Screen:
    """A message: HTML text and rows of buttons."""

    text: str
    rows: tuple[tuple[Button, ...], ...] = ()
    explain: bool = True  # offer "Words explained" when the text uses a glossary term

    def markup(self) -> InlineKeyboardMarkup | None:
        """Return the keyboard, or None when there are no buttons."""
        if not self.rows:
            return None
        return InlineKeyboardMarkup([[b.markup() for b in row] for row in self.rows if row])


def shorten(text: str, limit: int) -> str:
    """Cut text to ``limit`` characters, ending with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def split_html(text: str, limit: int = LIMIT) -> list[str]:
    """Split a long message at paragraph or line breaks so no part exceeds the limit."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        # Our HTML never spans lines, so cutting between lines keeps every tag closed.
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:cut])
            line = line[cut:].lstrip()
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        parts.append(current)
    return [p for p in parts if p.strip()]


async def send_screen(
    update: Update, context: ContextTypes.DEFAULT_TYPE, screen: Screen
) -> Message:
    """Send a screen to the chat an update came from; return the last message sent."""
    chat = update.effective_chat
    assert chat is not None, "screens are only sent in reply to a chat"
    dress = context.bot_data.get(DRESS_KEY)
    if dress is not None:
        screen = dress(screen)
    return await send_to_chat(context.bot, chat.id, screen)


async def send_to_chat(bot: Bot, chat_id: int, screen: Screen) -> Message:
    """Send a screen to a chat, splitting long text; buttons go under the last part."""
    parts = split_html(screen.text)
    sent: Message | None = None
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        sent = await bot.send_message(
            chat_id=chat_id,
            text=part,
            parse_mode=ParseMode.HTML,
            reply_markup=screen.markup() if last else None,
        )
    assert sent is not None
    return sent


async def edit(message: Message, screen: Screen) -> None:
    """Replace a message's text and buttons, ignoring Telegram's 'not modified' refusal."""
    text = split_html(screen.text)[0]
    try:
        await message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=screen.markup())
    except BadRequest as error:
        if "not modified" not in error.message:
            raise


async def drop_buttons(bot: Bot, chat_id: int, message_id: int | None) -> None:
    """Remove the buttons from an earlier message, if it still has them."""
    if message_id is None:
        return
    try:
        await bot.edit_message_reply_markup(
            chat_id=chat_id, message_id=message_id, reply_markup=None
        )
    except BadRequest as error:
        # Already without buttons, or deleted by the user: nothing to tidy.
        log.debug("could not remove buttons from message %s: %s", message_id, error.message)
