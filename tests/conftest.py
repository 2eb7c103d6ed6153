"""Shared fixtures: the shipped guide, and the real bot on an in-process Telegram."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.config import Settings
from bot.loading import Guide, load_guide
from bot.telegram.app import build_application
from bot.telegram.local_chat import LocalChat
from bot.telegram.local_transport import LocalTelegram
from storage import Store
from tests.fixed_clock import FixedClock


def pytest_configure(config: pytest.Config) -> None:
    """Opt in to timedelta durations as the CLI does (PTB warns on each 429 otherwise)."""
    os.environ.setdefault("PTB_TIMEDELTA", "1")


@pytest.fixture(scope="session")
def guide() -> Guide:
    """Return the shipped content and flows, loaded once."""
    return load_guide()


@dataclass
class RunningBot:
    """The real Application on a local transport, with its store."""

    application: object
    transport: LocalTelegram
    store: Store

    def chat(self, **kwargs: object) -> LocalChat:
        """Open a chat with the bot (a private chat with user 1001 unless told otherwise)."""
        return LocalChat(self.application, self.transport, **kwargs)  # type: ignore[arg-type]


@asynccontextmanager
async def running_bot(
    database: Path,
    guide: Guide,
    settings: Settings | None = None,
    transport: LocalTelegram | None = None,
) -> AsyncIterator[RunningBot]:
    """Start the bot on ``database`` as the CLI would, and stop it (as after a restart).

    Pass the previous run's ``transport`` to restart: Telegram keeps the chat while we are down.
    """
    transport = transport or LocalTelegram()
    # No flood limit or send rate: the tests send far faster than any person (see
    # test_flood_limit and test_delivery_faults for those).
    settings = settings or Settings(database=database, flood=None, sends_per_second=0)
    with Store.open(database) as store:
        application = build_application(settings, guide=guide, store=store, request=transport)
        async with application:
            yield RunningBot(application, transport, store)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    """Return a fresh database path."""
    return tmp_path / "guide.db"


@pytest.fixture
async def bot(database: Path, guide: Guide) -> AsyncIterator[RunningBot]:
    """Return the running bot on a fresh database."""
    async with running_bot(database, guide) as running:
        yield running


@pytest.fixture
def chat(bot: RunningBot) -> LocalChat:
    """Return a private chat with the bot."""
    return bot.chat()


@pytest.fixture
def clock() -> FixedClock:
    """Return a clock set to START that moves only when told."""
    return FixedClock()


@pytest.fixture
def store(clock: FixedClock) -> Iterator[Store]:
    """Return an in-memory store on the fixed clock."""
    store = Store.open(":memory:", clock=clock)
    yield store
    store.close()
