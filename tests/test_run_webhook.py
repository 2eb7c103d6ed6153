"""End to end: the real `run --webhook` takes updates over HTTP the way Telegram sends them.

The bot runs as a subprocess against the fake Bot API (`tests/botapi_server.py`), and the test
plays Telegram's side of the webhook: it POSTs each update to the bot's address on 127.0.0.1
with the secret header. A 200 must mean the update is in the database; a stop (SIGTERM) must
finish the work in hand and exit 0; a kill after the 200 must lose nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.config import Settings, SettingsError, Webhook
from bot.loading import Guide
from bot.telegram.local_transport import LocalTelegram, private_chat_json, user_json
from bot.telegram.webhook import serve
from storage import Store
from tests.botapi_server import FakeBotApi, Hold, NoReply, button_labels
from tests.conftest import running_bot
from tests.test_cli import run
from tests.test_run_cli_local_bot_api import (
    BOT_TOKEN,
    TOKEN_SECRET,
    bot_process,
    read_output,
    redacted,
)

SECRET = "webhook-secret_for_the-tests-0123456789"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
START_TIMEOUT = 30.0  # from spawn to setWebhook; about a second on a quiet machine
REPLY_TIMEOUT = 30.0
STOP_BOUND = 15.0  # a SIGTERM must end the process within this
ANN, BEN = 3001, 3002
ORGANISATION = "Kirklees Council"
LEVEL = "3 — Implementation"
STATEMENT_1 = "strengths-based-practice"

Message = dict[str, Any]


@pytest.fixture
def server() -> Iterator[FakeBotApi]:
    with FakeBotApi(BOT_TOKEN) as api:
        yield api


def free_port() -> int:
    """Return a port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class WebhookBot:
    """The running `run --webhook` process and the address Telegram would POST to."""

    server: FakeBotApi
    process: subprocess.Popen[bytes]
    logs: tuple[Path, Path]
    base: str  # http://127.0.0.1:PORT
    database: Path
    held: Hold | None = None  # a reply of the bot's stuck in the fake Telegram

    def post(
        self,
        update: object,
        *,
        secret: str | None = SECRET,
        path: str = "/telegram",
        content: bytes | None = None,
    ) -> httpx.Response:
        """POST an update as Telegram does (JSON, with the secret header unless None)."""
        headers = {} if secret is None else {HEADER: secret}
        if content is not None:
            headers["Content-Type"] = "application/json"
            return httpx.post(self.base + path, content=content, headers=headers, timeout=10)
        return httpx.post(self.base + path, json=update, headers=headers, timeout=10)

    def reply(self, chat_id: int, predicate: Callable[[Message], bool]) -> Message:
        """Wait for the bot's next matching message in one chat, failing fast if it died."""
        deadline = time.monotonic() + REPLY_TIMEOUT
        while True:
            try:
                return self.server.wait_for_reply(predicate, timeout=0.5, chat_id=chat_id)
            except NoReply:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        f"no reply in chat {chat_id}; `run` said:\n"
                        + redacted(read_output(*self.logs))
                    ) from None

    def terminate(self) -> int:
        """Send SIGTERM and return the exit code, which must come within `STOP_BOUND`."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=STOP_BOUND)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"`run --webhook` did not stop within {STOP_BOUND:g} s of SIGTERM:\n"
                + redacted(read_output(*self.logs))
            ) from None


@contextmanager
def webhook_bot(
    server: FakeBotApi, tmp_path: Path, *, name: str = "", log_level: str = "INFO"
) -> Iterator[WebhookBot]:
    """Run the real `run --webhook` on a free port; yield once it has set its webhook."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    calls_before = len(server.webhook_calls)
    env = {"WORKFORCE_GUIDE_WEBHOOK_SECRET": SECRET, "WORKFORCE_GUIDE_LOG_LEVEL": log_level}
    args = ("--webhook", url, "--port", str(port))
    with bot_process(server, tmp_path, *args, env=env, name=name) as (process, logs):
        deadline = time.monotonic() + START_TIMEOUT
        while not server.wait_until(lambda: len(server.webhook_calls) > calls_before, 0.2):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    "`run --webhook` never set its webhook:\n" + redacted(read_output(*logs))
                )
        yield WebhookBot(server, process, logs, f"http://127.0.0.1:{port}", tmp_path / "guide.db")


def message(server: FakeBotApi, text: str, user_id: int = ANN) -> Message:
    """Return the update Telegram would send for a text from this user (not queued)."""
    user = user_json(user_id, f"User {user_id}")
    return server.telegram.incoming_message(private_chat_json(user), user, text)


def tap(server: FakeBotApi, label: str, user_id: int = ANN) -> Message:
    """Return the update for a tap on the newest bot button so labelled in the user's chat."""
    for stored in reversed(server.telegram.chat_messages(user_id)):
        button = stored.find_button(label)
        if button is not None and "callback_data" in button:
            return server.telegram.incoming_callback_query(
                user_id,
                stored.message_id,
                str(button["callback_data"]),
                user_json(user_id, f"User {user_id}"),
            )
    raise AssertionError(f"no button {label!r} in chat {user_id}")


def text_has(words: str) -> Callable[[Message], bool]:
    return lambda message: words in (message.get("text") or "")


def accepted(bot: WebhookBot, update: object) -> None:
    response = bot.post(update)
    assert response.status_code == 200, (response.status_code, response.text)


def begin_rating(bot: WebhookBot) -> None:
    """Ann starts a self-evaluation and names her council: the first statement is asked."""
    accepted(bot, message(bot.server, "/evaluate"))
    bot.reply(ANN, text_has("Which council or organisation"))
    accepted(bot, message(bot.server, ORGANISATION))
    question = bot.reply(ANN, text_has("Statement 1 of 7"))
    assert LEVEL in button_labels(question)


def hold_ann_then_tap(bot: WebhookBot) -> Message:
    """Keep Ann's /help stuck in the fake Telegram, then tap a level; return the tap's update.

    One person's updates are handled in order, so the tap is acknowledged (200) and waits,
    not yet handled, until the held reply is let go (``bot.held``).
    """
    bot.held = bot.server.hold("sendMessage", when=lambda p: str(p.get("chat_id")) == str(ANN))
    accepted(bot, message(bot.server, "/help"))
    assert bot.held.reached.wait(REPLY_TIMEOUT), "the bot never answered Ann's /help"
    rating = tap(bot.server, LEVEL)
    accepted(bot, rating)
    assert stored_update(bot.database, rating["update_id"]) == (1, 0)
    return rating


def stored_update(database: Path, update_id: int) -> tuple[int, int] | None:
    """Return (kept, done) for an update in the inbox, read straight from the file."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        row = db.execute("SELECT 1, done FROM updates WHERE update_id = ?", [update_id]).fetchone()
    return None if row is None else (int(row[0]), int(row[1]))


def ann_answers(database: Path) -> dict[str, tuple[int | None, str | None]]:
    """Return Ann's one evaluation's answers: statement id -> (rating, note)."""
    with Store.open(database) as store:
        evaluations = store.evaluations_for(store.participant_for(str(ANN)))
        assert len(evaluations) == 1, evaluations
        answers = store.answers_for(evaluations[0].id)
        assert store.waiting_updates() == []
    return {key: (answer.rating, answer.note) for key, answer in answers.items()}


def test_webhook_takes_updates_with_the_secret_and_refuses_the_rest(
    server: FakeBotApi, tmp_path: Path
) -> None:
    database = tmp_path / "guide.db"
    # DEBUG, so python-telegram-bot logs setWebhook's parameters: the secret must be scrubbed.
    with webhook_bot(server, tmp_path, log_level="DEBUG") as bot:
        setup = server.webhook_calls[-1]
        assert setup["method"] == "setWebhook"
        assert setup["url"] == f"{bot.base}/telegram"
        assert setup["secret_token"] == SECRET
        assert setup["drop_pending_updates"] is False
        assert {"message", "callback_query", "my_chat_member"} <= set(setup["allowed_updates"])

        health = httpx.get(bot.base + "/healthz", timeout=10)
        assert (health.status_code, health.json()) == (200, {"ok": True})

        start = message(server, "/start")
        assert bot.post(start, secret=None).status_code == 403
        assert bot.post(start, secret=SECRET[:-1] + "X").status_code == 403
        assert bot.post(start, secret="").status_code == 403
        assert bot.post(start, path="/elsewhere").status_code == 404
        assert httpx.get(bot.base + "/telegram", timeout=10).status_code == 405
        assert bot.post(None, content=b'{"update_id": 1, "message":').status_code == 400
        assert bot.post(None, content=b"[1, 2, 3]").status_code == 400
        assert stored_update(database, start["update_id"]) is None
        assert not server.messages, "the bot answered a refused update"

        poison = {"update_id": 777, "message": {"message_id": "x", "chat": "nonsense"}}
        assert bot.post(poison).status_code == 200  # set aside, so Telegram stops sending it

        accepted(bot, start)
        menu = bot.reply(ANN, lambda m: "Self-evaluation" in button_labels(m))
        assert "What would you like to do" in menu["text"]
        assert bot.terminate() == 0
    assert stored_update(database, start["update_id"]) == (1, 1)
    output = read_output(*bot.logs)
    # Plain booleans, so a failure does not print the secrets again.
    token_leaked, secret_leaked = TOKEN_SECRET in output, SECRET in output
    assert not token_leaked, "the bot token appeared in the output"
    assert not secret_leaked, "the webhook secret appeared in the output"
    assert "receiving updates at" in output
    assert server.polls == 0, "the bot polled getUpdates in webhook mode"
    with Store.open(database) as store:
        assert [letter.update_id for letter in store.dead_letters()] == [777]


def test_sigterm_mid_conversation_finishes_the_work_in_hand(
    server: FakeBotApi, tmp_path: Path
) -> None:
    database = tmp_path / "guide.db"
    with webhook_bot(server, tmp_path) as bot:
        begin_rating(bot)
        rating = hold_ann_then_tap(bot)  # acknowledged, waiting, when SIGTERM comes
        assert stored_update(database, rating["update_id"]) == (1, 0)

        bot.process.send_signal(signal.SIGTERM)
        # It stops taking requests at once (the connection is refused)...
        deadline = time.monotonic() + STOP_BOUND
        while True:
            try:
                bot.post(message(server, "/start", BEN))  # may come before the signal is seen
            except httpx.TransportError:
                break
            assert time.monotonic() < deadline, "still listening after SIGTERM"
            time.sleep(0.05)
        # ... and finishes what it holds: the reply to Ann's /help, then her tap, then exits.
        assert bot.held is not None
        bot.held.release(proceed=True)
        assert bot.process.wait(timeout=STOP_BOUND) == 0, redacted(read_output(*bot.logs))
        assert any("What evidence" in (m.text or "") for m in server.messages if m.chat_id == ANN)
    assert stored_update(database, rating["update_id"]) == (1, 1)
    assert ann_answers(database) == {STATEMENT_1: (3, None)}

    with webhook_bot(server, tmp_path, name="-2") as again:
        accepted(again, message(server, "Supervision records show it"))
        again.reply(ANN, text_has("Statement 2 of 7"))
        assert again.terminate() == 0
    assert ann_answers(database) == {STATEMENT_1: (3, "Supervision records show it")}


def test_an_update_acknowledged_then_killed_is_handled_at_the_next_start(
    server: FakeBotApi, tmp_path: Path
) -> None:
    database = tmp_path / "guide.db"
    with webhook_bot(server, tmp_path) as bot:
        begin_rating(bot)
        rating = hold_ann_then_tap(bot)  # Telegram now forgets it: only the database has it
        bot.process.kill()
        bot.process.wait(timeout=STOP_BOUND)
        server.cancel_holds()
    assert stored_update(database, rating["update_id"]) == (1, 0)

    with webhook_bot(server, tmp_path, name="-2") as again:
        # Handled at start-up, before the webhook is set again: the next question is there.
        again.reply(ANN, text_has("What evidence"))
        accepted(again, message(server, "Supervision records show it"))
        again.reply(ANN, text_has("Statement 2 of 7"))
        accepted(again, rating)  # Telegram sending it again changes nothing
        assert again.terminate() == 0
    assert ann_answers(database) == {STATEMENT_1: (3, "Supervision records show it")}
    assert not any("Statement 3 of 7" in (m.text or "") for m in server.messages)


# -- in process: the health check, and the settings ---------------------------------------------


class WebhookTelegram(LocalTelegram):
    """The in-memory Telegram, accepting setWebhook as Telegram does."""

    def dispatch(
        self, method: str, params: Mapping[str, Any], files: Mapping[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        if method.lower() == "setwebhook":
            return 200, {"ok": True, "result": True}
        return super().dispatch(method, params, files)


async def test_the_health_check_says_503_once_the_database_cannot_be_read(
    database: Path, guide: Guide
) -> None:
    port = free_port()
    webhook = Webhook(f"http://127.0.0.1:{port}/telegram", "/telegram", SECRET, port=port)
    stop = asyncio.Event()
    async with running_bot(database, guide, transport=WebhookTelegram()) as bot:
        serving = asyncio.create_task(serve(bot.application, webhook, stop))  # type: ignore[arg-type]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            for _ in range(200):  # until it listens: at most 10 s
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the webhook never answered /healthz")
            # Another program takes the table away: reads fail, so the bot is not healthy.
            with sqlite3.connect(database) as other:
                other.execute("ALTER TABLE updates RENAME TO updates_gone")
            health = await client.get("/healthz")
            assert (health.status_code, health.json()) == (503, {"ok": False})
            update = message_update("/start")
            refused = await client.post("/telegram", json=update, headers={HEADER: SECRET})
            assert refused.status_code == 503  # not kept, so not acknowledged: Telegram retries
        stop.set()
        await asyncio.wait_for(serving, STOP_BOUND)


def message_update(text: str) -> Message:
    """Return a made-up update with a text from Ann."""
    user = user_json(ANN, "Ann")
    return {
        "update_id": 5001,
        "message": {
            "message_id": 1,
            "date": 1_700_000_000,
            "chat": private_chat_json(user),
            "from": user,
            "text": text,
        },
    }


TOKEN_ENV = {"TELEGRAM_BOT_TOKEN": BOT_TOKEN, "WORKFORCE_GUIDE_WEBHOOK_SECRET": SECRET}
PUBLIC_URL = "https://bot.example.org/telegram"


def test_webhook_settings_come_from_the_url_and_the_environment() -> None:
    settings = Settings.from_env(
        {
            **TOKEN_ENV,
            "WORKFORCE_GUIDE_WEBHOOK_LISTEN": "0.0.0.0",
            "WORKFORCE_GUIDE_WEBHOOK_PORT": "9000",
        }
    )
    webhook = settings.webhook(PUBLIC_URL)
    assert (webhook.url, webhook.path, webhook.listen, webhook.port) == (
        PUBLIC_URL,
        "/telegram",
        "0.0.0.0",
        9000,
    )
    assert webhook.secret == SECRET and SECRET not in repr(webhook) + repr(settings)
    # The options win over the environment.
    assert settings.webhook(PUBLIC_URL, listen="127.0.0.1", port=8443).port == 8443
    defaults = Settings.from_env(TOKEN_ENV).webhook("https://bot.example.org:8443/")
    assert (defaults.path, defaults.listen, defaults.port) == ("/", "127.0.0.1", 8443)


@pytest.mark.parametrize("secret", ["a", "A-z_0-9", "x" * 256])
def test_a_secret_of_the_characters_telegram_allows_is_accepted(secret: str) -> None:
    env = {**TOKEN_ENV, "WORKFORCE_GUIDE_WEBHOOK_SECRET": secret}
    assert Settings.from_env(env).webhook(PUBLIC_URL).secret == secret


@pytest.mark.parametrize(
    "secret", ["has space", "dots.are.out", "pâtisserie", "x" * 257, "semi;colon", "a/b"]
)
def test_a_secret_telegram_would_refuse_stops_the_program(secret: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({**TOKEN_ENV, "WORKFORCE_GUIDE_WEBHOOK_SECRET": secret})
    message = str(caught.value)
    assert "WORKFORCE_GUIDE_WEBHOOK_SECRET" in message and "1 to 256" in message
    assert secret not in message  # never repeat a secret in an error


def test_webhook_mode_without_a_secret_says_which_variable_to_set() -> None:
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": BOT_TOKEN})
    with pytest.raises(SettingsError, match="needs WORKFORCE_GUIDE_WEBHOOK_SECRET"):
        settings.webhook(PUBLIC_URL)
    code, _, err = run("run", "--webhook", PUBLIC_URL, env={"TELEGRAM_BOT_TOKEN": BOT_TOKEN})
    assert code == 2 and "WORKFORCE_GUIDE_WEBHOOK_SECRET" in err and "token_urlsafe" in err


@pytest.mark.parametrize(
    ("url", "env", "words"),
    [
        ("http://bot.example.org/telegram", {}, "https:// addresses on port 443, 80, 88 or 8443"),
        ("https://bot.example.org:8080/telegram", {}, "port 443, 80, 88 or 8443"),
        (f"https://bot.example.org/{BOT_TOKEN}", {}, "must not contain the bot token"),
        (f"https://bot.example.org/{TOKEN_SECRET}", {}, "must not contain the bot token"),
        ("https://bot.example.org/healthz", {}, "health check"),
        ("https://bot.example.org/telegram?x=1", {}, "no ?query"),
        ("bot.example.org/telegram", {}, "should be a web address"),
        ("https://bot.example.org/telegram", {"TELEGRAM_BOT_TOKEN": ""}, "TELEGRAM_BOT_TOKEN"),
    ],
)
def test_a_webhook_address_telegram_cannot_use_is_refused(
    url: str, env: dict[str, str], words: str
) -> None:
    code, _, err = run("run", "--webhook", url, env={**TOKEN_ENV, **env})
    assert code == 2 and words in err, err
    assert TOKEN_SECRET not in err


def test_a_self_hosted_bot_api_may_send_to_plain_http_on_any_port() -> None:
    env = {**TOKEN_ENV, "TELEGRAM_BASE_URL": "http://127.0.0.1:8081/bot"}
    webhook = Settings.from_env(env).webhook("http://127.0.0.1:9999/hook")
    assert webhook.path == "/hook"


@pytest.mark.parametrize(
    ("argv", "env", "words"),
    [
        (("run", "--port", "9000"), TOKEN_ENV, "--listen and --port go with --webhook"),
        (("run", "--webhook", PUBLIC_URL, "--port", "0"), TOKEN_ENV, "--port should be a port"),
        (
            ("run", "--webhook", PUBLIC_URL),
            {**TOKEN_ENV, "WORKFORCE_GUIDE_WEBHOOK_PORT": "http"},
            "WORKFORCE_GUIDE_WEBHOOK_PORT should be a port",
        ),
    ],
)
def test_a_bad_listening_port_is_refused(
    argv: tuple[str, ...], env: dict[str, str], words: str
) -> None:
    code, _, err = run(*argv, env=env)
    assert code == 2 and words in err, err


def test_a_port_already_taken_stops_the_bot_with_a_plain_message(
    server: FakeBotApi, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = ("--webhook", f"http://127.0.0.1:{port}/telegram", "--port", str(port))
        env = {"WORKFORCE_GUIDE_WEBHOOK_SECRET": SECRET}
        with bot_process(server, tmp_path, *args, env=env) as (process, logs):
            assert process.wait(timeout=START_TIMEOUT) == 1
    output = read_output(*logs)
    assert f"Could not listen on 127.0.0.1 port {port}" in output, redacted(output)
    assert "Traceback" not in output
    assert not [c for c in server.webhook_calls if c["method"] == "setWebhook"]
