"""Chat with the bot in a terminal: the same Application, flows and store, no Telegram needed.

Buttons are shown as numbered options: type the number to tap one, or type text as you would in
Telegram. Documents and pictures the bot sends (the CSV export, a team chart) are saved in
./exports. Type /as alice to be someone else (to play a whole team): each name is its own
Telegram user with a private chat, the same user in every run, so the database carries on.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import textwrap
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from bot.config import Settings
from bot.loading import load_guide
from bot.telegram.app import build_application
from bot.telegram.local_chat import BotMessage, LocalChat
from bot.telegram.local_transport import LocalTelegram, UploadedFile
from storage import Store

# A fixed user, so quitting and starting again continues the same person's evaluation.
TERMINAL_USER_ID = 1001
TERMINAL_FIRST_NAME = "there"
# What the person you start as is called in the prompt and in "/as" (and how to get back).
DEFAULT_PERSON = "me"
_STARTED_AS = "the person you started as"
# Named people get ids from here up: far above TERMINAL_USER_ID, well inside Telegram's 52 bits.
NAMED_USER_BASE = 1_000_000_000_000
NAMED_USER_ID_BYTES = 5  # 2**40 ids: two names in one team clash with odds of about 1 in 10**10
MAX_NAME_LENGTH = 32
NAME_PUNCTUATION = " -'._"
_LEVEL_LABEL = re.compile(r"^\W{0,3}\s?([1-5]) (?:— )?\w")
AS_COMMAND = "/as"
EXPORT_DIR = Path("exports")
QUIT_WORDS = ("/quit", "/exit")
WIDTH = 78
# Their INFO lines ("Scheduler started", "Application started") are noise between chat lines.
START_UP_LOGGERS = ("apscheduler", "telegram.ext.Application")

BANNER = """\
LD&A Workforce Guide: terminal chat (no TELEGRAM_BOT_TOKEN is set, so nothing goes to Telegram).
Type a message as you would in Telegram. Buttons are numbered: type the number to tap one.
Type /as alice to be someone else (to play a whole team).
Answers are kept in {database}. Type /quit (or press Ctrl-D) to leave.
"""


def user_id_for(name: str) -> int:
    """Return the Telegram user id that stands for this name, the same in every run."""
    key = _key(name)
    if key == DEFAULT_PERSON:
        return TERMINAL_USER_ID
    # A digest rather than hash(): Python salts str hashes per process, and the id must last.
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return NAMED_USER_BASE + int.from_bytes(digest[:NAMED_USER_ID_BYTES], "big")


@dataclass
class Person:
    """Someone the keyboard speaks for: a Telegram user with a private chat with the bot."""

    name: str
    chat: LocalChat
    seen: dict[int, str] = field(default_factory=dict)
    """Message id → the text already printed (message ids are numbered per chat)."""
    looked: int = 0
    """How much of the transport's outbox has been looked through for this person's chat."""


class TerminalChat:
    """Show the bot's messages in a terminal and turn typed lines into messages or taps."""

    def __init__(self, chat: LocalChat, out: TextIO) -> None:
        self.out = out
        self.person = Person(DEFAULT_PERSON, chat)
        self.people: dict[str, Person] = {DEFAULT_PERSON: self.person}  # by casefolded name
        self.switched = False  # once someone else has spoken, the prompt names the speaker
        self.buttons: dict[int, str] = {}  # the tappable labels now on screen, by number
        self.numbers: dict[str, int] = {}  # the number each label last had: kept where it can
        self.keyboard_id: int | None = None  # the message those buttons are on
        self.saved: dict[Path, bytes] = {}  # files written this session, to never overwrite one

    @property
    def chat(self) -> LocalChat:
        """Return the chat of the person you are now."""
        return self.person.chat

    @property
    def prompt(self) -> str:
        """Return the prompt, naming whose turn it is once there is more than one person."""
        return f"{self.person.name}> " if self.switched else "> "

    async def handle(self, line: str) -> None:
        """Switch person on /as, else send a typed line as text or tap the numbered button."""
        stripped = line.strip()
        if not stripped:
            return
        command, *rest = stripped.split(maxsplit=1)
        if command.lower() == AS_COMMAND:
            await self.switch(" ".join(rest))
            return
        if stripped.isdigit() and int(stripped) in self.buttons:
            label = self.buttons[int(stripped)]
            self.out.write(f"  (tapped: {label})\n")
            try:
                # Aim at the keyboard on screen: a newer one may have arrived unseen meanwhile.
                await self.chat.tap(label, message=self.keyboard_id)
            except AssertionError:
                # LocalChat's way of saying the button is gone (its message was edited since).
                self.out.write("  ! That button is no longer there.\n")
                self._catch_up()
                return
            else:
                for notice in self.chat.callback_answers:
                    self.out.write(f"  ! {notice}\n")
        else:
            await self.chat.send(stripped)
        self.show(self._unseen())

    async def switch(self, name: str) -> None:
        """Become the person with this name (a new Telegram user the first time), or list people."""
        name = " ".join(name.split())
        if not name:
            self._list_people()
            self.show(self._unseen())
            return
        problem = _name_problem(name)
        if problem:
            self.out.write(f"  ! {problem} For example: /as alice\n")
            self.out.flush()
            return
        key = _key(name)
        person = self.people.get(key)
        self.switched = True
        if person is None:
            template = self.people[DEFAULT_PERSON].chat
            chat = LocalChat(
                template.application,
                template.transport,
                user_id=user_id_for(name),
                first_name=name,
                strict=False,
            )
            self.person = self.people[key] = Person(name, chat)
            self.out.write(f"\n— You are now {name}. —\n  (new in this session: sending /start)\n")
            await chat.send("/start")
            self.show(self._unseen())
            return
        again = person is self.person
        self.person = person
        self.out.write(f"\n— You are {'still' if again else 'now'} {_who(person)}. —\n")
        self._catch_up()

    def show(self, replies: list[BotMessage]) -> None:
        """Print new messages and edits, and number the buttons of the newest keyboard."""
        for message in replies:
            self._print(message)
        keyboards = [m for m in replies if _tappable(m)]
        if keyboards:
            self._offer(keyboards[-1])
        elif replies:
            self._offer(None)
        self.out.flush()

    def _catch_up(self) -> None:
        """Print what came for this person while away, and offer their newest keyboard."""
        unseen = self._unseen()
        for message in unseen:
            self._print(message)
        keyboards = [m for m in self.chat.history if _tappable(m)]
        newest = keyboards[-1] if keyboards else None
        if not unseen and newest is not None:
            # Nothing new: show the question they were on, so the numbers make sense.
            self.out.write("  (where you left off)\n")
            self._print(newest, again=True)
        self._offer(newest)
        self.out.flush()

    def _unseen(self) -> list[BotMessage]:
        """Return what the bot sent or edited in this person's chat since it was last looked at.

        This catches replies and also messages nobody asked for (a reminder sent by a job,
        something another person's action sent here), so none is lost.
        """
        person = self.person
        outbox = person.chat.transport.outbox
        fresh = outbox[person.looked :]
        person.looked += len(fresh)
        return [BotMessage.from_stored(m) for m in fresh if m.chat_id == person.chat.chat_id]

    def _offer(self, keyboard: BotMessage | None) -> None:
        """Make this message's buttons the numbered ones, and list them."""
        labels = _tappable(keyboard) if keyboard is not None else []
        self.buttons = self._number(labels)
        self.keyboard_id = keyboard.message_id if keyboard is not None else None
        if keyboard is None:
            return
        self.out.write("\n")
        for number, label in self.buttons.items():
            self.out.write(f"  [{number}] {label}\n")
        for label in _links(keyboard):
            self.out.write(f"  [link] {label}\n")

    def _number(self, labels: list[str]) -> dict[int, str]:
        """Number the buttons so a label keeps the number it had (Skip stays Skip's number)."""
        taken: dict[int, str] = {}
        for label in labels:
            # A level button ("3 — Implementation") is always its own level's number.
            wanted = _leading_number(label) or self.numbers.get(label)
            if wanted is not None and wanted not in taken:
                taken[wanted] = label
        for label in labels:
            if label in taken.values():
                continue
            number = 1
            while number in taken:
                number += 1
            taken[number] = label
        by_label = {label: number for number, label in taken.items()}
        self.numbers.update(by_label)
        # Listed in the order the bot put them on screen, each with its own number.
        return {by_label[label]: label for label in labels}

    def _list_people(self) -> None:
        others = [p.name for key, p in self.people.items() if key != DEFAULT_PERSON]
        everyone = ", ".join([*others, f"{DEFAULT_PERSON} ({_STARTED_AS})"])
        self.out.write(f"  You are {_who(self.person)}. People so far: {everyone}.\n")
        self.out.write(
            f"  Type /as NAME to be someone else, /as {DEFAULT_PERSON} to be {_STARTED_AS}.\n"
        )

    def _print(self, message: BotMessage, *, again: bool = False) -> None:
        seen = self.person.seen
        before = seen.get(message.message_id)
        seen[message.message_id] = message.text
        if before is not None and not again:
            # An edit: print only what it added (e.g. "Your answer: 3 — Implementation").
            added = [line for line in message.text.splitlines() if line not in before.splitlines()]
            for line in added:
                self.out.write(f"  ✓ {line}\n")
            return
        self.out.write("\n")
        media = message.document is not None or message.photo is not None
        if message.text or not media:
            for paragraph in message.text.split("\n"):
                wrapped = textwrap.fill(
                    paragraph, WIDTH, initial_indent="│ ", subsequent_indent="│ "
                )
                self.out.write((wrapped or "│") + "\n")
        if again:
            return  # a reminder of the screen: the file was saved when it first came
        if message.document is not None:
            path = self._save(message.document)
            self.out.write(f"│ 📎 saved to {path}\n")
        if message.photo is not None:
            path = self._save(message.photo)
            self.out.write(f"│ 🖼 saved to {path}\n")

    def _save(self, upload: UploadedFile) -> Path:
        """Write a file the bot sent into the exports folder and return where it went."""
        # Only the last part of the name: a name from the bot must not pick the folder.
        name = Path(upload.name).name or "file"
        stem, suffix = Path(name).stem, Path(name).suffix
        path = EXPORT_DIR / name
        number = 1
        # Same name, other bytes (two people's charts): keep both. Same bytes: the same file.
        while self.saved.get(path, upload.content) != upload.content:
            number += 1
            path = EXPORT_DIR / f"{stem}-{number}{suffix}"
        EXPORT_DIR.mkdir(parents=True, exist_ok=True)
        path.write_bytes(upload.content)
        self.saved[path] = upload.content
        return path


def _who(person: Person) -> str:
    """Name the person for a sentence ("You are now alice.")."""
    return _STARTED_AS if _key(person.name) == DEFAULT_PERSON else person.name


def _key(name: str) -> str:
    """Return the form of a name that says who it is: one spelling, any case."""
    return unicodedata.normalize("NFC", " ".join(name.split())).casefold()


def _name_problem(name: str) -> str | None:
    """Say what is wrong with a name for a person, or None when it will do."""
    if len(name) > MAX_NAME_LENGTH:
        return f"Keep names to {MAX_NAME_LENGTH} characters or fewer."
    if not any(ch.isalpha() for ch in name) or not all(
        ch.isalnum() or ch in NAME_PUNCTUATION for ch in name
    ):
        return "Use letters for a name (digits, spaces and - ' . _ are fine too)."
    return None


def _leading_number(label: str) -> int | None:
    """Return the level in a label such as "3 — Implementation" or "💬 1 Just talking"."""
    match = _LEVEL_LABEL.match(label)
    return int(match[1]) if match else None


def _tappable(message: BotMessage) -> list[str]:
    return [label for label in message.labels if message.callback_data(label) is not None]


def _links(message: BotMessage) -> list[str]:
    return [label for label in message.labels if message.callback_data(label) is None]


async def chat_in_terminal(settings: Settings, stdin: TextIO, stdout: TextIO) -> int:
    """Run the terminal chat until the user quits or input ends."""
    transport = LocalTelegram()
    # Content first: a broken folder stops here, before a database file is created.
    guide = load_guide(settings.content_dir, settings.flows_dir)
    with Store.open(settings.database) as store:
        application = build_application(settings, guide=guide, store=store, request=transport)
        async with application:
            # Started, not only initialised, so the job queue runs (team-round reminders).
            with _quiet(START_UP_LOGGERS, enabled=settings.log_level != "DEBUG"):
                await application.start()
            try:
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
                    stdout.write("\n" + terminal.prompt)
                    stdout.flush()
                    line = await asyncio.to_thread(stdin.readline)
                    if not line or line.strip().lower() in QUIT_WORDS:
                        stdout.write("\nBye. Your answers are saved.\n")
                        return 0
                    if line.strip():
                        await terminal.handle(line)
            finally:
                with _quiet(START_UP_LOGGERS, enabled=settings.log_level != "DEBUG"):
                    await application.stop()


@contextmanager
def _quiet(names: tuple[str, ...], *, enabled: bool) -> Iterator[None]:
    """Keep these loggers at WARNING inside the block (if enabled), then restore their levels."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    if enabled:
        for logger in loggers:
            logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
