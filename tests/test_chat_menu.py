"""The menu and reference pages, groups, errors and what never leaks: as a user sees them."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from bot import logs
from bot.config import Settings
from bot.loading import Guide
from bot.telegram.local_chat import LocalChat
from tests.conftest import RunningBot, running_bot

TOKEN = "123456789:AAH-test-token-that-must-never-be-logged"


async def test_start_shows_the_menu(chat: LocalChat) -> None:
    await chat.send("/start")
    assert "Hello Alex" in chat.last.text
    for label in (
        "Self-evaluation",
        "Find a resource",
        "Indicators",
        "The rating scale",
        "Privacy",
    ):
        assert label in chat.last.labels
    labels = chat.last.labels
    assert len(labels) == len(set(labels)), f"a label twice on the menu: {labels}"


async def test_the_command_menu_is_published_at_start_up(bot: RunningBot) -> None:
    await bot.application.post_init(bot.application)  # run_polling does this before polling
    [call] = [c for c in bot.transport.calls if c.method == "setMyCommands"]
    names = [command["command"] for command in call.params["commands"]]
    for name in ("start", "help", "evaluate", "resume", "results", "export", "cancel", "privacy"):
        assert name in names


@pytest.mark.parametrize(
    ("button", "expected"),
    [
        ("The rating scale", "Sustainable Delivery"),
        ("Privacy", "What we keep"),
        ("Expected outcomes", "over time"),
        ("Indicators", "Choose a group"),
        ("Browse by topic", "Choose a topic"),
        ("Find a resource", "in your own words"),
        ("My results", "You have not rated your council yet"),
    ],
)
async def test_every_menu_page_opens_and_leads_back(
    chat: LocalChat, button: str, expected: str
) -> None:
    await chat.send("/start")
    await chat.tap(button)
    assert expected in chat.last.text
    assert "Main menu" in chat.last.labels


async def test_indicator_groups_show_aims_and_data_sources(chat: LocalChat) -> None:
    await chat.send("/start")
    await chat.tap("Indicators")
    await chat.tap("Financial and value for money indicators")
    assert "Skills for Care" in chat.last.text
    assert "Data: national" in chat.last.text


async def test_help_and_privacy_commands(chat: LocalChat) -> None:
    await chat.send("/help")
    assert "/evaluate" in chat.last.text
    await chat.send("/privacy")
    privacy = chat.last.text
    # What is kept, why, and for how long; and how to delete it.
    assert "Your Telegram number (not your phone number)" in privacy
    assert "Each message you send, for 8 days" in privacy
    assert "Kept until you delete" in privacy
    assert "/forget" in privacy


async def test_unknown_commands_get_a_clear_reply(chat: LocalChat) -> None:
    await chat.send("/frobnicate")
    assert "don't know that command" in chat.last.text


async def test_in_a_group_the_bot_offers_a_private_chat(bot: RunningBot) -> None:
    group = bot.chat(chat_type="group")
    await group.send("/start")
    assert "privately" in group.last.text
    assert len(group.last.labels) == 1
    button = group.last.reply_markup["inline_keyboard"][0][0]  # type: ignore[index]
    assert button["url"].startswith("https://t.me/")


async def test_an_error_is_logged_and_the_user_gets_an_apology(
    bot: RunningBot, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = bot.chat(strict=False)

    def broken(*args: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(bot.store, "evaluations_for", broken)
    with caplog.at_level(logging.ERROR):
        await chat.send("/results")
    assert "something went wrong" in chat.last.text
    assert "database on fire" not in chat.last.text
    assert "Traceback" not in chat.last.text
    assert any(r.exc_info and "database on fire" in str(r.exc_info[1]) for r in caplog.records)


async def test_the_token_never_appears_in_logs(database: Path, guide: Guide) -> None:
    captured = io.StringIO()
    logs.configure("DEBUG", TOKEN)
    root = logging.getLogger()
    root.handlers[0].setStream(captured)  # type: ignore[attr-defined]
    try:
        settings = Settings(token=TOKEN, database=database, flood=None, sends_per_second=0)
        async with running_bot(database, guide, settings=settings) as running:
            chat = running.chat()
            await chat.send("/start")
            await chat.tap("Self-evaluation")
            await chat.send("Leeds")
            logging.getLogger("test").warning("a careless line with %s in it", TOKEN)
            logging.getLogger("httpx").warning(
                "POST https://api.telegram.org/bot%s/sendMessage", TOKEN
            )
    finally:
        root.handlers.clear()
    output = captured.getvalue()
    assert "a careless line with [token] in it" in output
    assert TOKEN not in output
    assert TOKEN not in repr(settings)
