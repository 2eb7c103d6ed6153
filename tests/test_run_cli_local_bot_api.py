"""End to end: the real `run` command long-polls a local Bot API over HTTP and answers a user."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.botapi_server import FakeBotApi, NoReply, button_labels

REPO = Path(__file__).resolve().parents[1]
BOT_TOKEN = "123456789:AAH-test-token-for-the-local-fake-api"
TOKEN_SECRET = BOT_TOKEN.partition(":")[2]
REPLY_TIMEOUT = 30.0  # generous for a slow CI machine; the happy path takes a second or two
STOP_TIMEOUT = 10.0


@pytest.fixture
def server() -> Iterator[FakeBotApi]:
    with FakeBotApi(BOT_TOKEN) as api:
        yield api


def bot_environment(base_url: str, database: Path) -> dict[str, str]:
    """Return the environment for `run`: the token and where to find the local Bot API."""
    environment = {
        name: value
        for name, value in os.environ.items()
        # No proxy may sit between the bot and 127.0.0.1, and no real bot settings leak in.
        if "proxy" not in name.lower() and not name.startswith(("TELEGRAM_", "WORKFORCE_GUIDE_"))
    }
    environment.update(
        TELEGRAM_BOT_TOKEN=BOT_TOKEN,
        TELEGRAM_BASE_URL=base_url,
        WORKFORCE_GUIDE_DB=str(database),
        NO_PROXY="127.0.0.1,localhost",
        PYTHONUNBUFFERED="1",
    )
    return environment


def read_output(*paths: Path) -> str:
    """Return what the process printed, stdout then stderr."""
    return "".join(path.read_text(errors="replace") for path in paths if path.exists())


def redacted(output: str) -> str:
    """Hide the token in output shown in a failure message, keeping the last lines."""
    return output.replace(TOKEN_SECRET, "<token>")[-3000:]


def wait_for_reply(
    server: FakeBotApi,
    process: subprocess.Popen[bytes],
    logs: tuple[Path, Path],
    predicate: Callable[[dict[str, Any]], bool] | None = None,
) -> dict[str, Any]:
    """Wait for the bot's next matching message, failing fast if the process dies."""
    deadline = time.monotonic() + REPLY_TIMEOUT
    while True:
        try:
            return server.wait_for_reply(predicate, timeout=0.5)
        except NoReply:
            if process.poll() is not None:
                raise AssertionError(
                    f"`run` exited with code {process.returncode} before replying:\n"
                    + redacted(read_output(*logs))
                ) from None
            if time.monotonic() > deadline:
                raise


def stop(process: subprocess.Popen[bytes]) -> None:
    """Press Ctrl-C, then insist if the bot does not stop in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def bot_process(
    server: FakeBotApi,
    tmp_path: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    name: str = "",
) -> Iterator[tuple[subprocess.Popen[bytes], tuple[Path, Path]]]:
    """Run the real `run` against the local Bot API, its output kept in files; Ctrl-C it after.

    ``args`` go after `run` and ``env`` over its environment; ``name`` tells the output files
    of a restart apart from the first run's.
    """
    stdout_path, stderr_path = tmp_path / f"stdout{name}.txt", tmp_path / f"stderr{name}.txt"
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", *args],
            cwd=REPO,
            env={**bot_environment(server.base_url, tmp_path / "guide.db"), **(env or {})},
            stdout=stdout,
            stderr=stderr,
        )
        try:
            yield process, (stdout_path, stderr_path)
        finally:
            stop(process)


def test_run_answers_start_and_a_menu_tap(server: FakeBotApi, tmp_path: Path) -> None:
    with bot_process(server, tmp_path) as (process, logs):
        server.user_sends("/start")
        menu = wait_for_reply(server, process, logs, lambda message: bool(button_labels(message)))
        assert "Self-evaluation" in button_labels(menu), f"menu buttons: {button_labels(menu)}"

        server.user_taps("Self-evaluation")
        answer = wait_for_reply(server, process, logs)

        assert answer.get("text") or answer.get("caption") or answer.get("document")
        assert server.wait_until(
            lambda: not server.telegram.unanswered_callback_queries, timeout=5
        ), "the bot never answered the callback query of the tap"
        assert not server.telegram.refusals, [c.error for c in server.telegram.refusals]
    output = read_output(*logs)

    # A plain boolean, so that a failure does not print the output (and the token) again.
    leaked = TOKEN_SECRET in output
    assert not leaked, "the bot token appeared in the output of `run`"
    assert process.returncode == 0, f"`run` did not stop cleanly on Ctrl-C:\n{redacted(output)}"


def test_a_second_copy_on_the_same_database_is_refused(server: FakeBotApi, tmp_path: Path) -> None:
    with bot_process(server, tmp_path) as (process, logs):
        server.user_sends("/start")
        wait_for_reply(server, process, logs, lambda message: bool(button_labels(message)))
        second = subprocess.run(
            [sys.executable, "-m", "bot.cli", "run"],
            cwd=REPO,
            env=bot_environment(server.base_url, tmp_path / "guide.db"),
            capture_output=True,
            timeout=60,
        )
        output = (second.stdout + second.stderr).decode(errors="replace")
        assert second.returncode == 2, redacted(output)
        assert "another copy of the bot" in output and "stop the other one first" in output
        assert str(process.pid) in output, "it says which process holds the database"
        # The first copy carries on as if nothing happened.
        server.user_taps("Self-evaluation")
        assert wait_for_reply(server, process, logs)
        assert process.poll() is None
