"""What Telegram refuses: its limits, its error descriptions, and the checks that apply them.

Limits follow the Bot API documentation. Where Telegram's exact wording of an error is not
known, the description is a sensible one in Telegram's style.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from telegram.constants import ChatAction

from bot.telegram.local_transport.records import JSONDict

MAX_TEXT_LENGTH: Final = 4096
MAX_CAPTION_LENGTH: Final = 1024
MAX_CALLBACK_DATA_BYTES: Final = 64
MAX_CALLBACK_ANSWER_LENGTH: Final = 200
MAX_INLINE_RESULTS: Final = 50
MAX_INLINE_RESULT_ID_BYTES: Final = 64
MAX_COMMANDS: Final = 100
MAX_COMMAND_DESCRIPTION_LENGTH: Final = 256
COMMAND_PATTERN: Final = re.compile(r"[a-z0-9_]{1,32}")

QUERY_EXPIRED: Final = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
METHOD_NOT_FOUND: Final = "Not Found: method not found"

CHAT_ACTIONS: Final = frozenset(action.value for action in ChatAction)
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

_URL: Final = re.compile(r"(?:(?:https?|tg)://|[A-Za-z0-9-]+\.)\S+")


class Refusal(Exception):
    """A request the fake Bot API refuses; carries Telegram's status and description."""

    def __init__(self, description: str, error_code: int = 400) -> None:
        super().__init__(description)
        self.description = description
        self.error_code = error_code


def error_body(code: int, description: str) -> JSONDict:
    """Return the JSON body of a refused call."""
    return {"ok": False, "error_code": code, "description": description}


def required_int(params: Mapping[str, Any], name: str, missing: str) -> int:
    """Read a whole-number parameter, refusing it when missing or malformed."""
    raw = params.get(name)
    if raw is None or raw == "":
        raise Refusal(f"Bad Request: {missing}")
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise Refusal(f"Bad Request: invalid {name} specified") from None


def check_text(text: str) -> None:
    """Refuse an empty or oversized message text."""
    if not text:
        raise Refusal("Bad Request: message text is empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise Refusal("Bad Request: message is too long")


def inline(markup: JSONDict | None) -> list[list[JSONDict]] | None:
    """Return what a markup shows on a sent message: only inline keyboards stay."""
    if markup and "inline_keyboard" in markup:
        return markup["inline_keyboard"]  # type: ignore[no-any-return]
    return None


def checked_markup(markup: object) -> JSONDict | None:
    """Validate reply markup as Telegram does and return it."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise Refusal("Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise Refusal(
                'Bad Request: can\'t parse inline keyboard: Field "inline_keyboard" must be '
                "an Array of Arrays"
            )
        for row in rows:
            for button in row:
                check_inline_button(button)
    elif not {"keyboard", "remove_keyboard", "force_reply"} & markup.keys():
        raise Refusal("Bad Request: can't parse reply keyboard markup JSON object")
    return dict(markup)


def check_inline_button(button: object) -> None:
    """Refuse an inline keyboard button Telegram would not accept."""
    if not isinstance(button, dict):
        raise Refusal(
            "Bad Request: can't parse inline keyboard button: InlineKeyboardButton must be "
            "an Object"
        )
    text = button.get("text")
    if not isinstance(text, str):
        raise Refusal(
            'Bad Request: can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    if not text.strip():
        raise Refusal("Bad Request: BUTTON_TEXT_INVALID")
    actions = [name for name in _BUTTON_ACTIONS if name in button]
    if not actions:
        raise Refusal(
            "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the "
            "inline keyboard"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= (
            MAX_CALLBACK_DATA_BYTES
        ):
            raise Refusal("Bad Request: BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not _URL.fullmatch(url):
            raise Refusal("Bad Request: BUTTON_URL_INVALID")
