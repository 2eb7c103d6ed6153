"""The load benchmark: many people at once through the real Application, against a bare bot.

Run it as ``workforce-guide bench`` (``--help`` lists the options). Each simulated person does a
whole self-evaluation (every statement rated with a button the bot sent, half of them with a
note, one Back), three searches and an export; with ``--team`` people come in rounds of eight
(one organiser, seven members) and the organiser then opens the results, the chart and the
exports.

How the figures are made fair:

- The bot is the one `build_application` builds, on an on-disk SQLite database (WAL, the
  production pragmas, the durable update inbox). Updates reach it the way polling brings
  them: handed to the in-process Telegram, fetched with getUpdates in batches of up to 100
  (through the inbox, which keeps each one before it can be confirmed), then handled as the
  running Application handles what it takes off its queue: a task per update through its
  update processor (ours, `PerPersonOrder`, runs different people's side by side and each
  person's in order). The only settings changed are limits that belong to Telegram, not to
  the bot: the overall send rate (the stand-in has none) and the per-person flood limit
  (simulated people tap far faster than anyone can; the gate still runs, with a limit nobody
  reaches).
- The in-process Telegram runs without history, so what it keeps does not grow with the run.
- The floor is a bare python-telegram-bot Application with one handler replying once to every
  message and button, handling as many updates at once as ours (its own update processor),
  fed the very same updates (recorded to a file during our run) in the very same batches,
  over the same kind of transport.
- Throughput counts only the time spent inside the bot (getUpdates and handling), for both;
  building the people's updates is Telegram's work and not counted; a batch's handling counts
  by the wall clock, from getUpdates' answer to its last update done. Latency is per update,
  from getUpdates' answer (the update is in the bot's hands) to the bot's last reply to it:
  at full load that includes waiting for the rest of its batch of 100, for both bots.
- Then a few more people (`ALONE_PEOPLE`) go through, one update at a time, for both bots:
  the latency of an update when nothing else is in hand, which is what a person meets at any
  pace people really keep (the per step figures come from this pass, where they are exact).
- Peak RSS is read right after our run, before the floor runs; ``--scale`` runs each point in
  a fresh process so the peaks are separate.
"""

from __future__ import annotations

import argparse
import array
import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import IO, Any, TextIO

DEFAULT_PEOPLE = 500
SMOKE_PEOPLE = 5
TEAM_SIZE = 8  # an organiser and seven members
BATCH = 100  # getUpdates' ceiling, as the Updater asks for
# People who then go through one update at a time, after the others: latency when the bot
# has nothing else in hand (500 people in the same hour send about 3 updates a second).
ALONE_PEOPLE = 20
NO_WAIT = timedelta(0)  # the updates are already there: no long poll
SCALE_POINTS = (50, 500, 5000)
SCALE_PREFILLED_PEOPLE = 500
PREFILLED_ANSWERS = 100_000
PREFILL_PER_TRANSACTION = 500  # evaluations written per transaction while prefilling
BACK_AT = 3  # each person goes Back once, from the note prompt of this statement
STARTUP_REPEATS = 3
SEARCH_REPEATS = 2
# Far beyond any person: the flood gate still runs, but never holds a simulated person back.
UNREACHABLE_FLOOD = 1_000_000
USER_ID_BASE = 50_000_000
ORGANISATIONS = ("Leeds City Council", "Kirklees Council", "Wakefield Council", "York Council")
# Searches as carers and managers type them: answers, a typo, a "did you mean" and a miss.
SEARCHES = (
    "safe stafing",
    "how much is the care I give worth",
    "physio",
    "positive behaviour support training",
    "pizza delivery near me",
    "autism awareness",
    "supervision",
    "recruitment and retention",
    "oliver mcgowan",
)
ROUND_CODE = re.compile(r"start=([0-9A-Za-z_-]+)")
MB = 1024 * 1024

log = logging.getLogger(__name__)


class BenchError(RuntimeError):
    """A simulated person could not go on: the bot showed something the script did not expect."""


# ---------------------------------------------------------------------------------------------
# What a person does
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Send:
    """Type a message."""

    text: str
    step: str


@dataclass(frozen=True)
class Tap:
    """Tap the button with this label on the newest message with buttons."""

    label: str
    step: str


Action = Send | Tap | None  # None: wait (for the round's code, or for the team to finish)
Script = Iterator[Action]


@dataclass
class Team:
    """A round of eight: its join code once the organiser has it, and who has finished."""

    size: int
    code: str | None = None
    finished: int = 0


class Person:
    """One simulated person in a private chat with the bot, reading what it last sent."""

    def __init__(self, index: int, transport: Any) -> None:
        from bot.telegram.local_transport import private_chat_json, user_json

        self.index = index
        self.first_name = f"Person{index}"
        self.user = user_json(USER_ID_BASE + index, self.first_name)
        self.chat = private_chat_json(self.user)
        self.chat_id = int(self.chat["id"])
        self.transport = transport
        self.bot_id = int(transport.bot_user["id"])
        self.script: Script = iter(())
        transport.add_chat(self.chat)

    def _bot_messages(self) -> list[Any]:
        return [
            m
            for m in self.transport.chat_messages(self.chat_id)
            if m.sender.get("id") == self.bot_id
        ]

    def keyboard(self) -> Any:
        """Return the bot's newest message with buttons."""
        with_buttons = [m for m in self._bot_messages() if m.inline_keyboard]
        if not with_buttons:
            raise BenchError(f"{self.first_name}: the bot has sent no buttons")
        return with_buttons[-1]

    def labels(self) -> list[str]:
        """Return the labels of the newest buttons."""
        return [label for row in self.keyboard().buttons for label in row]

    def last_text(self) -> str:
        """Return the text of the bot's newest message."""
        messages = self._bot_messages()
        return (messages[-1].text or "") if messages else ""

    def label_starting(self, prefix: str) -> str:
        """Return the first button label starting with ``prefix``."""
        for label in self.labels():
            if label.startswith(prefix):
                return label
        raise BenchError(f"{self.first_name}: no button starting {prefix!r} in {self.labels()}")

    def update_for(self, action: Send | Tap) -> dict[str, Any]:
        """Build the update Telegram would deliver for this action."""
        if isinstance(action, Send):
            return dict(self.transport.incoming_message(self.chat, self.user, action.text))
        message = self.keyboard()
        button = message.find_button(action.label)
        if button is None or "callback_data" not in button:
            raise BenchError(
                f"{self.first_name}: no button {action.label!r} under "
                f"{(message.text or '')[:60]!r}; buttons: {self.labels()}"
            )
        return dict(
            self.transport.incoming_callback_query(
                self.chat_id, message.message_id, str(button["callback_data"]), self.user
            )
        )


def rate_all(person: Person, texts: Any) -> Script:
    """Rate every statement with the buttons sent, a note on every other one, one Back."""
    skip, back = texts.plain("button.skip"), texts.plain("button.back")
    rated = answered = 0
    went_back = False
    while True:
        labels = person.labels()
        levels = [label for label in labels if label[:1].isdigit()]
        if levels:
            yield Tap(levels[(person.index + rated) % len(levels)], "rate")
            rated += 1
        elif skip in labels:  # the note prompt after a rating
            if rated == BACK_AT and not went_back:
                went_back = True
                yield Tap(back, "back")
                continue
            if (person.index + answered) % 2 == 0:
                yield Send(f"Evidence {answered + 1} from {person.first_name}", "note")
            else:
                yield Tap(skip, "skip-note")
            answered += 1
        else:
            return  # the summary: every statement is answered


def solo(person: Person, texts: Any) -> Script:
    """Evaluate alone from /start, then search three times and export."""
    yield Send("/start", "start")
    yield Tap(texts.plain("menu.evaluate"), "menu")
    yield Send(ORGANISATIONS[person.index % len(ORGANISATIONS)], "organisation")
    yield from rate_all(person, texts)
    for n in range(3):
        yield Send(SEARCHES[(person.index * 3 + n) % len(SEARCHES)], "search")
    yield Send("/export", "export")


def organiser(person: Person, team: Team, texts: Any) -> Script:
    """Set up a round, rate in it, wait for the team, then results, chart and exports."""
    yield Send("/team", "team")
    yield Tap(texts.plain("team.start"), "team-setup")
    yield Send(ORGANISATIONS[person.index % len(ORGANISATIONS)], "team-setup")
    yield Tap(person.label_starting("Use “"), "team-setup")  # the suggested round name
    yield Tap(texts.plain("team.create"), "team-setup")
    yield Tap(texts.plain("team.use_first_name").format(first_name=person.first_name), "team-setup")
    found = ROUND_CODE.search(person.last_text())
    if found is None:
        raise BenchError(f"{person.first_name}: no join link in {person.last_text()[:80]!r}")
    team.code = found[1]
    yield Tap(texts.plain("team.rate_now"), "team-rate")
    yield from rate_all(person, texts)
    team.finished += 1
    while team.finished < team.size:
        yield None
    yield Send("/team", "team")
    yield Tap(person.label_starting("1. "), "team-round")
    yield Tap(texts.plain("team.btn.results"), "results")
    while texts.plain("page.next") in person.labels():
        yield Tap(texts.plain("page.next"), "results")
    yield Tap(texts.plain("team.btn.chart"), "chart")
    yield Tap(texts.plain("team.back_to_round"), "team-round")
    yield Tap(texts.plain("team.btn.export"), "team-export")


def member(person: Person, team: Team, texts: Any) -> Script:
    """Join by the organiser's link, choose a name, rate every statement."""
    while team.code is None:
        yield None
    yield Send(f"/start {team.code}", "join")
    yield Send(person.first_name, "join")
    yield from rate_all(person, texts)
    team.finished += 1


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


class SqlCounter:
    """Count the SQL statements SQLite runs (a sqlite3 trace callback), by verb when asked."""

    def __init__(self, by_verb: bool = False) -> None:
        self.count = 0
        self.by_verb = by_verb
        self.verbs: list[str] = []  # the Store verbs being run, outermost first
        self.statements: Counter[str] = Counter()  # "verb: SQL head" -> count
        self.calls: Counter[str] = Counter()  # Store verb -> calls

    def __call__(self, sql: str) -> None:
        self.count += 1
        if self.by_verb:
            verb = self.verbs[0] if self.verbs else "(outside any verb)"
            self.statements[f"{verb}: {_sql_head(sql)}"] += 1

    def watch(self, store: Any) -> None:
        """Attribute statements to the Store verb that ran them (profiling only: it costs)."""
        for name in dir(type(store)):
            attribute = getattr(type(store), name)
            if name.startswith("__") or not callable(attribute) or isinstance(attribute, type):
                continue
            if name in ("transaction", "open"):
                continue  # a context manager and a constructor: nothing to wrap
            setattr(store, name, self._wrap(name, getattr(store, name)))

    def _wrap(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            if not self.verbs:
                self.calls[name] += 1
            self.verbs.append(name)
            try:
                return method(*args, **kwargs)
            finally:
                self.verbs.pop()

        return run


def _sql_head(sql: str) -> str:
    """Return a statement's verb and table ("INSERT answers"), or its first word."""
    words = sql.split()
    if not words:
        return "?"
    verb = words[0].upper()
    upper = [word.upper() for word in words]
    if verb == "UPDATE" and len(words) > 1:
        return f"UPDATE {words[1]}"
    for keyword in ("INTO", "FROM"):
        if keyword in upper and upper.index(keyword) + 1 < len(words):
            return f"{verb} {words[upper.index(keyword) + 1]}"
    return verb


@dataclass
class Side:
    """What one bot (ours or the floor) did with the updates."""

    updates: int = 0
    bot_seconds: float = 0.0
    fetch_seconds: float = 0.0
    getupdates_calls: int = 0
    latencies: array.array[float] = field(default_factory=lambda: array.array("d"))
    api_calls: Counter[str] = field(default_factory=Counter)
    sql: int = 0
    steps: dict[str, StepStats] = field(default_factory=dict)

    def figures(self) -> dict[str, Any]:
        """Return the JSON figures."""
        ordered = sorted(self.latencies)
        calls = sum(n for method, n in self.api_calls.items() if method != "getUpdates")
        return {
            "updates": self.updates,
            "bot_seconds": round(self.bot_seconds, 3),
            "updates_per_second": round(self.updates / self.bot_seconds, 1)
            if self.bot_seconds
            else 0.0,
            "latency_ms": {
                "p50": _ms(_percentile(ordered, 0.50)),
                "p95": _ms(_percentile(ordered, 0.95)),
                "p99": _ms(_percentile(ordered, 0.99)),
                "max": _ms(ordered[-1] if ordered else 0.0),
            },
            "fetch_ms_per_update": _ms(self.fetch_seconds / self.updates) if self.updates else 0,
            "api_calls_per_update": round(calls / self.updates, 2) if self.updates else 0.0,
            "api_calls": dict(sorted(self.api_calls.items())),
            "sql_per_update": round(self.sql / self.updates, 2) if self.updates else 0.0,
        }


@dataclass
class StepStats:
    """Per kind of step (a rating tap, a note, a search...): how many, how long, what it cost."""

    latencies: list[float] = field(default_factory=list)
    api_calls: int = 0
    sql: int = 0

    def figures(self) -> dict[str, Any]:
        """Return the JSON figures."""
        ordered = sorted(self.latencies)
        n = len(ordered)
        return {
            "updates": n,
            "p50_ms": _ms(_percentile(ordered, 0.5)),
            "p99_ms": _ms(_percentile(ordered, 0.99)),
            "api_calls_per_update": round(self.api_calls / n, 2),
            "sql_per_update": round(self.sql / n, 2),
        }


def _percentile(ordered: Sequence[float], share: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


class Driver:
    """Feed people's updates to an Application the way polling does, and time it."""

    def __init__(
        self,
        application: Any,
        transport: Any,
        side: Side,
        sql: SqlCounter | None = None,
        per_step: bool = False,
        batch: int = BATCH,
    ) -> None:
        self.application = application
        self.transport = transport
        self.side = side
        self.sql = sql
        self.per_step = per_step
        self.batch = batch
        self.offset: int | None = None
        self.steps: dict[int, str] = {}

    async def deliver(self, updates: Sequence[dict[str, Any]], steps: Sequence[str]) -> None:
        """Hand updates to Telegram, then fetch and handle them as the polling bot would."""
        from telegram import Update

        for update, step in zip(updates, steps, strict=True):
            self.transport.queue_update(update)
            self.steps[int(update["update_id"])] = step
        remaining = len(updates)
        side = self.side
        while remaining:
            started = time.perf_counter()
            fetched = await self.application.bot.get_updates(
                offset=self.offset,
                limit=self.batch,
                timeout=NO_WAIT,
                allowed_updates=Update.ALL_TYPES,
            )
            fetched_at = time.perf_counter()
            side.fetch_seconds += fetched_at - started
            side.bot_seconds += fetched_at - started
            side.getupdates_calls += 1
            if not fetched:
                raise BenchError("getUpdates returned nothing while updates were waiting")
            # As the Application does with each update it takes off its queue: a task per
            # update through its update processor (ours keeps each person's in order).
            await asyncio.gather(
                *(asyncio.create_task(self._process(u, fetched_at)) for u in fetched)
            )
            # Wall time, not a sum per update: updates handled side by side count once.
            side.bot_seconds += time.perf_counter() - fetched_at
            self.offset = fetched[-1].update_id + 1
            remaining -= len(fetched)

    async def _process(self, update: Any, handed_at: float) -> None:
        step = self.steps.pop(update.update_id)
        application = self.application
        await application.update_processor.process_update(
            update, self._timed(application.process_update(update), step, handed_at)
        )

    async def _timed(self, handling: Any, step: str, handed_at: float) -> None:
        """Handle one update, timing it from getUpdates' answer to the bot's last reply."""
        side, counts = self.side, self.transport.call_counts
        calls_before = counts.total() - counts["getUpdates"]
        sql_before = self.sql.count if self.sql else 0
        begun = time.perf_counter()
        await handling
        ended = time.perf_counter()
        last_reply = self.transport.last_answer_at
        # The last reply to anyone: ours if it came while this update was being handled.
        latency = (last_reply if begun < last_reply <= ended else ended) - handed_at
        side.latencies.append(latency)
        side.updates += 1
        if self.per_step:
            stats = side.steps.setdefault(step, StepStats())
            stats.latencies.append(latency)
            stats.api_calls += counts.total() - counts["getUpdates"] - calls_before
            stats.sql += (self.sql.count if self.sql else 0) - sql_before


async def drive(people: Sequence[Person], driver: Driver, record: IO[str] | None = None) -> None:
    """Run every person's script, one action each per tick, until all are done."""
    active = list(people)
    while active:
        updates: list[dict[str, Any]] = []
        steps: list[str] = []
        still: list[Person] = []
        delivered = False
        for person in active:
            try:
                action = next(person.script)
            except StopIteration:
                continue
            still.append(person)
            if action is not None:
                updates.append(person.update_for(action))
                steps.append(action.step)
            if len(updates) == driver.batch:
                # A batch at a time, as getUpdates takes them: a tick of 5,000 people built
                # whole held 5,000 updates (with the messages their taps came from) at once,
                # the harness's memory that the peak RSS then counted as the bot's.
                await _deliver(driver, updates, steps, record)
                updates, steps, delivered = [], [], True
        progressed = len(still) < len(active)  # someone finished (others may wait for them)
        active = still
        if updates:
            await _deliver(driver, updates, steps, record)
        elif not delivered and active and not progressed:
            raise BenchError(f"{len(active)} people are all waiting: nobody can go on")


async def _deliver(
    driver: Driver, updates: list[dict[str, Any]], steps: list[str], record: IO[str] | None
) -> None:
    if record is not None:
        record.write(json.dumps(updates, ensure_ascii=False) + "\n")
    await driver.deliver(updates, steps)


async def _replay(recording: Path, driver: Driver) -> None:
    """Hand the floor the updates recorded during our run, in the very same batches."""
    with recording.open(encoding="utf-8") as record:
        for line in record:
            updates = json.loads(line)
            await driver.deliver(updates, ["floor"] * len(updates))


# ---------------------------------------------------------------------------------------------
# The two bots
# ---------------------------------------------------------------------------------------------


def bench_settings(database: Path) -> Any:
    """Return production settings, less the limits that are Telegram's rather than ours."""
    from bot.config import FloodLimit, Settings

    settings = Settings(database=database)
    changes: dict[str, Any] = {}
    names = {f.name for f in dataclasses.fields(settings)}
    if "sends_per_second" in names:
        changes["sends_per_second"] = 0  # the stand-in has no overall send limit to keep under
    if "flood" in names:
        changes["flood"] = FloodLimit(burst=UNREACHABLE_FLOOD, per_second=UNREACHABLE_FLOOD)
    return dataclasses.replace(settings, **changes)


def build_floor(transport: Any) -> Any:
    """Return a bare Application with one handler replying once to every message and button."""
    from telegram import Update
    from telegram.ext import (
        ApplicationBuilder,
        CallbackQueryHandler,
        ContextTypes,
        MessageHandler,
        filters,
    )

    from bot.telegram.app import LOCAL_TOKEN
    from bot.telegram.ordering import MAX_CONCURRENT

    async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query is not None:
            await update.callback_query.answer()
        elif update.effective_message is not None:
            await update.effective_message.reply_text("OK")

    # Updates side by side, as many at once as ours (without our per-person order).
    application = (
        ApplicationBuilder()
        .token(LOCAL_TOKEN)
        .request(transport)
        .get_updates_request(transport)
        .concurrent_updates(MAX_CONCURRENT)
        .build()
    )
    application.add_handler(MessageHandler(filters.ALL, reply))
    application.add_handler(CallbackQueryHandler(reply))
    return application


@dataclass
class Options:
    """What to run."""

    people: int = DEFAULT_PEOPLE
    team: bool = False
    database_from: Path | None = None
    profile: Path | None = None
    startup: bool = True
    search: bool = True
    steps: bool = True


async def run_once(options: Options, workdir: Path) -> dict[str, Any]:
    """Run our bot and the floor on the same updates; return every figure."""
    from telegram.ext import Application

    from bot.telegram.app import build_application
    from bot.telegram.local_transport import LocalTelegram
    from bot.telegram.services import SERVICES_KEY

    database = workdir / "bench.db"
    prefilled = 0
    if options.database_from is not None:
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{options.database_from}{suffix}")
            if source.exists():
                shutil.copyfile(source, f"{database}{suffix}")
        prefilled = _answers_in(options.database_from)
    recording = workdir / "updates.jsonl"
    transport = LocalTelegram(keep_history=False)
    application = build_application(bench_settings(database), request=transport)
    errors: list[BaseException] = []

    async def count_error(update: object, context: Any) -> None:
        if context.error is not None:
            errors.append(context.error)

    application.add_error_handler(count_error)
    store = application.bot_data[SERVICES_KEY].store
    texts = application.bot_data[SERVICES_KEY].texts
    sql = SqlCounter(by_verb=options.profile is not None)
    if options.profile is not None:
        sql.watch(store)
    ours, ours_alone = Side(), Side()
    people = [Person(index, transport) for index in range(options.people)]
    _assign_scripts(people, options.team, texts)
    statements = len(application.bot_data[SERVICES_KEY].guide.content.statements)
    alone_count = min(ALONE_PEOPLE, options.people)
    expected, alone_expected = options.people * statements, alone_count * statements
    alone_recording = workdir / "alone.jsonl"

    async with application:
        if application.post_init is not None:
            await application.post_init(application)  # as run_polling does before polling
        await application.start()
        try:
            store.db.conn.set_trace_callback(sql)
            driver = Driver(application, transport, ours, sql)
            calls_before = Counter(transport.call_counts)  # getMe, setMyCommands: not updates
            profiler = _profiler() if options.profile is not None else None
            with recording.open("w", encoding="utf-8") as record:
                if profiler is not None:
                    profiler.start()
                await drive(people, driver, record)
                if profiler is not None:
                    profiler.stop()
            store.db.conn.set_trace_callback(None)
            ours.sql = sql.count
            ours.api_calls = Counter(transport.call_counts) - calls_before
            peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            checks = _check(store, people, expected, errors, transport)
            # Then a few more people, one update at a time: what a person's update costs when
            # nobody else's is in hand (per step figures are exact only here).
            alone = [Person(options.people + n, transport) for n in range(alone_count)]
            _assign_scripts(alone, options.team, texts)
            store.db.conn.set_trace_callback(sql)
            one_by_one = Driver(application, transport, ours_alone, sql, options.steps, batch=1)
            one_by_one.offset = driver.offset  # the last batch is confirmed, as polling goes on
            with alone_recording.open("w", encoding="utf-8") as record:
                await drive(alone, one_by_one, record)
            store.db.conn.set_trace_callback(None)
            alone_checks = _check(store, alone, alone_expected, errors, transport)
        finally:
            await application.stop()
    database_bytes = sum(
        Path(f"{database}{suffix}").stat().st_size
        for suffix in ("", "-wal")
        if Path(f"{database}{suffix}").exists()
    )
    del people, driver, alone, one_by_one

    floor, floor_alone = Side(), Side()
    floor_transport = LocalTelegram(keep_history=False)
    floor_app: Application[Any, Any, Any, Any, Any, Any] = build_floor(floor_transport)
    async with floor_app:
        await floor_app.start()
        try:
            floor_driver = Driver(floor_app, floor_transport, floor)
            floor_before = Counter(floor_transport.call_counts)
            await _replay(recording, floor_driver)
            floor.api_calls = Counter(floor_transport.call_counts) - floor_before
            floor_one_by_one = Driver(floor_app, floor_transport, floor_alone, batch=1)
            floor_one_by_one.offset = floor_driver.offset
            await _replay(alone_recording, floor_one_by_one)
        finally:
            await floor_app.stop()

    result: dict[str, Any] = {
        "people": options.people,
        "mode": "team" if options.team else "solo",
        "prefilled_answers": prefilled,
        "ours": ours.figures(),
        "floor": floor.figures(),
    }
    ours_rate = result["ours"]["updates_per_second"]
    floor_rate = result["floor"]["updates_per_second"]
    result["ratio"] = round(ours_rate / floor_rate, 3) if floor_rate else 0.0
    result["peak_rss_mb"] = round(peak_rss / MB, 1)
    result["database_mb"] = round(database_bytes / MB, 2)
    result["checks"] = checks
    result["one_at_a_time"] = {
        "people": alone_count,
        "ours": ours_alone.figures(),
        "floor": floor_alone.figures(),
        "checks": alone_checks,
    }
    if options.steps:
        result["steps"] = {step: s.figures() for step, s in sorted(ours_alone.steps.items())}
    if options.profile is not None and profiler is not None:
        _write_profile(profiler, options.profile)
        result["profile"] = str(options.profile)
        result["sql_by_verb"] = dict(sql.statements.most_common())
        result["verb_calls"] = dict(sql.calls.most_common())
    return result


def _assign_scripts(people: Sequence[Person], team: bool, texts: Any) -> None:
    if not team:
        for person in people:
            person.script = solo(person, texts)
        return
    for start in range(0, len(people), TEAM_SIZE):
        group = people[start : start + TEAM_SIZE]
        round_ = Team(size=len(group))
        group[0].script = organiser(group[0], round_, texts)
        for person in group[1:]:
            person.script = member(person, round_, texts)


def _check(
    store: Any,
    people: Sequence[Person],
    expected: int,
    errors: Sequence[BaseException],
    transport: Any,
) -> dict[str, Any]:
    """Check every person's answers were stored, and nothing failed or was refused."""
    stored = finished = 0
    for person in people:
        participant = store.participant_for(str(person.user["id"]))
        for evaluation in store.evaluations_for(participant):
            stored += len(store.answers_for(evaluation.id))
            finished += evaluation.status == "finished"
    return {
        "answers_expected": expected,
        "answers_stored": stored,
        "evaluations_finished": finished,
        "handler_errors": len(errors),
        "refused_calls": dict(transport.refusal_counts),
    }


def _answers_in(database: Path) -> int:
    from storage import Store

    with Store.open(database) as store:
        # Counted, not loaded: 100,000 rows read here would be in the peak RSS measured later.
        return store.answer_count()


def _profiler() -> Any:
    try:
        from pyinstrument import Profiler
    except ImportError as error:
        raise SystemExit(
            "--profile needs pyinstrument: pip install -e '.[bench]' (the bench extra)"
        ) from error
    # Everything on this thread, not only the awaiting task: handlers run inside it anyway.
    return Profiler(interval=0.0005, async_mode="disabled")


def _write_profile(profiler: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".html":
        path.write_text(profiler.output_html(), encoding="utf-8")
    else:
        path.write_text(profiler.output_text(unicode=True, color=False), encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Start-up, search, prefilling
# ---------------------------------------------------------------------------------------------

_PROBE = """
import asyncio, json, sys, tempfile, time
began = time.perf_counter()
from pathlib import Path
from bot.telegram.local_transport import LocalTelegram
kind = sys.argv[1]
if kind == "ours":
    from bench.load import bench_settings
    from bot.telegram.app import build_application
else:
    from bench.load import build_floor
imported = time.perf_counter()
async def main():
    with tempfile.TemporaryDirectory() as folder:
        transport = LocalTelegram(keep_history=False)
        if kind == "ours":
            app = build_application(bench_settings(Path(folder) / "start.db"), request=transport)
        else:
            app = build_floor(transport)
        built = time.perf_counter()
        await app.initialize()
        if app.post_init is not None:
            await app.post_init(app)
        ready = time.perf_counter()
        await app.shutdown()
        return built, ready
built, ready = asyncio.run(main())
print(json.dumps({"import": imported - began, "build": built - imported,
                  "initialize": ready - built, "total": ready - began}))
"""


def measure_startup(repeats: int = STARTUP_REPEATS) -> dict[str, Any]:
    """Time a fresh process from imports to ready, ours against a bare bot (medians)."""
    runs: dict[str, list[dict[str, float]]] = {"ours": [], "bare": []}
    for _ in range(repeats):
        for kind in runs:
            done = subprocess.run(
                [sys.executable, "-c", _PROBE, kind],
                capture_output=True,
                text=True,
                check=True,
                env=_child_env(),
            )
            runs[kind].append(json.loads(done.stdout.strip().splitlines()[-1]))
    medians = {
        kind: {phase: round(statistics.median(r[phase] for r in found), 3) for phase in found[0]}
        for kind, found in runs.items()
    }
    return {
        **medians,
        "difference_s": round(medians["ours"]["total"] - medians["bare"]["total"], 3),
    }


def measure_search() -> dict[str, Any]:
    """Time the search on the synthetic 10,000-entry catalogue (the search benchmark's)."""
    from bench.search_quality import (
        QUERY_SETS,
        SYNTHETIC_SIZE,
        load_catalogue,
        load_queries,
        synthetic_catalogue,
        time_search,
    )

    resources, vocabulary = load_catalogue()
    queries = [q.query for path in QUERY_SETS.values() for q in load_queries(path)]
    timing = time_search(
        synthetic_catalogue(resources, SYNTHETIC_SIZE), vocabulary, queries, SEARCH_REPEATS
    )
    return {
        "entries": timing.entries,
        "queries": len(queries) * SEARCH_REPEATS,
        "build_ms": round(timing.build_ms, 1),
        "p50_ms": round(timing.median_ms, 3),
        "p99_ms": round(timing.p99_ms, 3),
    }


def prefill(database: Path, answers: int = PREFILLED_ANSWERS) -> int:
    """Fill a database with other people's finished evaluations, through the Store's verbs."""
    from bot.loading import load_guide
    from storage import Store

    statements = [s.id for s in load_guide().content.statements]
    evaluations = -(-answers // len(statements))
    with Store.open(database) as store:
        for start in range(0, evaluations, PREFILL_PER_TRANSACTION):
            with store.transaction():
                for n in range(start, min(evaluations, start + PREFILL_PER_TRANSACTION)):
                    participant = store.participant_for(f"prefill-{n}")
                    organisation = ORGANISATIONS[n % len(ORGANISATIONS)]
                    evaluation = store.start_evaluation(participant, organisation)
                    for k, statement in enumerate(statements):
                        store.record_rating(evaluation, statement, (n + k) % 5 + 1)
                        if (n + k) % 2 == 0:
                            store.record_note(evaluation, statement, f"Evidence {k} of {n}")
                    store.finish_evaluation(evaluation)
    return evaluations * len(statements)


def machine() -> dict[str, Any]:
    """Describe the machine and the software the figures come from."""
    import sqlite3

    import telegram

    cpu = platform.processor() or "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "python_telegram_bot": telegram.__version__,
        "system": f"{platform.system()} {platform.release()}",
    }


def _child_env() -> dict[str, str]:
    """Return an environment in which a child Python finds this copy of bot/ and bench/."""
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


# ---------------------------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of `workforce-guide bench`."""
    parser = argparse.ArgumentParser(
        prog="workforce-guide bench",
        description="Load benchmark: simulated people through the real bot, against a bare bot.",
    )
    parser.add_argument(
        "--people", type=int, help=f"people at once ({DEFAULT_PEOPLE}; {SMOKE_PEOPLE} with --smoke)"
    )
    parser.add_argument("--team", action="store_true", help="rounds of 8: results, chart, exports")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--scale",
        action="store_true",
        help="50, 500 and 5,000 people, and 500 on a database with 100,000 answers",
    )
    parser.add_argument("--smoke", action="store_true", help=f"{SMOKE_PEOPLE} people, quickly")
    parser.add_argument(
        "--profile", type=Path, metavar="FILE", help="write a pyinstrument profile (.txt/.html)"
    )
    parser.add_argument(
        "--prefill",
        type=int,
        default=0,
        metavar="ANSWERS",
        help="start from a database already holding this many answers",
    )
    parser.add_argument("--database-from", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up timing")
    parser.add_argument("--no-search", action="store_true", help="skip the search timing")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the benchmark and print its figures."""
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # httpx is never used here, but its INFO lines would carry a token if it were.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if args.scale:
        result = run_scale()
    else:
        people = args.people
        if people is None:
            people = SMOKE_PEOPLE if args.smoke else DEFAULT_PEOPLE
        if people < 1:
            raise SystemExit("--people must be at least 1")
        options = Options(
            people=people,
            team=args.team,
            database_from=args.database_from,
            profile=args.profile,
        )
        with tempfile.TemporaryDirectory(prefix="workforce-bench-") as folder:
            if args.prefill and options.database_from is None:
                options.database_from = Path(folder) / "prefilled.db"
                prefill(options.database_from, args.prefill)
            workdir = Path(folder) / "run"
            workdir.mkdir()
            result = asyncio.run(run_once(options, workdir))
        if not args.no_startup:
            result["startup_s"] = measure_startup(1 if args.smoke else STARTUP_REPEATS)
        if not args.no_search:
            result["search"] = measure_search()
        result["machine"] = machine()
    if args.json:
        print(json.dumps(result, indent=None if not args.scale else 1), file=out)
    else:
        _print_human(result, out)
    return 0


def run_scale() -> dict[str, Any]:
    """Run every point of the scale curve, each in a fresh process (its own peak RSS)."""
    points: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="workforce-bench-") as folder:
        for people in SCALE_POINTS:
            points.append(_child(["--people", str(people)]))
        prefilled = Path(folder) / "prefilled.db"
        _prefill_in_child(prefilled)
        points.append(
            _child(["--people", str(SCALE_PREFILLED_PEOPLE), "--database-from", str(prefilled)])
        )
    return {
        "points": points,
        "startup_s": measure_startup(),
        "search": measure_search(),
        "machine": machine(),
    }


def _child(arguments: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.load", "--json", "--no-startup", "--no-search", *arguments],
        capture_output=True,
        text=True,
        env=_child_env(),
    )
    if done.returncode != 0:
        raise BenchError(f"bench {' '.join(arguments)} failed:\n{done.stderr[-2000:]}")
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    found.pop("machine", None)
    return found


def _prefill_in_child(database: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from bench.load import prefill; "
            "prefill(Path(sys.argv[1]))",
            str(database),
        ],
        check=True,
        env=_child_env(),
    )


def _print_human(result: dict[str, Any], out: TextIO) -> None:
    points = result.get("points", [result])
    print(
        f"{'people':>6} {'mode':<5} {'prefilled':>9} {'ours/s':>8} {'floor/s':>8} {'ratio':>6} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'calls/u':>7} {'sql/u':>6} "
        f"{'RSS MB':>7} {'DB MB':>7}",
        file=out,
    )
    for p in points:
        ours = p["ours"]
        latency = ours["latency_ms"]
        print(
            f"{p['people']:>6} {p['mode']:<5} {p['prefilled_answers']:>9} "
            f"{ours['updates_per_second']:>8.0f} {p['floor']['updates_per_second']:>8.0f} "
            f"{p['ratio']:>6.2f} {latency['p50']:>7.2f} {latency['p95']:>7.2f} "
            f"{latency['p99']:>7.2f} {ours['api_calls_per_update']:>7.2f} "
            f"{ours['sql_per_update']:>6.1f} {p['peak_rss_mb']:>7.1f} {p['database_mb']:>7.2f}",
            file=out,
        )
        checks = p["checks"]
        print(
            f"       answers stored {checks['answers_stored']} of {checks['answers_expected']}, "
            f"handler errors {checks['handler_errors']}, refused calls "
            f"{checks['refused_calls'] or 'none'}",
            file=out,
        )
        floor = p["floor"]["latency_ms"]
        print(
            f"       floor latency p50 {floor['p50']:.2f} / p95 {floor['p95']:.2f} / "
            f"p99 {floor['p99']:.2f} ms",
            file=out,
        )
        alone = p["one_at_a_time"]
        mine, bare = alone["ours"]["latency_ms"], alone["floor"]["latency_ms"]
        print(
            f"       one update at a time ({alone['people']} people): ours p50 {mine['p50']:.2f} "
            f"/ p95 {mine['p95']:.2f} / p99 {mine['p99']:.2f} ms, floor p50 {bare['p50']:.2f} "
            f"/ p95 {bare['p95']:.2f} / p99 {bare['p99']:.2f} ms",
            file=out,
        )
    if "startup_s" in result:
        s = result["startup_s"]
        print(
            f"start-up: ours {s['ours']['total']:.3f} s, bare {s['bare']['total']:.3f} s, "
            f"difference {s['difference_s']:.3f} s",
            file=out,
        )
    if "search" in result:
        s = result["search"]
        print(
            f"search on {s['entries']} entries: p50 {s['p50_ms']:.3f} ms, "
            f"p99 {s['p99_ms']:.3f} ms (build {s['build_ms']:.0f} ms)",
            file=out,
        )
    if "steps" in result:
        print("per step (ours, one update at a time):", file=out)
        for step, s in result["steps"].items():
            print(
                f"  {step:<12} {s['updates']:>7} updates  p50 {s['p50_ms']:>6.2f} ms  "
                f"p99 {s['p99_ms']:>6.2f} ms  calls {s['api_calls_per_update']:.2f}  "
                f"sql {s['sql_per_update']:.1f}",
                file=out,
            )


if __name__ == "__main__":
    sys.exit(main())
