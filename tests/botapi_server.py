"""A small Bot API–compatible HTTP server on 127.0.0.1, for end-to-end tests over real HTTP.

The bot under test long-polls it exactly as it polls api.telegram.org: point the bot's base URL
at `FakeBotApi.start()`'s answer. The test plays the users (`user_sends`, `user_taps`, each with
an optional ``user_id``) and reads the bot's answers (`wait_for_reply`, optionally in one
``chat_id``; `uploads` for the bytes of files it sent). Methods are answered by the same
`LocalTelegram` core the offline tests use, so replies are shaped, and refused, as Telegram
would; this module only adds HTTP, the token check and the getUpdates queue. Standard library
only.

    server = FakeBotApi(token)
    base_url = server.start()          # "http://127.0.0.1:PORT/bot"
    server.user_sends("/start")
    menu = server.wait_for_reply(has_buttons)
    server.user_taps("Self-evaluation")
    server.user_sends("/start", user_id=2002, first_name="Ann")  # a second person
    server.wait_for_reply(has_buttons, chat_id=2002)  # only what Ann sees
    server.stop()

getUpdates behaves as Telegram's does across a crash: an update stays queued, and is delivered
again to every getUpdates, until one asks for a higher ``offset``. For kill tests, `hold` stops
the next matching request in the server (before or after it takes effect) until the test has
killed the bot, and `drop_waiting_polls` ends the long polls of a bot that was killed.
setWebhook and deleteWebhook calls are recorded in `webhook_calls` (for `run --webhook`, whose
test posts the updates to the bot itself, as Telegram does).
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bot.telegram.local_transport import (
    ApiCall,
    LocalTelegram,
    StoredMessage,
    UploadedFile,
    private_chat_json,
    user_json,
)

__all__ = [
    "DEFAULT_USER_ID",
    "FakeBotApi",
    "Faults",
    "Hold",
    "NoReply",
    "button_labels",
    "error_answer",
]

DEFAULT_USER_ID = 1001
DEFAULT_FIRST_NAME = "Alex"
MAX_LONG_POLL_SECONDS = 50.0
MAX_HOLD_SECONDS = 60.0  # a hold nobody releases lets its request go (dropped) after this

_PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)/?$")
# PTB sends string parameters as they are and everything else JSON-encoded; these parameters are
# strings, so a text like "123" must not be decoded into a number.
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_query_id",
        "inline_message_id",
        "action",
        "language_code",
        "next_offset",
        "url",
        "document",
        "photo",
        "business_connection_id",
        "message_effect_id",
        "secret_token",
    }
)

Message = dict[str, Any]


class NoReply(AssertionError):
    """The bot did not reply in time."""


class _Dropped(Exception):
    """The request is dropped unanswered: as if it never reached Telegram."""


@dataclass
class Faults:
    """Seeded faults on a share of Bot API calls, as Telegram has on a bad day.

    Each call is hit with probability ``rate`` by one of ``kinds``: "429" (Too Many Requests
    with ``retry_after``), "500" and "502" (server errors), "slow" (answered after a pause
    shorter than a client's read timeout) and "drop" (the connection closes unanswered: before
    the call takes effect, or after it, so only its answer is lost). `injected` counts them.
    """

    rate: float
    seed: int = 0
    poll_rate: float | None = None  # for getUpdates, if not ``rate``
    kinds: tuple[str, ...] = ("429", "500", "502", "slow", "drop")
    retry_after: int = 1
    slow: tuple[float, float] = (0.2, 0.8)
    injected: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def pick(self, method: str) -> tuple[str, bool] | None:
        """Choose this call's fault, if any, and whether it strikes after the call took effect."""
        polling = method.lower() == "getupdates"
        rate = self.poll_rate if polling and self.poll_rate is not None else self.rate
        with self._lock:
            if self._rng.random() >= rate:
                return None
            kind = self._rng.choice(self.kinds)
            after = kind == "drop" and not polling and self._rng.random() < 0.5
            self.injected[f"{kind}{' after' if after else ''}"] += 1
            return kind, after


class Hold:
    """One request stopped in the server until `release` (see `FakeBotApi.hold`)."""

    def __init__(
        self, method: str, *, after: bool, when: Callable[[Mapping[str, Any]], bool] | None
    ) -> None:
        self.method = method
        self.after = after
        self.when = when
        self.reached = threading.Event()  # set when a request is held
        self.params: dict[str, Any] = {}  # the held request's parameters
        self.claimed = False  # a request matched it (it holds only one)
        self._released = threading.Event()
        self._proceed = False

    def release(self, *, proceed: bool = False) -> None:
        """Let the held request go on (``proceed``) or drop it unanswered (the default).

        Dropped before it takes effect, the request never happened (a getUpdates confirms
        nothing); dropped after, it took effect but its answer never reaches the bot.
        """
        self._proceed = proceed
        self._released.set()

    def matches(self, method: str, params: Mapping[str, Any], *, after: bool) -> bool:
        """Tell whether this hold is for this request at this moment."""
        if after != self.after or method.lower() != self.method.lower():
            return False
        return self.when is None or self.when(params)

    def _block(self, params: Mapping[str, Any]) -> bool:
        """Hold the calling request thread until released; tell whether to go on."""
        self.params = dict(params)
        self.reached.set()
        released = self._released.wait(MAX_HOLD_SECONDS)
        return released and self._proceed


def error_answer(status: int, *, retry_after: int = 1) -> tuple[int, dict[str, Any]]:
    """Return Telegram's answer to a call it refuses with this status (429, 403, 5xx)."""
    body: dict[str, Any] = {"ok": False, "error_code": status}
    if status == 429:
        body["description"] = f"Too Many Requests: retry after {retry_after}"
        body["parameters"] = {"retry_after": retry_after}
    elif status == 403:
        body["description"] = "Forbidden: bot was blocked by the user"
    else:
        body["description"] = HTTPStatus(status).phrase
    return status, body


def button_labels(message: Mapping[str, Any]) -> list[str]:
    """Return the inline button labels of a Bot API Message dict, row after row."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button.get("text", "") for row in rows for button in row]


class FakeBotApi:
    """Serve the Bot API for one bot token on 127.0.0.1 and play its users."""

    def __init__(self, token: str, *, strict_html: bool = True) -> None:
        """Prepare a server for this token (the bot's id is the token's number)."""
        self._token = token
        bot_id, _, _ = token.partition(":")
        self.telegram = LocalTelegram(
            bot_id=int(bot_id) if bot_id.isdigit() else 777000001, strict_html=strict_html
        )
        self._changed = threading.Condition()
        self._updates: list[Message] = []
        self._seen = 0  # how much of telegram.outbox wait_for_reply has handed out
        # The same, per chat for wait_for_reply(chat_id=...): waiting in one person's chat
        # must not hand out (and so lose) what the bot sent meanwhile to someone else.
        self._seen_in_chat: dict[int, int] = {}
        self._stopping = False
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._holds: list[Hold] = []
        self._poll_generation = 0  # drop_waiting_polls ends the long polls of older ones
        self.webhook_calls: list[dict[str, Any]] = []  # setWebhook / deleteWebhook, in order
        # What getUpdates did, for kill tests: how often each update was handed out, how many
        # non-empty batches went out, how many getUpdates arrived and how many wait right now.
        self.deliveries: dict[int, int] = {}
        self.batches_delivered = 0
        self.polls = 0
        self.waiting_polls = 0
        self.last_activity = time.monotonic()  # the last call or non-empty batch (not a poll)
        self.faults: Faults | None = None  # set to make a share of calls fail (see Faults)
        self.blocked: set[int] = set()  # users who blocked the bot: sends to them get 403

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> str:
        """Start serving on a free port of 127.0.0.1 and return the base URL for the bot."""
        if self._httpd is not None:
            raise RuntimeError("the server is already running")
        self._stopping = False
        self._httpd = _Server(("127.0.0.1", 0), _Handler, self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-bot-api",
            daemon=True,
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        """Release pending long polls, stop serving and close the socket."""
        with self._changed:
            self._stopping = True
            holds, self._holds = self._holds, []
            self._changed.notify_all()
        for hold in holds:
            hold.release()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()  # joins the request threads
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeBotApi:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """Return the base URL the bot appends its token to, e.g. "http://127.0.0.1:PORT/bot"."""
        if self._httpd is None:
            raise RuntimeError("the server is not running: call start() first")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/bot"

    # -- the user's side -----------------------------------------------------------------------

    def user_sends(
        self, text: str, *, user_id: int = DEFAULT_USER_ID, first_name: str = DEFAULT_FIRST_NAME
    ) -> Message:
        """Queue a text message from a user in their private chat; return the update."""
        user = user_json(user_id, first_name)
        update = self.telegram.incoming_message(private_chat_json(user), user, text)
        self._queue(update)
        return update

    def user_taps(
        self,
        label: str,
        *,
        user_id: int = DEFAULT_USER_ID,
        first_name: str = DEFAULT_FIRST_NAME,
        message_id: int | None = None,
    ) -> Message:
        """Queue a tap on the newest bot message with a callback button so labelled.

        With ``message_id``, the tap is on that message's button (as a person taps the
        message in front of them), and fails if it has no such button.
        """
        user = user_json(user_id, first_name)
        bot_id = self.telegram.bot_user["id"]
        messages = [
            message
            for message in self.telegram.chat_messages(user_id)
            if message.sender.get("id") == bot_id
            and (message_id is None or message.message_id == message_id)
        ]
        for message in reversed(messages):
            button = message.find_button(label)
            if button is not None and "callback_data" in button:
                update = self.telegram.incoming_callback_query(
                    user_id, message.message_id, str(button["callback_data"]), user
                )
                self._queue(update)
                return update
        shown = "\n".join(
            f"  #{message.message_id}: {message.buttons}" for message in messages[-3:]
        )
        raise AssertionError(
            f"No bot message in chat {user_id} has a callback button {label!r}. "
            f"Buttons on the last messages:\n{shown or '  (none)'}"
        )

    # -- reading the bot's side ----------------------------------------------------------------

    def wait_for_reply(
        self,
        predicate: Callable[[Message], bool] | None = None,
        timeout: float = 10.0,
        *,
        chat_id: int | None = None,
    ) -> Message:
        """Return the next message the bot sends or edits (that matches ``predicate``).

        Messages are handed out once, in order; those that do not match are skipped. The
        answer is a Bot API Message dict (edits carry ``edit_date``). Raises `NoReply`.
        With ``chat_id``, only that chat's messages are looked at, with a cursor of its own
        (separate from the one over all chats), so other chats' messages stay unread there.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                outbox = self.telegram.outbox
                seen = self._seen if chat_id is None else self._seen_in_chat.get(chat_id, 0)
                found: Message | None = None
                while found is None and seen < len(outbox):
                    stored = outbox[seen]
                    seen += 1
                    if chat_id is not None and stored.chat_id != chat_id:
                        continue
                    message = self.telegram.message_json(stored)
                    if predicate is None or predicate(message):
                        found = message
                if chat_id is None:
                    self._seen = seen
                else:
                    self._seen_in_chat[chat_id] = seen
                if found is not None:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise NoReply(self._no_reply_report(timeout, chat_id))
                self._changed.wait(remaining)

    def wait_until(self, condition: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Wait until ``condition()`` holds after some Bot API call; return its last value."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return condition()
                self._changed.wait(remaining)
            return True

    @property
    def calls(self) -> list[ApiCall]:
        """Return the Bot API calls the bot made so far (getUpdates left out)."""
        return list(self.telegram.calls)

    @property
    def messages(self) -> list[StoredMessage]:
        """Return every message the bot sent or edited, as it looked each time."""
        return list(self.telegram.outbox)

    def uploads(self, method: str, *, chat_id: int | None = None) -> list[UploadedFile]:
        """Return the files the bot uploaded with ``method`` (e.g. "sendPhoto"), oldest first.

        Message dicts carry only a file_id, as Telegram's do; this gives the bytes behind them.
        Refused calls are left out; ``chat_id`` keeps one chat's uploads.
        """
        return [
            call.file
            for call in self.telegram.calls_to(method)
            if call.ok
            and call.file is not None
            and (chat_id is None or str(call.params.get("chat_id")) == str(chat_id))
        ]

    # -- crashes: holding requests, what Telegram still keeps ----------------------------------

    def hold(
        self,
        method: str,
        *,
        after: bool = False,
        when: Callable[[Mapping[str, Any]], bool] | None = None,
    ) -> Hold:
        """Stop the next ``method`` request (``when`` its parameters say so) until released.

        The request is held before it takes effect, or with ``after`` once it has (a message
        sent, a batch of updates picked) but before the bot gets the answer. Wait for
        ``hold.reached``, kill the bot, then `Hold.release` it. A hold is used once.
        """
        hold = Hold(method, after=after, when=when)
        with self._changed:
            self._holds.append(hold)
        return hold

    def cancel_holds(self) -> None:
        """Drop every hold not reached yet, and release (dropping) the ones that were."""
        with self._changed:
            holds, self._holds = self._holds, []
        for hold in holds:
            hold.release()

    def drop_waiting_polls(self) -> None:
        """End, unanswered, every getUpdates waiting now (those of a bot that was killed)."""
        with self._changed:
            self._poll_generation += 1
            self._changed.notify_all()

    @property
    def unconfirmed(self) -> list[int]:
        """Return the ids of the updates queued and not confirmed yet, oldest first."""
        with self._changed:
            return [update["update_id"] for update in self._updates]

    def would_confirm(self, params: Mapping[str, Any]) -> bool:
        """Tell whether a getUpdates with these parameters confirms a queued update."""
        offset = int(params.get("offset") or 0)
        with self._changed:
            return bool(offset) and any(u["update_id"] < offset for u in self._updates)

    def _claim_hold(self, method: str, params: Mapping[str, Any], *, after: bool) -> Hold | None:
        with self._changed:
            for hold in self._holds:
                if not hold.claimed and hold.matches(method, params, after=after):
                    hold.claimed = True  # stays listed, so cancel_holds can still release it
                    return hold
        return None

    def _held(self, method: str, params: Mapping[str, Any], *, after: bool) -> None:
        """Hold the request if a hold asks for it; raise `_Dropped` if it is dropped."""
        hold = self._claim_hold(method, params, after=after)
        if hold is None:
            return
        proceed = hold._block(params)
        with self._changed:
            if hold in self._holds:
                self._holds.remove(hold)
        if not proceed:
            raise _Dropped

    # -- serving -------------------------------------------------------------------------------

    def answer(
        self,
        token: str,
        method: str,
        params: Mapping[str, Any],
        files: Mapping[str, UploadedFile],
    ) -> tuple[int, dict[str, Any]]:
        """Answer one Bot API request: the HTTP status and the JSON body."""
        if token != self._token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        webhook_answer = self._webhook_call(method, params)
        if webhook_answer is not None:
            return webhook_answer
        self._held(method, params, after=False)
        fault = self.faults.pick(method) if self.faults is not None else None
        if fault is not None and not fault[1]:
            refused = self._fault_before(fault[0])
            if refused is not None:
                return refused
        if self._blocked(method, params):
            return error_answer(403)
        if method.lower() == "getupdates":
            updates = self._get_updates(params)
            self._held(method, params, after=True)
            if updates:
                with self._changed:
                    for update in updates:
                        update_id = update["update_id"]
                        self.deliveries[update_id] = self.deliveries.get(update_id, 0) + 1
                    self.batches_delivered += 1
                    self.last_activity = time.monotonic()
                    self._changed.notify_all()
            return 200, {"ok": True, "result": updates}
        status, body = self.telegram.dispatch(method, params, files)
        with self._changed:
            self.last_activity = time.monotonic()
            self._changed.notify_all()
        self._held(method, params, after=True)
        if fault is not None and fault[1]:
            raise _Dropped  # it took effect; only the answer is lost on the way back
        return status, body

    def _fault_before(self, kind: str) -> tuple[int, dict[str, Any]] | None:
        """Fail a call before it takes effect, or slow it down (then None: it goes on)."""
        assert self.faults is not None
        if kind in ("429", "500", "502"):
            return error_answer(int(kind), retry_after=self.faults.retry_after)
        if kind == "slow":
            time.sleep(random.uniform(*self.faults.slow))
            return None
        assert kind == "drop", kind
        raise _Dropped

    def _blocked(self, method: str, params: Mapping[str, Any]) -> bool:
        name = method.lower()
        if not self.blocked or not name.startswith(("send", "edit", "copy", "forward")):
            return False
        chat_id = params.get("chat_id")
        return isinstance(chat_id, int | str) and str(chat_id) in {str(b) for b in self.blocked}

    def _webhook_call(
        self, method: str, params: Mapping[str, Any]
    ) -> tuple[int, dict[str, Any]] | None:
        """Record setWebhook and deleteWebhook calls; answer setWebhook (None: go on as usual)."""
        if method.lower() not in ("setwebhook", "deletewebhook"):
            return None
        with self._changed:
            self.webhook_calls.append({"method": method, **params})
            self._changed.notify_all()
        if method.lower() == "deletewebhook":
            return None  # answered like any other call (LocalTelegram knows it)
        with self._changed:
            self.last_activity = time.monotonic()
        return 200, {"ok": True, "result": True, "description": "Webhook was set"}

    def _queue(self, update: Message) -> None:
        with self._changed:
            self._updates.append(update)
            self._changed.notify_all()

    def _get_updates(self, params: Mapping[str, Any]) -> list[Message]:
        """Long-poll: answer at once when updates are queued, else wait up to ``timeout``."""
        offset = int(params.get("offset") or 0)
        limit = max(1, min(int(params.get("limit") or 100), 100))
        timeout = min(float(params.get("timeout") or 0), MAX_LONG_POLL_SECONDS)
        deadline = time.monotonic() + timeout
        with self._changed:
            self.polls += 1
            generation = self._poll_generation
            if offset:
                # An offset confirms every update before it: Telegram forgets them. Until
                # then an update is handed out again to every getUpdates, as Telegram does.
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self.waiting_polls += 1
            try:
                while True:
                    if generation != self._poll_generation:
                        raise _Dropped
                    if self._updates or self._stopping:
                        return self._updates[:limit]
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return []
                    self._changed.wait(remaining)
            finally:
                self.waiting_polls -= 1

    def _no_reply_report(self, timeout: float, chat_id: int | None = None) -> str:
        where = "" if chat_id is None else f" in chat {chat_id}"
        lines = [f"The bot sent or edited nothing (matching){where} within {timeout:g} s."]
        recent = self.telegram.calls[-8:]
        if recent:
            lines.append("Its last Bot API calls:")
            lines += [
                f"  {call.method}" + (f" -> refused: {call.error}" if call.error else "")
                for call in recent
            ]
        else:
            lines.append("It made no Bot API calls besides getUpdates.")
        if chat_id is not None:
            # What that person sees last is usually the quickest clue to a wrong expectation.
            shown = [m for m in self.telegram.outbox if m.chat_id == chat_id][-2:]
            lines.append(f"The last it sent or edited in chat {chat_id}:")
            lines += [f"  {(m.text or '')[:80]!r} {m.buttons}" for m in shown] or ["  (nothing)"]
        return "\n".join(lines)


class _Server(ThreadingHTTPServer):
    # Request threads are joined on server_close(), so stop() leaves nothing running.
    daemon_threads = False
    block_on_close = True

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], api: FakeBotApi
    ) -> None:
        super().__init__(address, handler)
        self.api = api


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    # A client that opens a connection and sends nothing must not hold stop() for long.
    timeout = 10

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Stay silent: the default log line holds the request path, and so the bot token."""

    def _serve(self) -> None:
        url = urlsplit(self.path)
        match = _PATH.match(url.path)
        if match is None:
            status, body = 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        else:
            try:
                params, files = self._read_parameters(url.query)
            except _Dropped:
                self.close_connection = True
                return
            except ValueError as error:
                status, body = (
                    400,
                    {
                        "ok": False,
                        "error_code": 400,
                        "description": f"Bad Request: {error}",
                    },
                )
            else:
                try:
                    status, body = self.server.api.answer(
                        match["token"], match["method"], params, files
                    )
                except _Dropped:
                    self.close_connection = True  # no answer: the bot sees the line go dead
                    return
        payload = json.dumps(body).encode("utf-8")
        try:
            self.send_response(status, HTTPStatus(status).phrase)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the bot gave up on this request (a cancelled long poll when it stops)

    def _read_parameters(self, query: str) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
        """Decode query string and body (JSON, form or multipart) into parameters and files."""
        params: dict[str, Any] = {k: _decode(k, v) for k, v in parse_qsl(query)}
        files: dict[str, UploadedFile] = {}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            # The client went away mid-request (a killed bot): Telegram never sees the call.
            raise _Dropped
        content_type = self.headers.get("Content-Type", "")
        if not body:
            return params, files
        if content_type.startswith("application/json"):
            decoded = json.loads(body)
            if not isinstance(decoded, dict):
                raise ValueError("the JSON body must be an object")
            params.update(decoded)
        elif content_type.startswith("multipart/form-data"):
            form, files = _parse_multipart(content_type, body)
            params.update({k: _decode(k, v) for k, v in form.items()})
        else:
            form_pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
            params.update({k: _decode(k, v) for k, v in form_pairs})
        return params, files


def _decode(name: str, value: str) -> Any:
    """Undo PTB's encoding of one form value: JSON for everything but strings."""
    if name in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _parse_multipart(
    content_type: str, body: bytes
) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    """Split a multipart/form-data body into form fields and uploaded files."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise ValueError("can't parse the multipart body")
    form: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is None:
            form[name] = content.decode("utf-8")
        else:
            files[name] = UploadedFile(filename, content, part.get_content_type())
    return form, files
