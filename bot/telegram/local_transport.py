"""An in-process stand-in for the Telegram Bot API.

`LocalTelegram` is a `telegram.request.BaseRequest`: hand it to `ApplicationBuilder` and every
Bot API call the bot makes is answered in memory, shaped the way Telegram answers it. It also
refuses what Telegram refuses (bad HTML, oversized callback data, an edit that changes nothing,
...) with Telegram's status and description, so python-telegram-bot raises the same
`telegram.error.BadRequest` it would raise in production.

The test suite drives it offline; the terminal chat mode uses it to run the real Application
without a token; `tests/botapi_server.py` puts it behind real HTTP. The "user side" (`incoming_*`)
builds the updates Telegram would deliver when someone writes, taps a button or types an inline
query, against the same record of chats and messages the bot side edits.

Limits checked here follow the Bot API documentation. Where Telegram's exact wording of an error
is not known, the description is a sensible one in Telegram's style.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from telegram.constants import ChatAction
from telegram.request import BaseRequest, RequestData

__all__ = [
    "MAX_CALLBACK_ANSWER_LENGTH",
    "MAX_CALLBACK_DATA_BYTES",
    "MAX_CAPTION_LENGTH",
    "MAX_TEXT_LENGTH",
    "ApiCall",
    "CallbackAnswer",
    "EntityParseError",
    "LocalTelegram",
    "StoredMessage",
    "UploadedFile",
    "group_chat_json",
    "parse_html",
    "private_chat_json",
    "user_json",
]

_LOGGER = logging.getLogger(__name__)

JSONDict = dict[str, Any]

MAX_TEXT_LENGTH: Final = 4096
MAX_CAPTION_LENGTH: Final = 1024
MAX_CALLBACK_DATA_BYTES: Final = 64
MAX_CALLBACK_ANSWER_LENGTH: Final = 200
MAX_INLINE_RESULTS: Final = 50
MAX_INLINE_RESULT_ID_BYTES: Final = 64
MAX_COMMANDS: Final = 100
MAX_COMMAND_DESCRIPTION_LENGTH: Final = 256
COMMAND_PATTERN: Final = re.compile(r"[a-z0-9_]{1,32}")

DEFAULT_BOT_ID: Final = 777000001
DEFAULT_BOT_FIRST_NAME: Final = "Workforce Guide"
DEFAULT_BOT_USERNAME: Final = "workforce_guide_bot"

QUERY_EXPIRED: Final = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
METHOD_NOT_FOUND: Final = "Not Found: method not found"

_CHAT_ACTIONS: Final = frozenset(action.value for action in ChatAction)
# The fields that give an inline keyboard button something to do; a button without one is refused.
_BUTTON_ACTIONS: Final = (
    "callback_data",
    "url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "login_url",
    "web_app",
    "copy_text",
    "callback_game",
    "pay",
)
_BOT_COMMAND: Final = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{1,32})?(?![A-Za-z0-9_])")
_URL: Final = re.compile(r"(?:(?:https?|tg)://|[A-Za-z0-9-]+\.)\S+")


# ---------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------


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


class _Refusal(Exception):
    """A request the fake Bot API refuses; carries Telegram's status and description."""

    def __init__(self, description: str, error_code: int = 400) -> None:
        super().__init__(description)
        self.description = description
        self.error_code = error_code


# ---------------------------------------------------------------------------------------------
# Telegram's HTML parse mode
# ---------------------------------------------------------------------------------------------


class EntityParseError(ValueError):
    """Text that Telegram's HTML parse mode would refuse; the message is Telegram's reason."""


_ENTITY_TYPES: Final = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_SUPPORTED_TAGS: Final = frozenset(_ENTITY_TYPES)
# Telegram understands only these named entities (plus every numeric one).
_NAMED_ENTITIES: Final = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _utf16_length(text: str) -> int:
    """Count UTF-16 code units, the unit Telegram measures entity offsets in."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _OpenTag:
    name: str
    argument: str
    offset: int
    expandable: bool = False


class _HtmlParser:
    """Telegram's HTML parser, following tdlib's rules and error messages.

    With ``strict_ampersand`` a "&" that does not start a complete entity (``&amp;``,
    ``&#38;``...) is refused. Telegram itself shows such a "&" literally, but in this bot it
    always means an interpolated string skipped ``html.escape`` — and the same string with a
    "<" in it would break the message in production.
    """

    def __init__(self, text: str, *, strict_ampersand: bool) -> None:
        self.text = text
        self.strict_ampersand = strict_ampersand
        self.pos = 0
        self.out: list[str] = []
        self.offset = 0  # UTF-16 length of what has been emitted so far
        self.stack: list[_OpenTag] = []
        self.entities: list[JSONDict] = []

    def parse(self) -> tuple[str, list[JSONDict]]:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == "&":
                self._emit(self._entity_or_ampersand())
            elif char == "<":
                if self.pos + 1 < len(text) and text[self.pos + 1] == "/":
                    self._end_tag()
                else:
                    self._start_tag()
            else:
                self._emit(char)
                self.pos += 1
        if self.stack:
            raise EntityParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        self.entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
        return "".join(self.out), self.entities

    def _emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.offset += _utf16_length(chunk)

    def _byte_offset(self, pos: int) -> int:
        return len(self.text[:pos].encode("utf-8"))

    def _entity_or_ampersand(self) -> str:
        """Decode the entity at ``pos`` and move past it; a lone "&" stays as it is."""
        decoded = _decode_entity(self.text, self.pos)
        # Telegram also reads "&amp" without the semicolon; the strict check does not, since a
        # missing ";" is as much a sign of unescaped text as a lone "&".
        if decoded is None or (self.strict_ampersand and not decoded[2]):
            if self.strict_ampersand:
                raise EntityParseError(
                    f'Unescaped "&" at byte offset {self._byte_offset(self.pos)}; write it as '
                    '"&amp;" (Telegram would show it as text, but it means html.escape was missed)'
                )
            self.pos += 1
            return "&"
        char, self.pos, _ = decoded
        return char

    def _skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _start_tag(self) -> None:
        text = self.text
        begin = self.pos
        at = self._byte_offset(begin)
        self.pos += 1
        while self.pos < len(text) and not text[self.pos].isspace() and text[self.pos] != ">":
            self.pos += 1
        if self.pos >= len(text):
            raise EntityParseError(f"Unclosed start tag at byte offset {at}")
        name = text[begin + 1 : self.pos].lower()
        if name not in _SUPPORTED_TAGS:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {at}')

        attributes = self._attributes(name, at)
        self.pos += 1  # past ">"

        argument = ""
        if name == "a":
            argument = attributes.get("href", "")
        elif name == "code":
            argument = attributes.get("class", "").removeprefix("language-")
        elif name == "tg-emoji":
            argument = attributes.get("emoji-id", "")
            if not argument:
                raise EntityParseError(
                    f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {at}'
                )
        elif name == "span" and attributes.get("class") != "tg-spoiler":
            raise EntityParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {at}')
        self.stack.append(
            _OpenTag(name, argument, self.offset, expandable="expandable" in attributes)
        )

    def _attributes(self, tag: str, at: int) -> dict[str, str]:
        """Read the attributes of a start tag up to (not past) its ">"."""
        text = self.text
        attributes: dict[str, str] = {}
        while True:
            self._skip_spaces()
            if self.pos >= len(text):
                raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {at}')
            if text[self.pos] == ">":
                return attributes
            start = self.pos
            while (
                self.pos < len(text) and not text[self.pos].isspace() and text[self.pos] not in "=>"
            ):
                self.pos += 1
            attribute = text[start : self.pos].lower()
            if not attribute:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {at}'
                )
            self._skip_spaces()
            if self.pos >= len(text):
                raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {at}')
            if text[self.pos] != "=":
                if tag == "blockquote" and attribute == "expandable":
                    attributes[attribute] = ""
                    continue
                raise EntityParseError(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {at}'
                )
            self.pos += 1
            self._skip_spaces()
            if self.pos >= len(text):
                raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {at}')
            attributes[attribute] = self._attribute_value(tag, at)

    def _attribute_value(self, tag: str, at: int) -> str:
        text = self.text
        quote = text[self.pos]
        if quote not in "\"'":
            start = self.pos
            while self.pos < len(text) and (text[self.pos].isalnum() or text[self.pos] in ".-"):
                self.pos += 1
            if self.pos == start:
                raise EntityParseError(
                    "Expected quote in a declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {at}'
                )
            return text[start : self.pos]
        self.pos += 1
        value: list[str] = []
        while self.pos < len(text) and text[self.pos] != quote:
            if text[self.pos] == "&":
                value.append(self._entity_or_ampersand())
            else:
                value.append(text[self.pos])
                self.pos += 1
        if self.pos >= len(text):
            raise EntityParseError(f"Unclosed start tag at byte offset {at}")
        self.pos += 1  # past the closing quote
        return "".join(value)

    def _end_tag(self) -> None:
        text = self.text
        begin = self.pos
        at = self._byte_offset(begin)
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {at}")
        self.pos += 2
        start = self.pos
        while self.pos < len(text) and not text[self.pos].isspace() and text[self.pos] != ">":
            self.pos += 1
        end_name = text[start : self.pos].lower()
        self._skip_spaces()
        if self.pos >= len(text) or text[self.pos] != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {at}")
        self.pos += 1
        tag = self.stack[-1]
        if end_name and end_name != tag.name:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {at}, expected "</{tag.name}>", '
                f'found "</{end_name}>"'
            )
        self.stack.pop()
        self._close(tag)

    def _close(self, tag: _OpenTag) -> None:
        length = self.offset - tag.offset
        if length <= 0:
            return  # Telegram drops empty entities
        entity: JSONDict = {"type": _ENTITY_TYPES[tag.name], "offset": tag.offset, "length": length}
        if tag.name == "a":
            if not tag.argument:
                return  # a link without href is plain text
            entity["url"] = tag.argument
        elif tag.name == "tg-emoji":
            entity["custom_emoji_id"] = tag.argument
        elif tag.name == "blockquote" and tag.expandable:
            entity["type"] = "expandable_blockquote"
        elif tag.name == "code" and tag.argument:
            entity["language"] = tag.argument
        elif tag.name == "pre":
            # <pre><code class="language-x">...</code></pre> is one pre entity with a language.
            for inner in self.entities:
                if (
                    inner["type"] == "code"
                    and inner["offset"] == tag.offset
                    and inner["length"] == length
                ):
                    self.entities.remove(inner)
                    if "language" in inner:
                        entity["language"] = inner["language"]
                    break
        if entity["type"] == "code" and "language" in entity and not self._inside("pre"):
            del entity["language"]  # a language only means something inside <pre>
        self.entities.append(entity)

    def _inside(self, name: str) -> bool:
        return any(tag.name == name for tag in self.stack)


def _decode_entity(text: str, pos: int) -> tuple[str, int, bool] | None:
    """Decode the HTML entity at ``text[pos] == "&"``: character, end, and whether ";" ended it."""
    end = pos + 1
    if end < len(text) and text[end] == "#":
        end += 1
        base = 10
        digits = "0123456789"
        if end < len(text) and text[end] in "xX":
            end += 1
            base = 16
            digits = "0123456789abcdefABCDEF"
        start = end
        while end < len(text) and text[end] in digits:
            end += 1
        if end == start or end - start > 8:
            return None
        code = int(text[start:end], base)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        start = end
        while end < len(text) and text[end].isascii() and text[end].isalpha():
            end += 1
        named = _NAMED_ENTITIES.get(text[start:end])
        if named is None:
            return None
        char = named
    if end < len(text) and text[end] == ";":
        return char, end + 1, True
    return char, end, False


def parse_html(text: str, *, strict_ampersand: bool = True) -> tuple[str, list[JSONDict]]:
    """Parse Telegram-flavoured HTML into visible text and Bot API entities.

    Raises `EntityParseError` with Telegram's reason for markup Telegram refuses. Offsets and
    lengths of the entities are in UTF-16 code units, as in the Bot API.
    """
    return _HtmlParser(text, strict_ampersand=strict_ampersand).parse()


def _trim(text: str, entities: list[JSONDict]) -> tuple[str, tuple[JSONDict, ...]]:
    """Strip surrounding whitespace as Telegram does and shift the entities to match."""
    left_stripped = text.lstrip()
    lead = _utf16_length(text[: len(text) - len(left_stripped)])
    trimmed = left_stripped.rstrip()
    total = _utf16_length(trimmed)
    shifted: list[JSONDict] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            shifted.append({**entity, "offset": start, "length": end - start})
    return trimmed, tuple(shifted)


# ---------------------------------------------------------------------------------------------
# Telegram-shaped JSON for users and chats
# ---------------------------------------------------------------------------------------------


def user_json(
    user_id: int,
    first_name: str,
    *,
    username: str | None = None,
    last_name: str | None = None,
    language_code: str | None = "en",
) -> JSONDict:
    """Return a Bot API User object for a person."""
    user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
    if last_name:
        user["last_name"] = last_name
    if username:
        user["username"] = username
    if language_code:
        user["language_code"] = language_code
    return user


def private_chat_json(user: Mapping[str, Any]) -> JSONDict:
    """Return the Bot API Chat object of a private chat with this user."""
    chat: JSONDict = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    for key in ("last_name", "username"):
        if user.get(key):
            chat[key] = user[key]
    return chat


def group_chat_json(chat_id: int, title: str, *, supergroup: bool = False) -> JSONDict:
    """Return the Bot API Chat object of a group (its id must be negative)."""
    if chat_id >= 0:
        raise ValueError(f"group chat ids are negative, got {chat_id}")
    return {"id": chat_id, "type": "supergroup" if supergroup else "group", "title": title}


# ---------------------------------------------------------------------------------------------
# The fake Bot API
# ---------------------------------------------------------------------------------------------

_Handler = Callable[[Mapping[str, Any], Mapping[str, UploadedFile]], Any]


class LocalTelegram(BaseRequest):
    """Answer Bot API calls in memory, the way Telegram answers them.

    Build an Application on it with
    ``ApplicationBuilder().token(...).request(transport).get_updates_request(transport)``.
    Every call is recorded in `calls`; every message the bot sends or edits is appended to
    `outbox` as it looked right after. `incoming_message`, `incoming_callback_query` and
    `incoming_inline_query` play the user's side and return the update dict to feed the
    application (`tests/botapi_server.py` and `bot.telegram.local_chat.LocalChat` do that).

    Telegram outlives the bot: to test a restart, build the second Application on the same
    transport, so the chats and messages sent before the restart are still there to edit.

    All state changes go through `dispatch` under one lock, so the HTTP server's threads can
    share an instance with an event loop.
    """

    def __init__(
        self,
        *,
        bot_id: int = DEFAULT_BOT_ID,
        first_name: str = DEFAULT_BOT_FIRST_NAME,
        username: str = DEFAULT_BOT_USERNAME,
        strict_html: bool = True,
    ) -> None:
        """Create an empty Bot API for the bot user described by the arguments.

        ``strict_html`` refuses a bare "&" in HTML text (see `parse_html`); Telegram itself
        would show it literally.
        """
        self.bot_user: JSONDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
        }
        self.strict_html = strict_html
        self.calls: list[ApiCall] = []
        self.outbox: list[StoredMessage] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.inline_answers: dict[str, list[JSONDict]] = {}
        self.menu_buttons: dict[int | None, JSONDict] = {}

        self._lock = threading.RLock()
        self._chats: dict[int, JSONDict] = {}
        self._messages: dict[tuple[int, int], StoredMessage] = {}
        self._last_message_id: dict[int, int] = {}
        self._callback_queries: dict[str, bool] = {}  # query id -> answered
        self._inline_queries: set[str] = set()
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._files: dict[str, UploadedFile] = {}
        # Like Telegram after a quiet spell, ids start at a random point: a new run of the
        # terminal chat on an old database must not reuse ids the bot has already handled.
        self._last_update_id = secrets.randbelow(2**30) + 2**20
        self._last_query_id = 0
        self._methods: dict[str, _Handler] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "deletewebhook": self._true,
            "getwebhookinfo": self._get_webhook_info,
            "close": self._true,
            "logout": self._true,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "senddocument": self._send_document,
            "sendphoto": self._send_photo,
            "sendchataction": self._send_chat_action,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "setchatmenubutton": self._set_chat_menu_button,
            "getchatmenubutton": self._get_chat_menu_button,
            "answerinlinequery": self._answer_inline_query,
        }

    # -- BaseRequest ---------------------------------------------------------------------------

    @property
    def read_timeout(self) -> float | None:
        """Return None: answers come from memory, there is nothing to time out."""
        return None

    async def initialize(self) -> None:
        """Do nothing: there is no connection to open (PTB may call this twice)."""

    async def shutdown(self) -> None:
        """Do nothing: there is no connection to close (PTB may call this twice)."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Answer one Bot API request; the endpoint is the last part of the URL."""
        endpoint = url.rstrip("/").rsplit("/", 1)[-1]
        params: JSONDict = dict(request_data.parameters) if request_data else {}
        files = _uploaded_files(request_data) if request_data else {}
        if endpoint.lower() == "getupdates":
            # Nothing ever arrives here (updates are fed with process_update), so do what
            # Telegram does with an empty queue: hold the long poll for `timeout` seconds.
            # Answering at once would make a polling loop spin.
            await asyncio.sleep(_float(params.get("timeout"), 0.0))
        status, body = self.dispatch(endpoint, params, files)
        return status, json.dumps(body).encode("utf-8")

    # -- the bot's side ------------------------------------------------------------------------

    def dispatch(
        self,
        method: str,
        params: Mapping[str, Any],
        files: Mapping[str, UploadedFile] | None = None,
    ) -> tuple[int, JSONDict]:
        """Answer a Bot API method call: the HTTP status and the JSON body, and record it."""
        files = dict(files or {})
        handler = self._methods.get(method.lower())
        with self._lock:
            if handler is None:
                status, body = 404, _error_body(404, METHOD_NOT_FOUND)
            else:
                try:
                    result = handler(params, files)
                except _Refusal as refusal:
                    status = refusal.error_code
                    body = _error_body(refusal.error_code, refusal.description)
                else:
                    status, body = 200, {"ok": True, "result": result}
            error = None if body["ok"] else str(body["description"])
            if error:
                _LOGGER.debug("Local Bot API refused %s: %s", method, error)
            self.calls.append(ApiCall(method, dict(params), files, body.get("result"), error))
        return status, body

    def calls_to(self, method: str) -> list[ApiCall]:
        """Return the recorded calls of one method (any spelling of its case)."""
        return [call for call in self.calls if call.method.lower() == method.lower()]

    @property
    def refusals(self) -> list[ApiCall]:
        """Return every recorded call that Telegram would have refused."""
        return [call for call in self.calls if not call.ok]

    @property
    def unanswered_callback_queries(self) -> list[str]:
        """Return the ids of callback queries the bot has not answered (yet)."""
        with self._lock:
            return [query for query, answered in self._callback_queries.items() if not answered]

    def is_answered(self, query_id: str) -> bool:
        """Tell whether the bot answered this callback query."""
        return self._callback_queries.get(query_id, False)

    def commands(
        self, *, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[JSONDict]:
        """Return the command list set for this scope and language (default: all users)."""
        return list(self._commands.get(_commands_key(scope, language_code), []))

    def message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        """Return the message as it is now, or None if it never existed or was deleted."""
        return self._messages.get((chat_id, message_id))

    def chat_messages(self, chat_id: int) -> list[StoredMessage]:
        """Return the messages of a chat as they are now, oldest first (deleted ones gone)."""
        with self._lock:
            found = [msg for (chat, _), msg in self._messages.items() if chat == chat_id]
        return sorted(found, key=lambda msg: msg.message_id)

    def chat(self, chat_id: int) -> JSONDict | None:
        """Return the Chat object of a known chat."""
        return self._chats.get(chat_id)

    def message_json(self, message: StoredMessage) -> JSONDict:
        """Return the Bot API Message object for a stored message."""
        data: JSONDict = {
            "message_id": message.message_id,
            "from": message.sender,
            "chat": self._chats[message.chat_id],
            "date": message.date,
        }
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        text_key, entities_key = "text", "entities"
        if message.document is not None:
            data["document"] = self._document_json(message)
            text_key, entities_key = "caption", "caption_entities"
        elif message.photo is not None:
            data["photo"] = self._photo_json(message)
            text_key, entities_key = "caption", "caption_entities"
        if message.text is not None:
            data[text_key] = message.text
            if message.entities:
                data[entities_key] = list(message.entities)
        # Telegram echoes inline keyboards only; reply keyboards live on the user's client.
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            data["reply_markup"] = {"inline_keyboard": message.reply_markup["inline_keyboard"]}
        return data

    # -- the user's side -----------------------------------------------------------------------

    def add_chat(self, chat: Mapping[str, Any]) -> None:
        """Make a chat known, as when a user first writes to the bot or adds it to a group."""
        with self._lock:
            self._chats[int(chat["id"])] = dict(chat)

    def incoming_message(
        self, chat: Mapping[str, Any], user: Mapping[str, Any], text: str
    ) -> JSONDict:
        """Record a text message from a user and return the update Telegram would deliver."""
        with self._lock:
            self.add_chat(chat)
            chat_id = int(chat["id"])
            stored = StoredMessage(
                chat_id=chat_id,
                message_id=self._next_message_id(chat_id),
                date=_now(),
                sender=dict(user),
                text=text,
                html=text,
                entities=_command_entities(text),
            )
            self._messages[(chat_id, stored.message_id)] = stored
            return self._update("message", self.message_json(stored))

    def incoming_callback_query(
        self, chat_id: int, message_id: int, data: str, user: Mapping[str, Any]
    ) -> JSONDict:
        """Record a tap on a callback button and return the update Telegram would deliver."""
        with self._lock:
            message = self.message(chat_id, message_id)
            if message is None:
                raise LookupError(f"chat {chat_id} has no message {message_id} to tap on")
            query_id = self._next_query_id()
            self._callback_queries[query_id] = False
            query = {
                "id": query_id,
                "from": dict(user),
                "message": self.message_json(message),
                "chat_instance": _chat_instance(chat_id),
                "data": data,
            }
            return self._update("callback_query", query)

    def incoming_inline_callback_query(self, user: Mapping[str, Any], data: str) -> JSONDict:
        """Record a tap on a button of a message sent through inline mode (no chat, no message)."""
        with self._lock:
            query_id = self._next_query_id()
            self._callback_queries[query_id] = False
            query = {
                "id": query_id,
                "from": dict(user),
                "inline_message_id": f"inline-{query_id}",
                "chat_instance": "0",
                "data": data,
            }
            return self._update("callback_query", query)

    def incoming_inline_query(
        self,
        user: Mapping[str, Any],
        query: str,
        *,
        offset: str = "",
        chat_type: str | None = "sender",
    ) -> JSONDict:
        """Record an inline query ("@bot query") and return the update Telegram would deliver."""
        with self._lock:
            query_id = self._next_query_id()
            self._inline_queries.add(query_id)
            inline: JSONDict = {
                "id": query_id,
                "from": dict(user),
                "query": query,
                "offset": offset,
            }
            if chat_type:
                inline["chat_type"] = chat_type
            return self._update("inline_query", inline)

    # -- method handlers -----------------------------------------------------------------------

    def _true(self, params: Mapping[str, Any], files: Mapping[str, UploadedFile]) -> bool:
        return True

    def _get_me(self, params: Mapping[str, Any], files: Mapping[str, UploadedFile]) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _get_updates(
        self, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
    ) -> list[JSONDict]:
        return []

    def _get_webhook_info(
        self, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
    ) -> JSONDict:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}

    def _send_message(
        self, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
    ) -> JSONDict:
        chat_id = self._chat_id(params)
        raw = params.get("text")
        html = "" if raw is None else str(raw)
        text, entities = self._format(html, params.get("parse_mode"))
        _check_text(text)
        markup = _checked_markup(params.get("reply_markup"))
        stored = StoredMessage(
            chat_id=chat_id,
            message_id=self._next_message_id(chat_id),
            date=_now(),
            sender=self._bot_sender(),
            text=text,
            html=html,
            parse_mode=_parse_mode(params),
            entities=entities,
            reply_markup=markup,
        )
        return self._store_sent(stored)

    def _edit_message_text(
        self, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
    ) -> JSONDict:
        current = self._message_to_edit(params)
        if current.is_media or current.text is None:
            raise _Refusal("Bad Request: there is no text in the message to edit")
        raw = params.get("text")
        html = "" if raw is None else str(raw)
        text, entities = self._format(html, params.get("parse_mode"))
        _check_text(text)
        # Like Telegram: an edit without reply_markup removes the inline keyboard.
        markup = _checked_markup(params.get("reply_markup"))
        if (text, entities, _inline(markup)) == (
            current.text,
            current.entities,
            _inline(current.reply_markup),
        ):
            raise _Refusal(NOT_MODIFIED)
        edited = dataclasses.replace(
            current,
            text=text,
            html=html,
            parse_mode=_parse_mode(params),
            entities=entities,
            reply_markup=markup,
            edit_date=_now(),
        )
        return self._store_sent(edited)

    def _edit_message_reply_markup(
        self, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
    ) -> JSONDict:
        current = self._message_to_edit(params)
        markup = _checked_markup(params.get("reply_markup"))
        if _inline(markup) == _inline(current.reply_markup):
            raise _Refusal(NOT_MODIFIED)
        edited = dataclasses.replace(current, reply_markup=markup, edit_date=_now())
        return self._store_sent(edited)

    def _delete_message(self, params: Mapping[str, Any], files: Mapping[str, UploadedFile]) -> bool:
        chat_id = self._chat_id(params)
        message_id = _required_int(params, "message_id", "message identifier is not specified")
        if self._messages.pop((chat_id, message_id), None) is None:
            raise _Refusal("Bad Request: message to delete not found")
        return True

    def _answer_callback_query(
        self, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
    ) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if self._callback_queries.get(query_id, True):
            raise _Refusal(QUERY_EXPIRED)
        text = params.get("text")
        if text is not None and len(str(text)) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _Refusal("Bad Request: MESSAGE_TOO_LONG")
        self._callback_queries[query_id] = True
        url = params.get("url")
        self.callback_answers.append(
            CallbackAnswer(
                query_id=query_id,
                text=None if text is None else str(text),
                show_alert=bool(params.get("show_alert", False)),
                url=None if url is None else str(url),
            )
        )
        return True

    def _send_document(
        self, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
    ) -> JSONDict:
        return self._send_media("document", params, files)

    def _send_photo(self, params: Mapping[str, Any], files: Mapping[str, UploadedFile]) -> JSONDict:
        return self._send_media("photo", params, files)

    def _send_media(
        self, kind: str, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
    ) -> JSONDict:
        chat_id = self._chat_id(params)
        upload, file_id = self._media(kind, params, files)
        raw = params.get("caption")
        html = None if raw is None else str(raw)
        caption: str | None = None
        entities: tuple[JSONDict, ...] = ()
        if html is not None:
            caption, entities = self._format(html, params.get("parse_mode"))
            if len(caption) > MAX_CAPTION_LENGTH:
                raise _Refusal("Bad Request: message caption is too long")
        stored = StoredMessage(
            chat_id=chat_id,
            message_id=self._next_message_id(chat_id),
            date=_now(),
            sender=self._bot_sender(),
            text=caption or None,
            html=html,
            parse_mode=_parse_mode(params),
            entities=entities if caption else (),
            reply_markup=_checked_markup(params.get("reply_markup")),
            document=upload if kind == "document" else None,
            photo=upload if kind == "photo" else None,
            file_id=file_id,
        )
        return self._store_sent(stored)

    def _send_chat_action(
        self, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
    ) -> bool:
        self._chat_id(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _Refusal("Bad Request: wrong parameter action in request")
        return True

    def _set_my_commands(
        self, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
    ) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _Refusal("Bad Request: can't parse commands JSON object")
        if len(commands) > MAX_COMMANDS:
            raise _Refusal("Bad Request: BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not isinstance(command, dict):
                raise _Refusal("Bad Request: can't parse BotCommand")
            if not COMMAND_PATTERN.fullmatch(str(command.get("command", ""))):
                raise _Refusal("Bad Request: BOT_COMMAND_INVALID")
            description = str(command.get("description", "")).strip()
            if not 1 <= len(description) <= MAX_COMMAND_DESCRIPTION_LENGTH:
                raise _Refusal("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        key = _commands_key(params.get("scope"), params.get("language_code"))
        self._commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _get_my_commands(
        self, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
    ) -> list[JSONDict]:
        return self.commands(
            scope=params.get("scope"), language_code=params.get("language_code", "")
        )

    def _delete_my_commands(
        self, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
    ) -> bool:
        self._commands.pop(_commands_key(params.get("scope"), params.get("language_code")), None)
        return True

    def _set_chat_menu_button(
        self, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
    ) -> bool:
        chat_id = params.get("chat_id")
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in {
            "commands",
            "web_app",
            "default",
        }:
            raise _Refusal("Bad Request: can't parse menu button")
        self.menu_buttons[None if chat_id is None else int(chat_id)] = dict(button)
        return True

    def _get_chat_menu_button(
        self, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
    ) -> JSONDict:
        chat_id = params.get("chat_id")
        key = None if chat_id is None else int(chat_id)
        return self.menu_buttons.get(key) or self.menu_buttons.get(None) or {"type": "commands"}

    def _answer_inline_query(
        self, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
    ) -> bool:
        query_id = str(params.get("inline_query_id") or "")
        if query_id not in self._inline_queries or query_id in self.inline_answers:
            raise _Refusal(QUERY_EXPIRED)
        results = params.get("results")
        if not isinstance(results, list):
            raise _Refusal("Bad Request: can't parse inline query results JSON object")
        if len(results) > MAX_INLINE_RESULTS:
            raise _Refusal("Bad Request: RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            if not isinstance(result, dict) or "type" not in result:
                raise _Refusal("Bad Request: can't parse inline query result")
            result_id = str(result.get("id", ""))
            if not result_id or len(result_id.encode("utf-8")) > MAX_INLINE_RESULT_ID_BYTES:
                raise _Refusal("Bad Request: RESULT_ID_INVALID")
            if result_id in seen:
                raise _Refusal("Bad Request: RESULT_ID_DUPLICATE")
            seen.add(result_id)
            content = result.get("input_message_content")
            if isinstance(content, dict) and "message_text" in content:
                text, _ = self._format(str(content["message_text"]), content.get("parse_mode"))
                _check_text(text)
            _checked_markup(result.get("reply_markup"))
        self.inline_answers[query_id] = list(results)
        return True

    # -- helpers -------------------------------------------------------------------------------

    def _bot_sender(self) -> JSONDict:
        return dict(self.bot_user)

    def _chat_id(self, params: Mapping[str, Any]) -> int:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise _Refusal("Bad Request: chat_id is empty")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise _Refusal("Bad Request: chat not found") from None  # e.g. "@channel"
        if chat_id not in self._chats:
            raise _Refusal("Bad Request: chat not found")
        return chat_id

    def _message_to_edit(self, params: Mapping[str, Any]) -> StoredMessage:
        if params.get("inline_message_id") is not None:
            # Messages sent via inline mode live in other chats; nothing here can hold them.
            raise _Refusal("Bad Request: MESSAGE_ID_INVALID")
        chat_id = self._chat_id(params)
        message_id = _required_int(params, "message_id", "message identifier is not specified")
        current = self._messages.get((chat_id, message_id))
        if current is None:
            raise _Refusal("Bad Request: message to edit not found")
        if current.sender.get("id") != self.bot_user["id"]:
            raise _Refusal("Bad Request: message can't be edited")
        return current

    def _format(self, html: str, parse_mode: object) -> tuple[str, tuple[JSONDict, ...]]:
        """Turn text as sent into visible text and entities, refusing bad markup."""
        mode = parse_mode.lower() if isinstance(parse_mode, str) else None
        if mode == "html":
            try:
                text, entities = parse_html(html, strict_ampersand=self.strict_html)
            except EntityParseError as error:
                raise _Refusal(f"Bad Request: can't parse entities: {error}") from None
        elif mode in {None, "", "markdown", "markdownv2"}:
            # Markdown is not parsed here: the product sends HTML. Its text stays as sent.
            text, entities = html, []
        else:
            raise _Refusal("Bad Request: unsupported parse_mode")
        return _trim(text, entities)

    def _media(
        self, kind: str, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
    ) -> tuple[UploadedFile, str]:
        """Find the uploaded (or re-sent) file of a sendDocument/sendPhoto call."""
        reference = params.get(kind)
        if isinstance(reference, str) and reference.startswith("attach://"):
            upload = files.get(reference.removeprefix("attach://"))
        elif isinstance(reference, str):
            if reference in self._files:
                return self._files[reference], reference
            raise _Refusal("Bad Request: wrong file identifier/HTTP URL specified")
        else:
            upload = files.get(kind)
        if upload is None:
            raise _Refusal(f"Bad Request: there is no {kind} in the request")
        if not upload.content:
            raise _Refusal("Bad Request: file must be non-empty")
        file_id = f"{kind[:3].upper()}{hashlib.sha256(upload.content).hexdigest()[:24]}"
        self._files[file_id] = upload
        return upload, file_id

    def _document_json(self, message: StoredMessage) -> JSONDict:
        document = message.document
        assert document is not None and message.file_id is not None
        return {
            "file_id": message.file_id,
            "file_unique_id": message.file_id[-16:],
            "file_name": document.name,
            "mime_type": document.mime_type,
            "file_size": len(document.content),
        }

    def _photo_json(self, message: StoredMessage) -> list[JSONDict]:
        photo = message.photo
        assert photo is not None and message.file_id is not None
        # The image is not decoded: a single size with placeholder dimensions will do.
        return [
            {
                "file_id": message.file_id,
                "file_unique_id": message.file_id[-16:],
                "width": 1,
                "height": 1,
                "file_size": len(photo.content),
            }
        ]

    def _store_sent(self, message: StoredMessage) -> JSONDict:
        self._messages[(message.chat_id, message.message_id)] = message
        self.outbox.append(message)
        return self.message_json(message)

    def _next_message_id(self, chat_id: int) -> int:
        # Telegram numbers messages per chat, the user's and the bot's alike.
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def _next_query_id(self) -> str:
        self._last_query_id += 1
        return str(4_000_000_000_000_000_000 + self._last_query_id)

    def _update(self, kind: str, payload: JSONDict) -> JSONDict:
        self._last_update_id += 1
        return {"update_id": self._last_update_id, kind: payload}


# ---------------------------------------------------------------------------------------------
# Module helpers
# ---------------------------------------------------------------------------------------------


def _now() -> int:
    return int(time.time())


def _chat_instance(chat_id: int) -> str:
    """Return an opaque id that stays the same for every tap in one chat, like Telegram's."""
    return str(int(hashlib.sha256(str(chat_id).encode()).hexdigest()[:15], 16))


def _error_body(code: int, description: str) -> JSONDict:
    return {"ok": False, "error_code": code, "description": description}


def _float(value: object, default: float) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default


def _required_int(params: Mapping[str, Any], name: str, missing: str) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        raise _Refusal(f"Bad Request: {missing}")
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise _Refusal(f"Bad Request: invalid {name} specified") from None


def _parse_mode(params: Mapping[str, Any]) -> str | None:
    mode = params.get("parse_mode")
    return str(mode) if mode else None


def _check_text(text: str) -> None:
    if not text:
        raise _Refusal("Bad Request: message text is empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise _Refusal("Bad Request: message is too long")


def _inline(markup: JSONDict | None) -> list[list[JSONDict]] | None:
    """Return what a markup shows on a sent message: only inline keyboards stay."""
    if markup and "inline_keyboard" in markup:
        return markup["inline_keyboard"]  # type: ignore[no-any-return]
    return None


def _checked_markup(markup: object) -> JSONDict | None:
    """Validate reply markup as Telegram does and return it."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise _Refusal("Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _Refusal(
                'Bad Request: can\'t parse inline keyboard: Field "inline_keyboard" must be '
                "an Array of Arrays"
            )
        for row in rows:
            for button in row:
                _check_inline_button(button)
    elif not {"keyboard", "remove_keyboard", "force_reply"} & markup.keys():
        raise _Refusal("Bad Request: can't parse reply keyboard markup JSON object")
    return dict(markup)


def _check_inline_button(button: object) -> None:
    if not isinstance(button, dict):
        raise _Refusal(
            "Bad Request: can't parse inline keyboard button: InlineKeyboardButton must be "
            "an Object"
        )
    text = button.get("text")
    if not isinstance(text, str):
        raise _Refusal(
            'Bad Request: can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    if not text.strip():
        raise _Refusal("Bad Request: BUTTON_TEXT_INVALID")
    actions = [name for name in _BUTTON_ACTIONS if name in button]
    if not actions:
        raise _Refusal(
            "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the "
            "inline keyboard"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= (
            MAX_CALLBACK_DATA_BYTES
        ):
            raise _Refusal("Bad Request: BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not _URL.fullmatch(url):
            raise _Refusal("Bad Request: BUTTON_URL_INVALID")


def _command_entities(text: str) -> tuple[JSONDict, ...]:
    """Mark a leading bot command the way Telegram does (CommandHandler relies on it)."""
    match = _BOT_COMMAND.match(text)
    if not match:
        return ()
    return ({"type": "bot_command", "offset": 0, "length": _utf16_length(match.group())},)


def _commands_key(scope: object, language_code: object) -> tuple[str, str]:
    scope_dict = scope if isinstance(scope, dict) else {"type": "default"}
    return json.dumps(scope_dict, sort_keys=True), str(language_code or "")


def _uploaded_files(request_data: RequestData) -> dict[str, UploadedFile]:
    """Read the files of a multipart request: field name -> name, bytes, MIME type."""
    files: dict[str, UploadedFile] = {}
    for field_name, (file_name, content, mime_type) in request_data.multipart_data.items():
        if isinstance(content, bytes):
            data = content
        else:
            data = content.read()
            if content.seekable():
                content.seek(0)  # leave the caller's file handle as it was
        files[field_name] = UploadedFile(file_name, data, mime_type)
    return files
