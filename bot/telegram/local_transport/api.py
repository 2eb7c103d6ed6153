"""The Bot API stand-in: `LocalTelegram` answers every call in memory, as Telegram would."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, Final

from telegram.request import BaseRequest, RequestData

from bot.telegram.local_transport.entities import EntityParseError, parse_html, trim
from bot.telegram.local_transport.records import (
    ApiCall,
    CallbackAnswer,
    JSONDict,
    StoredMessage,
    UploadedFile,
)
from bot.telegram.local_transport.refusals import (
    CHAT_ACTIONS,
    COMMAND_PATTERN,
    MAX_CALLBACK_ANSWER_LENGTH,
    MAX_CAPTION_LENGTH,
    MAX_COMMAND_DESCRIPTION_LENGTH,
    MAX_COMMANDS,
    MAX_INLINE_RESULT_ID_BYTES,
    MAX_INLINE_RESULTS,
    METHOD_NOT_FOUND,
    NOT_MODIFIED,
    QUERY_EXPIRED,
    Refusal,
    check_text,
    checked_markup,
    error_body,
    inline,
    required_int,
)
from bot.telegram.local_transport.updates import (
    callback_query_json,
    command_entities,
    inline_callback_query_json,
    inline_query_json,
    update_json,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_BOT_ID: Final = 777000001
DEFAULT_BOT_FIRST_NAME: Final = "Workforce Guide"
DEFAULT_BOT_USERNAME: Final = "workforce_guide_bot"
# Without history, this many of the bot's newest messages are kept per chat: enough for the
# person to tap the newest keyboard and for the bot to edit or tidy the last few messages.
RECENT_PER_CHAT: Final = 3
MAX_UPDATES_PER_BATCH: Final = 100  # getUpdates' own ceiling on `limit`
_QUERY_ID_BASE: Final = 4_000_000_000_000_000_000

_Handler = Callable[[Mapping[str, Any], Mapping[str, UploadedFile]], Any]


class LocalTelegram(BaseRequest):
    """Answer Bot API calls in memory, the way Telegram answers them.

    Build an Application on it with
    ``ApplicationBuilder().token(...).request(transport).get_updates_request(transport)``.
    Every call is recorded in `calls`; every message the bot sends or edits is appended to
    `outbox` as it looked right after. `incoming_message`, `incoming_callback_query` and
    `incoming_inline_query` play the user's side and return the update dict to feed the
    application (`tests/botapi_server.py` and `bot.telegram.local_chat.LocalChat` do that), or
    to hand over with `queue_update` for the bot's next getUpdates.

    With ``keep_history=False`` (the load benchmark) nothing accumulates: no `calls`, `outbox`,
    `callback_answers` or `inline_answers`, no uploaded files, and per chat only the bot's
    newest `RECENT_PER_CHAT` messages (as Bot API JSON). It answers exactly as with history,
    except that an edit of an older message is refused as not found. `call_counts`,
    `refusal_counts` and `last_answer_at` are kept either way.

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
        keep_history: bool = True,
    ) -> None:
        """Create an empty Bot API for the bot user described by the arguments.

        ``strict_html`` refuses a bare "&" in HTML text (see `parse_html`); Telegram itself
        would show it literally. ``keep_history=False`` keeps only what answering needs.
        """
        self.bot_user: JSONDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
        }
        self.strict_html = strict_html
        self.keep_history = keep_history
        self.calls: list[ApiCall] = []
        self.outbox: list[StoredMessage] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.inline_answers: dict[str, list[JSONDict]] = {}
        self.menu_buttons: dict[int | None, JSONDict] = {}
        self.call_counts: Counter[str] = Counter()
        """Calls answered, by method as the bot spelled it (getUpdates included)."""
        self.refusal_counts: Counter[str] = Counter()
        """Calls refused, by method."""
        self.last_answer_at = 0.0
        """`time.perf_counter()` when the last call other than getUpdates was answered."""

        self._lock = threading.RLock()
        self._chats: dict[int, JSONDict] = {}
        self._messages: dict[tuple[int, int], StoredMessage] = {}
        self._recent: dict[int, dict[int, bytes]] = {}  # without history: chat -> id -> JSON
        self._last_message_id: dict[int, int] = {}
        self._callback_queries: dict[str, bool] = {}  # query id -> answered
        self._inline_queries: set[str] = set()
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._files: dict[str, UploadedFile] = {}
        self._pending: list[JSONDict] = []  # updates handed over for getUpdates
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
        if endpoint.lower() == "getupdates" and not self._pending:
            # With nothing handed over, do what Telegram does with an empty queue: hold the
            # long poll for `timeout` seconds. Answering at once would make a polling loop spin.
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
                status, body = 404, error_body(404, METHOD_NOT_FOUND)
            else:
                try:
                    result = handler(params, files)
                except Refusal as refusal:
                    status = refusal.error_code
                    body = error_body(refusal.error_code, refusal.description)
                else:
                    status, body = 200, {"ok": True, "result": result}
            error = None if body["ok"] else str(body["description"])
            self.call_counts[method] += 1
            if error:
                self.refusal_counts[method] += 1
                _LOGGER.debug("Local Bot API refused %s: %s", method, error)
            if self.keep_history:
                self.calls.append(ApiCall(method, dict(params), files, body.get("result"), error))
            if method.lower() != "getupdates":
                self.last_answer_at = time.perf_counter()
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
        if self.keep_history:
            return self._callback_queries.get(query_id, False)
        # Without history only unanswered queries are kept; ids are handed out in order.
        issued = query_id.isdigit() and 0 < int(query_id) - _QUERY_ID_BASE <= self._last_query_id
        return issued and query_id not in self._callback_queries

    def commands(
        self, *, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[JSONDict]:
        """Return the command list set for this scope and language (default: all users)."""
        return list(self._commands.get(_commands_key(scope, language_code), []))

    def message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        """Return the message as it is now, or None if it never existed or was deleted."""
        if self.keep_history:
            return self._messages.get((chat_id, message_id))
        kept = self._recent.get(chat_id, {}).get(message_id)
        return None if kept is None else _stored_from_json(json.loads(kept))

    def chat_messages(self, chat_id: int) -> list[StoredMessage]:
        """Return the messages of a chat as they are now, oldest first (deleted ones gone)."""
        with self._lock:
            if self.keep_history:
                found = [msg for (chat, _), msg in self._messages.items() if chat == chat_id]
            else:
                kept = self._recent.get(chat_id, {}).values()
                found = [_stored_from_json(json.loads(data)) for data in kept]
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

    def queue_update(self, update: Mapping[str, Any]) -> None:
        """Hand an update over to be delivered by the bot's next getUpdates, as Telegram does.

        An update recorded elsewhere (a replay) makes its chat and its query known here, so
        the bot can answer it exactly as it could answer one built by `incoming_*`.
        """
        with self._lock:
            query = update.get("callback_query")
            message = update.get("message") or (query or {}).get("message")
            if isinstance(message, dict) and int(message["chat"]["id"]) not in self._chats:
                self.add_chat(message["chat"])
            if isinstance(query, dict):
                self._callback_queries.setdefault(str(query["id"]), False)
            inline_query = update.get("inline_query")
            if isinstance(inline_query, dict):
                self._inline_queries.add(str(inline_query["id"]))
            self._pending.append(dict(update))

    @property
    def pending_updates(self) -> int:
        """Return how many handed-over updates getUpdates has not confirmed yet."""
        return len(self._pending)

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
                entities=command_entities(text),
            )
            if self.keep_history:
                # Without history there is no need: the bot can never edit a person's message.
                self._messages[(chat_id, stored.message_id)] = stored
            return self._update("message", self.message_json(stored))

    def incoming_callback_query(
        self, chat_id: int, message_id: int, data: str, user: Mapping[str, Any]
    ) -> JSONDict:
        """Record a tap on a callback button and return the update Telegram would deliver."""
        with self._lock:
            if self.keep_history:
                message = self._messages.get((chat_id, message_id))
                shown = None if message is None else self.message_json(message)
            else:
                kept = self._recent.get(chat_id, {}).get(message_id)
                shown = None if kept is None else json.loads(kept)
            if shown is None:
                raise LookupError(f"chat {chat_id} has no message {message_id} to tap on")
            query_id = self._next_query_id()
            self._callback_queries[query_id] = False
            return self._update("callback_query", callback_query_json(query_id, user, shown, data))

    def incoming_inline_callback_query(self, user: Mapping[str, Any], data: str) -> JSONDict:
        """Record a tap on a button of a message sent through inline mode (no chat, no message)."""
        with self._lock:
            query_id = self._next_query_id()
            self._callback_queries[query_id] = False
            return self._update("callback_query", inline_callback_query_json(query_id, user, data))

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
            inline_query = inline_query_json(
                query_id, user, query, offset=offset, chat_type=chat_type
            )
            return self._update("inline_query", inline_query)

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
        # Like Telegram: asking from `offset` confirms (and forgets) every update before it.
        offset = params.get("offset")
        if offset is not None:
            self._pending = [u for u in self._pending if u["update_id"] >= int(offset)]
        limit = int(params.get("limit") or MAX_UPDATES_PER_BATCH)
        return self._pending[: max(1, min(limit, MAX_UPDATES_PER_BATCH))]

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
        check_text(text)
        markup = checked_markup(params.get("reply_markup"))
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
            raise Refusal("Bad Request: there is no text in the message to edit")
        raw = params.get("text")
        html = "" if raw is None else str(raw)
        text, entities = self._format(html, params.get("parse_mode"))
        check_text(text)
        # Like Telegram: an edit without reply_markup removes the inline keyboard.
        markup = checked_markup(params.get("reply_markup"))
        if (text, entities, inline(markup)) == (
            current.text,
            current.entities,
            inline(current.reply_markup),
        ):
            raise Refusal(NOT_MODIFIED)
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
        markup = checked_markup(params.get("reply_markup"))
        if inline(markup) == inline(current.reply_markup):
            raise Refusal(NOT_MODIFIED)
        edited = dataclasses.replace(current, reply_markup=markup, edit_date=_now())
        return self._store_sent(edited)

    def _delete_message(self, params: Mapping[str, Any], files: Mapping[str, UploadedFile]) -> bool:
        chat_id = self._chat_id(params)
        message_id = required_int(params, "message_id", "message identifier is not specified")
        if self._forget_message(chat_id, message_id) is None:
            raise Refusal("Bad Request: message to delete not found")
        return True

    def _answer_callback_query(
        self, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
    ) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if self._callback_queries.get(query_id, True):
            raise Refusal(QUERY_EXPIRED)
        text = params.get("text")
        if text is not None and len(str(text)) > MAX_CALLBACK_ANSWER_LENGTH:
            raise Refusal("Bad Request: MESSAGE_TOO_LONG")
        if not self.keep_history:
            # Only unanswered queries are kept: an answered one is told apart by its number.
            del self._callback_queries[query_id]
            return True
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
                raise Refusal("Bad Request: message caption is too long")
        stored = StoredMessage(
            chat_id=chat_id,
            message_id=self._next_message_id(chat_id),
            date=_now(),
            sender=self._bot_sender(),
            text=caption or None,
            html=html,
            parse_mode=_parse_mode(params),
            entities=entities if caption else (),
            reply_markup=checked_markup(params.get("reply_markup")),
            document=upload if kind == "document" else None,
            photo=upload if kind == "photo" else None,
            file_id=file_id,
        )
        return self._store_sent(stored)

    def _send_chat_action(
        self, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
    ) -> bool:
        self._chat_id(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise Refusal("Bad Request: wrong parameter action in request")
        return True

    def _set_my_commands(
        self, params: Mapping[str, Any], files: Mapping[str, UploadedFile]
    ) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise Refusal("Bad Request: can't parse commands JSON object")
        if len(commands) > MAX_COMMANDS:
            raise Refusal("Bad Request: BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not isinstance(command, dict):
                raise Refusal("Bad Request: can't parse BotCommand")
            if not COMMAND_PATTERN.fullmatch(str(command.get("command", ""))):
                raise Refusal("Bad Request: BOT_COMMAND_INVALID")
            description = str(command.get("description", "")).strip()
            if not 1 <= len(description) <= MAX_COMMAND_DESCRIPTION_LENGTH:
                raise Refusal("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
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
            raise Refusal("Bad Request: can't parse menu button")
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
            raise Refusal(QUERY_EXPIRED)
        results = params.get("results")
        if not isinstance(results, list):
            raise Refusal("Bad Request: can't parse inline query results JSON object")
        if len(results) > MAX_INLINE_RESULTS:
            raise Refusal("Bad Request: RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            if not isinstance(result, dict) or "type" not in result:
                raise Refusal("Bad Request: can't parse inline query result")
            result_id = str(result.get("id", ""))
            if not result_id or len(result_id.encode("utf-8")) > MAX_INLINE_RESULT_ID_BYTES:
                raise Refusal("Bad Request: RESULT_ID_INVALID")
            if result_id in seen:
                raise Refusal("Bad Request: RESULT_ID_DUPLICATE")
            seen.add(result_id)
            content = result.get("input_message_content")
            if isinstance(content, dict) and "message_text" in content:
                text, _ = self._format(str(content["message_text"]), content.get("parse_mode"))
                check_text(text)
            checked_markup(result.get("reply_markup"))
        if self.keep_history:
            self.inline_answers[query_id] = list(results)
        else:
            self._inline_queries.discard(query_id)
        return True

    # -- helpers -------------------------------------------------------------------------------

    def _bot_sender(self) -> JSONDict:
        return dict(self.bot_user)

    def _chat_id(self, params: Mapping[str, Any]) -> int:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise Refusal("Bad Request: chat_id is empty")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise Refusal("Bad Request: chat not found") from None  # e.g. "@channel"
        if chat_id not in self._chats:
            raise Refusal("Bad Request: chat not found")
        return chat_id

    def _message_to_edit(self, params: Mapping[str, Any]) -> StoredMessage:
        if params.get("inline_message_id") is not None:
            # Messages sent via inline mode live in other chats; nothing here can hold them.
            raise Refusal("Bad Request: MESSAGE_ID_INVALID")
        chat_id = self._chat_id(params)
        message_id = required_int(params, "message_id", "message identifier is not specified")
        current = self.message(chat_id, message_id)
        if current is None:
            raise Refusal("Bad Request: message to edit not found")
        if current.sender.get("id") != self.bot_user["id"]:
            raise Refusal("Bad Request: message can't be edited")
        return current

    def _format(self, html: str, parse_mode: object) -> tuple[str, tuple[JSONDict, ...]]:
        """Turn text as sent into visible text and entities, refusing bad markup."""
        mode = parse_mode.lower() if isinstance(parse_mode, str) else None
        if mode == "html":
            try:
                text, entities = parse_html(html, strict_ampersand=self.strict_html)
            except EntityParseError as error:
                raise Refusal(f"Bad Request: can't parse entities: {error}") from None
        elif mode in {None, "", "markdown", "markdownv2"}:
            # Markdown is not parsed here: the product sends HTML. Its text stays as sent.
            text, entities = html, []
        else:
            raise Refusal("Bad Request: unsupported parse_mode")
        return trim(text, entities)

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
            raise Refusal("Bad Request: wrong file identifier/HTTP URL specified")
        else:
            upload = files.get(kind)
        if upload is None:
            raise Refusal(f"Bad Request: there is no {kind} in the request")
        if not upload.content:
            raise Refusal("Bad Request: file must be non-empty")
        file_id = f"{kind[:3].upper()}{hashlib.sha256(upload.content).hexdigest()[:24]}"
        if self.keep_history:
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
        data = self.message_json(message)
        if self.keep_history:
            self._messages[(message.chat_id, message.message_id)] = message
            self.outbox.append(message)
        else:
            self._keep_recent(message.chat_id, message.message_id, data)
        return data

    def _next_message_id(self, chat_id: int) -> int:
        # Telegram numbers messages per chat, the user's and the bot's alike.
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def _next_query_id(self) -> str:
        self._last_query_id += 1
        return str(_QUERY_ID_BASE + self._last_query_id)

    def _update(self, kind: str, payload: JSONDict) -> JSONDict:
        self._last_update_id += 1
        return update_json(self._last_update_id, kind, payload)

    def _keep_recent(self, chat_id: int, message_id: int, data: JSONDict) -> None:
        """Keep a message the bot sent or edited among its newest in the chat (no history)."""
        recent = self._recent.setdefault(chat_id, {})
        recent.pop(message_id, None)  # an edited message counts as new again
        recent[message_id] = json.dumps(data, ensure_ascii=False).encode("utf-8")
        while len(recent) > RECENT_PER_CHAT:
            del recent[next(iter(recent))]

    def _forget_message(self, chat_id: int, message_id: int) -> object | None:
        """Delete a message; return what was kept of it, or None if nothing was."""
        if self.keep_history:
            return self._messages.pop((chat_id, message_id), None)
        return self._recent.get(chat_id, {}).pop(message_id, None)


def _now() -> int:
    return int(time.time())


def _float(value: object, default: float) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default


def _parse_mode(params: Mapping[str, Any]) -> str | None:
    mode = params.get("parse_mode")
    return str(mode) if mode else None


def _commands_key(scope: object, language_code: object) -> tuple[str, str]:
    scope_dict = scope if isinstance(scope, dict) else {"type": "default"}
    return json.dumps(scope_dict, sort_keys=True), str(language_code or "")


def _stored_from_json(data: JSONDict) -> StoredMessage:
    """Rebuild a message from its Bot API JSON (without history; the markup as sent is gone)."""
    document = data.get("document")
    photos = data.get("photo")
    media = document is not None or photos is not None
    upload: UploadedFile | None = None
    file_id: str | None = None
    if document is not None:
        # The bytes are not kept: only that there was a file, and what it was called.
        upload = UploadedFile(str(document.get("file_name", "")), b"", str(document["mime_type"]))
        file_id = str(document["file_id"])
    elif photos:
        upload = UploadedFile("photo", b"", "image/jpeg")
        file_id = str(photos[-1]["file_id"])
    text = data.get("caption" if media else "text")
    entities = data.get("caption_entities" if media else "entities") or ()
    return StoredMessage(
        chat_id=int(data["chat"]["id"]),
        message_id=int(data["message_id"]),
        date=int(data["date"]),
        sender=data["from"],
        text=text,
        html=text,
        entities=tuple(entities),
        reply_markup=data.get("reply_markup"),
        document=upload if document is not None else None,
        photo=upload if photos is not None else None,
        file_id=file_id,
        edit_date=data.get("edit_date"),
    )


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
