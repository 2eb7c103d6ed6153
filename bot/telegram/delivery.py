"""Getting replies through when Telegram is slow, busy or failing, and saying so when not.

Every Bot API call goes through `RetryingLimiter`: python-telegram-bot's AIORateLimiter keeps
under Telegram's flood limits and waits out a 429 ("retry after"); on top of that a call that
fails on the way (a 5xx, a timeout, a dropped connection) is tried again a few times with a
growing pause. What still fails is not lost: the answers were stored before the reply was
sent, and the chat is noted in the store (`note_undelivered`). A repeating job then tells the
person, once Telegram answers again, that a message did not reach them, with a button to
carry on where they stopped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import timedelta
from typing import Any

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import AIORateLimiter, Application, ContextTypes

from bot.telegram import callbacks, views
from bot.telegram.screens import Button, Screen, send_to_chat
from bot.telegram.services import SERVICES_KEY, Services

log = logging.getLogger(__name__)

# Pauses before each retry of a call that failed on the way: about 2 s in all, so a reply is
# late rather than lost, and a handler is not held up for long when Telegram is down.
RETRY_PAUSES = (0.2, 0.6, 1.2)
# The calls made while starting up are worth waiting longer for: without them the bot cannot
# start at all, and a stop then would mean a restart by the service manager a few seconds on.
STARTUP_CALLS = frozenset({"getMe", "deleteWebhook", "setWebhook", "setMyCommands"})
STARTUP_PAUSES = (0.5, 1.0, 2.0, 4.0, 8.0)
RATE_LIMIT_RETRIES = 3  # 429s waited out per call before giving up
NOTICE_EVERY = 5.0  # seconds between attempts to tell people a message did not reach them
NOTICE_GIVE_UP = timedelta(days=1)  # after this the notice would only confuse


class RetryingLimiter(AIORateLimiter):
    """AIORateLimiter that also retries calls that failed on the way (5xx, timeouts, drops)."""

    def __init__(
        self,
        *,
        overall_max_rate: float = 30,
        pauses: Sequence[float] = RETRY_PAUSES,
        settle: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(overall_max_rate=overall_max_rate, max_retries=RATE_LIMIT_RETRIES)
        self.pauses = tuple(pauses)
        self.settle = settle
        """Awaited before each call: every write made so far is on disk (`GroupCommit`)."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Make the call within Telegram's limits; try again when it fails on the way."""
        if self.settle is not None:
            # Outside the retries: a write that could not be kept fails the call, not retried.
            await self.settle()
        pauses = STARTUP_PAUSES if endpoint in STARTUP_CALLS else self.pauses
        for attempt, pause in enumerate((*pauses, None)):
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except BadRequest as error:
                # A retried edit that had already taken effect the first time (only its answer
                # was lost) is refused as "not modified": the edit is there, so that is success.
                if attempt and "not modified" in error.message:
                    return True
                raise
            except (Forbidden, RetryAfter):
                raise  # a blocked chat never gets better; 429s were waited out already
            except NetworkError as error:
                if pause is None:
                    raise
                log.info("%s failed (%s); trying again in %.1f s", endpoint, error, pause)
                await asyncio.sleep(pause)
        raise AssertionError("unreachable: the last attempt returns or raises")


def is_undelivered(error: BaseException | None) -> bool:
    """Tell whether an error means Telegram could not be reached or would not take a call."""
    if isinstance(error, RetryAfter | TimedOut):
        return True
    return isinstance(error, NetworkError) and not isinstance(error, BadRequest)


def start_notices(application: Application) -> None:  # type: ignore[type-arg]
    """Check every few seconds for people owed a "that did not reach you" notice."""
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            send_notices, interval=NOTICE_EVERY, first=NOTICE_EVERY, name="undelivered-notices"
        )


async def send_notices(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Tell each person whose reply was lost that their answers are saved; keep the rest."""
    found: Services = context.application.bot_data[SERVICES_KEY]
    store = found.store
    now = store.now()
    screen = Screen(
        found.texts.plain("delivery.failed"),
        (
            (Button(found.texts.plain("delivery.carry_on"), callbacks.menu("resume")),),
            views.back_to_menu(found.texts),
        ),
    )
    for chat_id, since in store.undelivered():
        if now - since > NOTICE_GIVE_UP:
            store.clear_undelivered(chat_id)
            continue
        try:
            await send_to_chat(context.bot, chat_id, screen)
        except Forbidden:
            log.info("a chat owed a notice has blocked the bot: notice dropped")
        except NetworkError as error:
            if isinstance(error, BadRequest):
                log.warning("Telegram refused a notice: %s", error.message)
            else:
                log.info("Telegram is still not answering (%s): notices wait", error)
                return
        except RetryAfter:
            return
        store.clear_undelivered(chat_id)
