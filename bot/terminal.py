"""Chat with the bot in a terminal: the same Application, flows and store, no Telegram needed.

Buttons are shown as numbered options: type the number to tap one, or type text as you would in
Telegram. Documents the bot sends (the CSV export) are saved in ./exports.
"""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path
from typing import TextIO

from bot.config import Settings
from bot.telegram.app import build_application
from bot.telegram.local_chat import BotMessage, LocalChat
from bot.telegram.local_transport import LocalTelegram
from storage import Store

# A fixed user, so quitting and starting again continues the same person's evaluation.
TERMINAL_USER_ID = 1001
TERMINAL_FIRST_NAME = "there"
EXPORT_DIR = Path("exports")
QUIT_WORDS = ("/quit", "/exit")
WIDTH = 78

BANNER = """\
LD&A Workforce Guide: terminal chat (no TELEGRAM_BOT_TOKEN is set, so nothing goes to Telegram).
Type a message as you would in Telegram. Buttons are numbered: type the number to tap one.
Answers are kept in {database}. Type /quit (or press Ctrl-D) to leave.
"""


class TerminalChat:
    """Show the bot's messages in a terminal and turn typed lines into messages or taps."""

    def __init__(self, chat: LocalChat, out: TextIO) -> None:
        self.chat = chat
        self.out = out
        self.buttons: list[str] = []  # the tappable labels now on screen, numbered from 1
        self.seen: dict[int, str] = {}  # message id → text already printed

    async def handle(self, line: str) -> None:
        """Send a typed line as text, or tap the button whose number it is."""
        stripped = line.strip()
        if stripped.isdigit() and 1 <= int(stripped) <= len(self.buttons):
            label = self.buttons[int(stripped) - 1]
            self.out.write(f"  (tapped: {label})\n")
            replies = await self.chat.tap(label)
        else:
            replies = await self.chat.send(stripped)
        notices = self.chat.callback_answers
        for notice in notices:
            self.out.write(f"  ! {notice}\n")
        self.show(replies)

    def show(self, replies: list[BotMessage]) -> None:
        """Print new messages and edits, and number the buttons of the newest keyboard."""
        for message in replies:
            self._print(message)
        keyboards = [m for m in replies if _tappable(m)]
        if keyboards:
            newest = keyboards[-1]
            self.buttons = _tappable(newest)
            self.out.write("\n")
            for number, label in enumerate(self.buttons, start=1):
                self.out.write(f"  [{number}] {label}\n")
            for label in _links(newest):
                self.out.write(f"  [link] {label}\n")
        elif replies:
            self.buttons = []
        self.out.flush()

    def _print(self, message: BotMessage) -> None:
        before = self.seen.get(message.message_id)
        self.seen[message.message_id] = message.text
        if before is not None:
            # An edit: print only what it added (e.g. "Your answer: 3 — Implementation").
            added = [line for line in message.text.splitlines() if line not in before.splitlines()]
            for line in added:
                self.out.write(f"  ✓ {line}\n")
            return
        self.out.write("\n")
        for paragraph in message.text.split("\n"):
            wrapped = textwrap.fill(paragraph, WIDTH, initial_indent="│ ", subsequent_indent="│ ")
            self.out.write((wrapped or "│") + "\n")
        if message.document is not None:
            EXPORT_DIR.mkdir(exist_ok=True)
            path = EXPORT_DIR / message.document.name
            path.write_bytes(message.document.content)
            self.out.write(f"│ 📎 {message.document.name} saved to {path}\n")


def _tappable(message: BotMessage) -> list[str]:
    return [label for label in message.labels if message.callback_data(label) is not None]


def _links(message: BotMessage) -> list[str]:
    return [label for label in message.labels if message.callback_data(label) is None]


async def chat_in_terminal(settings: Settings, stdin: TextIO, stdout: TextIO) -> int:
    """Run the terminal chat until the user quits or input ends."""
    transport = LocalTelegram()
    with Store.open(settings.database) as store:
        application = build_application(settings, store=store, request=transport)
        async with application:
            chat = LocalChat(
                application,
                transport,
                user_id=TERMINAL_USER_ID,
                first_name=TERMINAL_FIRST_NAME,
                strict=False,
            )
            terminal = TerminalChat(chat, stdout)
            stdout.write(BANNER.format(database=settings.database))
            await terminal.handle("/start")
            while True:
                stdout.write("\n> ")
                stdout.flush()
                line = await asyncio.to_thread(stdin.readline)
                if not line or line.strip().lower() in QUIT_WORDS:
                    stdout.write("\nBye. Your answers are saved.\n")
                    return 0
                if line.strip():
                    await terminal.handle(line)
