"""The user's side: Bot API objects for people and chats, and the updates they would send.

These are pure builders of Telegram-shaped JSON. `LocalTelegram.incoming_*` uses them against
its record of chats and messages, so a tap carries the message as the bot last left it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any, Final

from bot.telegram.local_transport.entities import utf16_length
from bot.telegram.local_transport.records import JSONDict

_BOT_COMMAND: Final = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{1,32})?(?![A-Za-z0-9_])")


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


def command_entities(text: str) -> tuple[JSONDict, ...]:
    """Mark a leading bot command the way Telegram does (CommandHandler relies on it)."""
    match = _BOT_COMMAND.match(text)
    if not match:
        return ()
    return ({"type": "bot_command", "offset": 0, "length": utf16_length(match.group())},)


def chat_instance(chat_id: int) -> str:
    """Return an opaque id that stays the same for every tap in one chat, like Telegram's."""
    return str(int(hashlib.sha256(str(chat_id).encode()).hexdigest()[:15], 16))


def update_json(update_id: int, kind: str, payload: JSONDict) -> JSONDict:
    """Return an Update object carrying one payload (``kind`` is e.g. ``"message"``)."""
    return {"update_id": update_id, kind: payload}


def callback_query_json(
    query_id: str, user: Mapping[str, Any], message: JSONDict, data: str
) -> JSONDict:
    """Return the CallbackQuery of a tap on a button of ``message`` (a Message object)."""
    return {
        "id": query_id,
        "from": dict(user),
        "message": message,
        "chat_instance": chat_instance(int(message["chat"]["id"])),
        "data": data,
    }


def inline_callback_query_json(query_id: str, user: Mapping[str, Any], data: str) -> JSONDict:
    """Return the CallbackQuery of a tap on a message sent through inline mode (no chat)."""
    return {
        "id": query_id,
        "from": dict(user),
        "inline_message_id": f"inline-{query_id}",
        "chat_instance": "0",
        "data": data,
    }


def inline_query_json(
    query_id: str, user: Mapping[str, Any], query: str, *, offset: str, chat_type: str | None
) -> JSONDict:
    """Return the InlineQuery of someone typing "@bot query"."""
    inline: JSONDict = {"id": query_id, "from": dict(user), "query": query, "offset": offset}
    if chat_type:
        inline["chat_type"] = chat_type
    return inline
