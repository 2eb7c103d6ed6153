"""The bot token never appears in anything `run` prints: not in logs, not in tracebacks.

Each test runs the real `run` at DEBUG level, captures everything it writes, makes it fail in
the ways that log the most (Telegram failing calls, an update nobody can read, the token
refused), checks that failures really were logged, and searches all of it for the token.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bot.telegram.local_transport import private_chat_json, user_json
from tests.botapi_server import FakeBotApi, Faults, button_labels
from tests.test_run_cli_local_bot_api import (
    BOT_TOKEN,
    REPO,
    TOKEN_SECRET,
    bot_environment,
    bot_process,
    read_output,
    redacted,
    wait_for_reply,
)

DEBUG = {"WORKFORCE_GUIDE_LOG_LEVEL": "DEBUG"}
ALEX = user_json(1001, "Alex")


def test_failing_calls_and_a_poison_update_log_plenty_but_never_the_token(
    tmp_path: Path,
) -> None:
    with FakeBotApi(BOT_TOKEN) as server:
        server.faults = Faults(rate=0.5, seed=7, poll_rate=0.5)
        with bot_process(server, tmp_path, env=DEBUG) as (process, logs):
            server.user_sends("/start")
            wait_for_reply(server, process, logs, lambda message: bool(button_labels(message)))
            # An update python-telegram-bot cannot read is set aside, with its error logged.
            # It takes the next id in line, as Telegram would give it (an id below the offset
            # already confirmed would never be delivered).
            spare = server.telegram.incoming_message(private_chat_json(ALEX), ALEX, "x")
            poison = {"update_id": spare["update_id"], "message": {"text": "no chat or date"}}
            server._queue(poison)
            server.user_sends("/evaluate")
            wait_for_reply(server, process, logs)
        output = read_output(*logs)
    assert "Traceback" in output, "a failure was logged with its traceback"
    assert "set aside update" in output, redacted(output)
    assert "DEBUG" in output, "everything was logged"
    assert TOKEN_SECRET not in output, "the bot token appeared in the output of `run`"


def test_a_refused_token_is_reported_plainly_without_the_token(tmp_path: Path) -> None:
    with FakeBotApi("999:a-different-token") as server:
        completed = subprocess.run(
            [sys.executable, "-m", "bot.cli", "run"],
            cwd=REPO,
            env={**bot_environment(server.base_url, tmp_path / "guide.db"), **DEBUG},
            capture_output=True,
            timeout=60,
        )
    output = (completed.stdout + completed.stderr).decode(errors="replace")
    assert completed.returncode != 0
    assert "token" in output.lower(), redacted(output)
    assert TOKEN_SECRET not in output, "the bot token appeared in the output of `run`"


def test_an_unreachable_telegram_is_logged_without_the_token(tmp_path: Path) -> None:
    server = FakeBotApi(BOT_TOKEN)
    base_url = server.start()
    server.stop()  # nothing listens there any more
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=REPO,
        env={**bot_environment(base_url, tmp_path / "guide.db"), **DEBUG},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        out, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
    output = out.decode(errors="replace")
    assert time.monotonic() - started < 60
    assert output.strip(), "something was said about it"
    assert TOKEN_SECRET not in output, "the bot token appeared in the output of `run`"
