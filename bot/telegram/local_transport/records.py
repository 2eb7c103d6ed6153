"""What the in-process Telegram records: uploaded files, Bot API calls, answers, messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSONDict = dict[str, Any]


@dataclass(frozen=True)
class UploadedFile:
    """A file the bot uploaded: its name, bytes and MIME type."""

    name: str
    content: bytes
    mime_type: str


@dataclass(frozen=True)
class ApiCall:
    """One Bot API call the bot made and how the fake Bot API answered it."""

    method: str
    """The method name as the bot spelled it, e.g. ``"sendMessage"``."""
    params: JSONDict
    """The parameters, decoded to Python values (reply markup as a dict, and so on)."""
    files: dict[str, UploadedFile] = field(default_factory=dict)
    """Uploaded files by multipart field name (``"document"`` for sendDocument)."""
    result: Any = None
    """The ``result`` of a successful call."""
    error: str | None = None
    """Telegram's description when the call was refused."""

    @property
    def ok(self) -> bool:
        """Tell whether the call succeeded."""
        return self.error is None

    @property
    def file(self) -> UploadedFile | None:
        """Return the (first) uploaded file, if the call uploaded one."""
        return next(iter(self.files.values()), None)


@dataclass(frozen=True)
class CallbackAnswer:
    """The bot's answer to a callback query: a toast, an alert, or just the spinner stopping."""

    query_id: str
    text: str | None
    show_alert: bool
    url: str | None


@dataclass(frozen=True)
class StoredMessage:
    """A message as the fake Bot API holds it, frozen at one moment (edits make a new one)."""

    chat_id: int
    message_id: int
    date: int
    sender: JSONDict
    """The ``from`` user: the bot for messages the bot sent."""
    text: str | None = None
    """Visible text: tags removed, entities decoded, ends trimmed. The caption for media."""
    html: str | None = None
    """The text or caption exactly as sent (with markup when a parse mode was used)."""
    parse_mode: str | None = None
    entities: tuple[JSONDict, ...] = ()
    reply_markup: JSONDict | None = None
    document: UploadedFile | None = None
    photo: UploadedFile | None = None
    file_id: str | None = None
    edit_date: int | None = None

    @property
    def is_media(self) -> bool:
        """Tell whether this is a document or photo (its text is then a caption)."""
        return self.document is not None or self.photo is not None

    @property
    def inline_keyboard(self) -> list[list[JSONDict]]:
        """Return the rows of inline keyboard buttons (empty when there is no keyboard)."""
        if not self.reply_markup:
            return []
        rows: list[list[JSONDict]] = self.reply_markup.get("inline_keyboard", [])
        return rows

    @property
    def buttons(self) -> list[list[str]]:
        """Return the inline keyboard's labels, row by row."""
        return [[str(button.get("text", "")) for button in row] for row in self.inline_keyboard]

    def find_button(self, label: str) -> JSONDict | None:
        """Return the inline button with exactly this label, or None."""
        for row in self.inline_keyboard:
            for button in row:
                if button.get("text") == label:
                    return button
        return None
