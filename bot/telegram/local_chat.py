"""A chat with the bot that reads like a chat: send text, tap buttons, read the replies.

`LocalChat` builds the real updates Telegram would deliver (`telegram.Update.de_json`) and feeds
them to `Application.process_update`; the bot answers through a `LocalTelegram` transport. Tests
use it to talk to the real Application; the terminal chat mode uses it to chat without a token.

What the Application needs: it must be built on the transport (``.request(transport)`` and
``.get_updates_request(transport)``) and initialised with ``await application.initialize()``
(which also fetches the bot user from the transport). ``application.start()`` is not needed for
handlers to run; call it only when the bot relies on the job queue or other background tasks.
Handlers registered with ``block=False`` run as background tasks and may still be running when
`LocalChat.send` returns.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from telegram import Update
from telegram.ext import Application, CallbackContext

from bot.telegram.local_transport import (
    ApiCall,
    LocalTelegram,
    StoredMessage,
    UploadedFile,
    group_chat_json,
    private_chat_json,
    user_json,
)

__all__ = ["BotMessage", "LocalChat"]

DEFAULT_USER_ID = 1001
DEFAULT_FIRST_NAME = "Alex"
DEFAULT_GROUP_TITLE = "Workforce team"

ChatType = Literal["private", "group", "supergroup"]
AnyApplication = Application[Any, Any, Any, Any, Any, Any]


@dataclass(frozen=True)
class BotMessage:
    """A message from the bot as it looked at one moment (after a send or an edit)."""

    message_id: int
    text: str
    """Visible text: tags stripped, entities unescaped. The caption for a document or photo."""
    html: str
    """The text or caption exactly as the bot sent it."""
    buttons: list[list[str]]
    """Inline keyboard labels, row by row."""
    reply_markup: dict[str, Any] | None
    document: UploadedFile | None
    photo: UploadedFile | None
    edited: bool
    """Whether this snapshot comes from an edit."""

    @classmethod
    def from_stored(cls, message: StoredMessage) -> BotMessage:
        """Take a snapshot of a message the transport holds."""
        return cls(
            message_id=message.message_id,
            text=message.text or "",
            html=message.html or "",
            buttons=message.buttons,
            reply_markup=message.reply_markup,
            document=message.document,
            photo=message.photo,
            edited=message.edit_date is not None,
        )

    @property
    def labels(self) -> list[str]:
        """Return every inline button label, row after row."""
        return [label for row in self.buttons for label in row]

    def callback_data(self, label: str) -> str | None:
        """Return the callback data behind the button with this label, or None."""
        for row in (self.reply_markup or {}).get("inline_keyboard", []):
            for button in row:
                if button.get("text") == label:
                    data = button.get("callback_data")
                    return None if data is None else str(data)
        return None

    def __str__(self) -> str:
        shown = self.text
        if self.document is not None:
            shown = f"[document {self.document.name}] {shown}".rstrip()
        if self.photo is not None:
            shown = f"[photo {self.photo.name}] {shown}".rstrip()
        if self.buttons:
            shown += "\n" + _format_buttons(self.buttons)
        return shown


class LocalChat:
    """Drive one user's chat with the bot: `send`, `tap`, `inline`, then read the replies.

    With ``strict=True`` (the default, meant for tests) every turn fails with an AssertionError
    when a handler raised, when the bot made a call Telegram would refuse, or when it left a
    tapped callback query unanswered. The terminal chat passes ``strict=False``.
    """

    def __init__(
        self,
        application: AnyApplication,
        transport: LocalTelegram,
        *,
        user_id: int = DEFAULT_USER_ID,
        first_name: str = DEFAULT_FIRST_NAME,
        username: str | None = None,
        language_code: str | None = "en",
        chat_type: ChatType = "private",
        chat_id: int | None = None,
        title: str = DEFAULT_GROUP_TITLE,
        strict: bool = True,
    ) -> None:
        """Open a chat; for groups the chat id is negative (pass one to share a group)."""
        if application.bot.request is not transport:
            raise ValueError(
                "the application does not talk to this transport: build it with "
                "ApplicationBuilder().request(transport).get_updates_request(transport)"
            )
        self.application = application
        self.transport: LocalTelegram = transport
        self.strict = strict
        self.user = user_json(user_id, first_name, username=username, language_code=language_code)
        if chat_type == "private":
            if chat_id not in (None, user_id):
                raise ValueError("a private chat's id is the user's id")
            self.chat = private_chat_json(self.user)
        else:
            default_id = -(1_000_000_000_000 if chat_type == "supergroup" else 4_000_000_000)
            self.chat = group_chat_json(
                chat_id if chat_id is not None else default_id - user_id,
                title,
                supergroup=chat_type == "supergroup",
            )
        self.chat_id: int = self.chat["id"]
        transport.add_chat(self.chat)

        self._replies: list[BotMessage] = []
        self._turn_calls: list[ApiCall] = []
        self._last_query_id: str | None = None
        self._errors: list[BaseException] = _handler_errors(application) if strict else []

    # -- acting as the user --------------------------------------------------------------------

    async def send(self, text: str) -> list[BotMessage]:
        """Send a text message as the user and return the replies (a leading /command is marked)."""
        update = self.transport.incoming_message(self.chat, self.user, text)
        await self._turn(update, f"sending {text!r}")
        return self.replies

    async def tap(self, label: str, *, message: BotMessage | int | None = None) -> list[BotMessage]:
        """Tap the inline button with exactly this label and return the replies.

        The button is looked for on the newest bot message with an inline keyboard, or on
        ``message`` (to tap a stale button on an older message). Only callback buttons can be
        tapped.
        """
        target = self._target(message)
        button = target.find_button(label)
        if button is None:
            hint = ""
            if isinstance(message, BotMessage) and label in message.labels:
                hint = " It had that button once, but the message was edited since."
            raise AssertionError(
                f"No button {label!r} on the bot's message {target.message_id} "
                f"({_first_line(target.text)!r}).{hint} Buttons there:\n"
                f"{_format_buttons(target.buttons)}"
            )
        if "callback_data" not in button:
            kind = next((key for key in button if key != "text"), "unknown")
            raise AssertionError(
                f"Button {label!r} is a {kind} button ({button.get(kind)!r}), not a callback "
                "button: tapping it would not reach the bot"
            )
        return await self._tap(target, str(button["callback_data"]), f"tapping {label!r}")

    async def tap_data(
        self, data: str, *, message: BotMessage | int | None = None
    ) -> list[BotMessage]:
        """Tap with arbitrary callback data on a keyboard message, like a forged or stale tap."""
        target = self._target(message)
        return await self._tap(target, data, f"tapping with data {data!r}")

    async def inline(self, query: str, *, offset: str = "") -> list[dict[str, Any]]:
        """Type an inline query ("@bot query") and return the results the bot answered."""
        chat_type = "sender" if self.chat["type"] == "private" else self.chat["type"]
        update = self.transport.incoming_inline_query(
            self.user, query, offset=offset, chat_type=chat_type
        )
        query_id = update["inline_query"]["id"]
        await self._turn(update, f"the inline query {query!r}")
        results = self.transport.inline_answers.get(query_id)
        if results is None and self.strict:
            raise AssertionError(f"The bot did not answer the inline query {query!r}")
        return list(results or [])

    async def deliver(self, update_json: dict[str, Any]) -> list[BotMessage]:
        """Feed any update as Telegram would send it (an edit, a poll...); return the replies."""
        await self._turn(update_json, f"delivering {sorted(update_json)}")
        return self.replies

    # -- reading the chat ----------------------------------------------------------------------

    @property
    def last(self) -> BotMessage:
        """Return the newest message the bot sent or edited in this chat."""
        for message in reversed(self.transport.outbox):
            if message.chat_id == self.chat_id:
                return BotMessage.from_stored(message)
        raise AssertionError("The bot has not sent anything in this chat yet")

    @property
    def replies(self) -> list[BotMessage]:
        """Return what the bot sent or edited in this chat during the last send/tap, in order."""
        return list(self._replies)

    @property
    def history(self) -> list[BotMessage]:
        """Return the bot's messages in this chat as they look now, oldest first."""
        return [
            BotMessage.from_stored(message)
            for message in self.transport.chat_messages(self.chat_id)
            if message.sender.get("id") == self.transport.bot_user["id"]
        ]

    @property
    def callback_answers(self) -> list[str]:
        """Return the texts (toasts and alerts) the bot showed in answer to the last tap."""
        return [
            answer.text
            for answer in self.transport.callback_answers
            if answer.query_id == self._last_query_id and answer.text
        ]

    @property
    def callback_answered(self) -> bool:
        """Tell whether the bot answered the last tap's callback query."""
        return self._last_query_id is not None and self.transport.is_answered(self._last_query_id)

    @property
    def calls(self) -> list[ApiCall]:
        """Return the Bot API calls the bot made during the last send/tap."""
        return list(self._turn_calls)

    @property
    def refusals(self) -> list[ApiCall]:
        """Return the calls of the last send/tap that Telegram would have refused."""
        return [call for call in self._turn_calls if not call.ok]

    # -- internals -----------------------------------------------------------------------------

    def _target(self, message: BotMessage | int | None) -> StoredMessage:
        """Find the message a tap is aimed at, as it looks now."""
        if message is not None:
            message_id = message.message_id if isinstance(message, BotMessage) else message
            current = self.transport.message(self.chat_id, message_id)
            if current is None:
                raise AssertionError(f"Message {message_id} is not in this chat (deleted?)")
            return current
        bot_id = self.transport.bot_user["id"]
        keyboards = [
            msg
            for msg in self.transport.chat_messages(self.chat_id)
            if msg.sender.get("id") == bot_id and msg.inline_keyboard
        ]
        if not keyboards:
            raise AssertionError(
                "No bot message with an inline keyboard in this chat. The bot's last messages:\n"
                + _describe(self.history[-3:])
            )
        return keyboards[-1]

    async def _tap(self, target: StoredMessage, data: str, action: str) -> list[BotMessage]:
        update = self.transport.incoming_callback_query(
            self.chat_id, target.message_id, data, self.user
        )
        self._last_query_id = update["callback_query"]["id"]
        await self._turn(update, action)
        if self.strict and not self.callback_answered:
            raise AssertionError(
                f"The bot did not answer the callback query when {action} (call "
                "query.answer() in every callback handler, or pass strict=False)"
            )
        return self.replies

    async def _turn(self, update_json: dict[str, Any], action: str) -> None:
        """Feed one update to the application and collect what the bot did."""
        calls_before = len(self.transport.calls)
        outbox_before = len(self.transport.outbox)
        errors_before = len(self._errors)
        update = Update.de_json(update_json, self.application.bot)
        await self.application.process_update(update)
        self._turn_calls = self.transport.calls[calls_before:]
        self._replies = [
            BotMessage.from_stored(message)
            for message in self.transport.outbox[outbox_before:]
            if message.chat_id == self.chat_id
        ]
        if not self.strict:
            return
        errors = self._errors[errors_before:]
        problems = [f"Telegram refused {call.method}: {call.error}" for call in self.refusals]
        problems += [f"a handler raised {type(error).__name__}: {error}" for error in errors]
        if problems:
            raise AssertionError(
                f"Something went wrong when {action}:\n"
                + "\n".join(f"  {problem}" for problem in problems)
                + "\n(a test that expects this can use LocalChat(..., strict=False))"
            ) from (errors[0] if errors else None)


# One shared error log per application, however many strict chats talk to it; each chat reads
# the part of the log written during its own turn.
_error_logs: weakref.WeakKeyDictionary[AnyApplication, list[BaseException]] = (
    weakref.WeakKeyDictionary()
)


def _handler_errors(application: AnyApplication) -> list[BaseException]:
    """Return the log of handler errors of this application, recording from now on."""
    log = _error_logs.get(application)
    if log is None:
        log = _error_logs[application] = []

        async def record(update: object, context: CallbackContext[Any, Any, Any, Any]) -> None:
            if context.error is not None:
                log.append(context.error)

        # Added after the bot's own error handler, so that one still runs (and logs) first.
        application.add_error_handler(record)
    return log


def _format_buttons(buttons: Sequence[Sequence[str]]) -> str:
    if not buttons:
        return "  (no buttons)"
    return "\n".join("  " + " | ".join(f"[{label}]" for label in row) for row in buttons)


def _first_line(text: str | None) -> str:
    line = (text or "").split("\n", 1)[0]
    return line if len(line) <= 60 else line[:57] + "..."


def _describe(messages: Sequence[BotMessage]) -> str:
    if not messages:
        return "  (none)"
    return "\n".join(
        f"  #{message.message_id}: {_first_line(message.text)!r}" for message in messages
    )
