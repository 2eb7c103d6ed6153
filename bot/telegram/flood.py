"""The per-person flood limit: someone sending dozens of messages a second is slowed, alone.

Each person has a bucket of `FloodLimit.burst` updates that refills at `per_second`. An update
that finds the bucket empty is not handled: the first one of a flood gets a short "slow down"
reply, the rest are ignored, so a flood costs the bot almost nothing and everyone else is
answered as usual. Ignored updates are marked handled like any other (a flood is not an
answer the bot acknowledged), and updates replayed at start-up are never limited: they were
sent at a person's pace before a stop.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.config import FloodLimit
from bot.telegram.durable import replaying
from bot.telegram.services import services

log = logging.getLogger(__name__)

GATE_KEY = "flood_gate"  # in bot_data
PRUNE_ABOVE = 10_000  # people tracked before idle (full) buckets are dropped


class Verdict(Enum):
    """What to do with one update."""

    ADMIT = "admit"
    REFUSE_AND_TELL = "refuse-and-tell"  # the first refused update of a flood
    REFUSE = "refuse"


@dataclass
class _Bucket:
    tokens: float
    at: float
    told: bool = False


class FloodGate:
    """Token buckets per person; time is passed in, so the gate is easy to test."""

    def __init__(self, limit: FloodLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.clock = clock
        self._buckets: dict[int, _Bucket] = {}

    def admit(self, person: int) -> Verdict:
        """Take one update from the person's bucket; say whether to handle it."""
        now = self.clock()
        bucket = self._buckets.get(person)
        if bucket is None:
            if len(self._buckets) >= PRUNE_ABOVE:
                self._prune(now)
            bucket = self._buckets[person] = _Bucket(float(self.limit.burst), now)
        else:
            refill = (now - bucket.at) * self.limit.per_second
            bucket.tokens = min(float(self.limit.burst), bucket.tokens + refill)
            bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            bucket.told = False
            return Verdict.ADMIT
        if bucket.told:
            return Verdict.REFUSE
        bucket.told = True
        return Verdict.REFUSE_AND_TELL

    def _prune(self, now: float) -> None:
        full = [
            person
            for person, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.at) * self.limit.per_second >= self.limit.burst
        ]
        for person in full:
            del self._buckets[person]


async def hold_back_floods(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop an update from a person over their flood limit; tell them once per flood."""
    gate = context.bot_data.get(GATE_KEY)
    user = update.effective_user
    if not isinstance(gate, FloodGate) or user is None or replaying():
        return
    verdict = gate.admit(user.id)
    if verdict is Verdict.ADMIT:
        return
    if verdict is Verdict.REFUSE_AND_TELL:
        log.info("a person is over the flood limit: their updates are ignored for a moment")
        await _tell(update, context)
    elif update.callback_query is not None:
        await _answer_quietly(update)
    raise ApplicationHandlerStop


async def _tell(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    texts = services(context).texts
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(texts.plain("flood.slow_down_short"))
        elif update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE:
            await context.bot.send_message(update.effective_chat.id, texts.plain("flood.slow_down"))
    except TelegramError as error:  # the notice is a courtesy: never fail the update for it
        log.info("could not tell a person to slow down: %s", error)


async def _answer_quietly(update: Update) -> None:
    # Telegram shows a spinner on a tapped button until the tap is answered.
    assert update.callback_query is not None
    try:
        await update.callback_query.answer()
    except TelegramError as error:
        log.debug("could not answer a held-back tap: %s", error)
