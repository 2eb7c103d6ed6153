"""Telegram on a bad day: a third of all calls fail, and still nothing is lost or doubled.

Three people do a self-evaluation each against the real `run` over HTTP while the fake Bot
API fails a seeded third of every call the bot makes (getUpdates included): 429 Too Many
Requests with ``retry_after``, 500 and 502, slow answers, and connections dropped before a
call takes effect or after it (so only the answer is lost). The people behave as in the kill
test (`tests/test_run_kill_restart.py`, whose model and checks this reuses): they answer the
question in front of them, and when the bot goes quiet they tap again or send /resume; when
the bot says a message did not reach them, they tap its button to carry on.

At the end every acknowledged answer is stored exactly once, as last given, every update is
handled, nobody saw an error, and the token is nowhere in the output. ``FAULTS_SEED=<seed>``
replays a run (timing makes a replay close, not identical).
"""

from __future__ import annotations

import os
import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.botapi_server import FakeBotApi, Faults
from tests.test_run_cli_local_bot_api import BOT_TOKEN, TOKEN_SECRET, read_output
from tests.test_run_kill_restart import Run, check_database, last_output

FAULT_RATE = 1 / 3
# 429s are the rarest: each one rightly pauses all of the bot's calls for ``retry_after``.
KINDS = ("500", "502", "slow", "drop", "500", "502", "slow", "drop", "429")
# A failed getUpdates only delays everyone (python-telegram-bot waits a second or more before
# polling again), so polls fail less often, or the run would mostly be waiting.
POLL_FAULT_RATE = 0.1
QUIET = 2.0  # seconds a person waits on a silent bot before trying again
PEOPLE = 3
BUDGET = 150.0  # seconds: a hard stop well past the usual run


@pytest.fixture
def server() -> Iterator[FakeBotApi]:
    with FakeBotApi(BOT_TOKEN) as api:
        yield api


def test_a_third_of_calls_failing_loses_and_doubles_nothing(
    server: FakeBotApi, tmp_path: Path
) -> None:
    seed = int(os.environ.get("FAULTS_SEED") or random.SystemRandom().randrange(10**6))
    print(f"faults seed: {seed} (replay with FAULTS_SEED={seed})")
    faults = Faults(rate=FAULT_RATE, seed=seed, kinds=KINDS, poll_rate=POLL_FAULT_RATE)
    run = Run(server, tmp_path, seed, planned_kills=0, people=PEOPLE, budget=BUDGET, quiet=QUIET)
    server.faults = faults
    try:
        try:
            run.play()
        finally:
            server.faults = None  # the clean stop at the end is not part of the test
            returncode = run.stop()
        check_database(run)
        assert returncode == 0, f"`run` did not stop cleanly:\n{last_output(run)}"
        assert run.starts == 1, "the bot never stopped by itself"
        injected = sum(faults.injected.values())
        assert injected >= 40, f"only {injected} faults: {dict(faults.injected)}"
        for kind in ("429", "500", "502", "slow", "drop", "drop after"):
            assert faults.injected[kind], f"no {kind!r} fault in this run"
        harmless = ("query is too old", "message is not modified")
        others = [
            c for c in server.telegram.refusals if not any(h in (c.error or "") for h in harmless)
        ]
        assert not others, f"Telegram refused: {[c.error for c in others]}"
        output = "".join(read_output(log) for log in run.logs)
        assert TOKEN_SECRET not in output, "the bot token appeared in the output of `run`"
    except AssertionError as error:
        raise AssertionError(
            f"[seed {seed}, faults {dict(faults.injected)}, {run.notices_seen} notices; "
            f"replay with FAULTS_SEED={seed}]\n{error}"
        ) from None
    calls = Counter(call.method for call in server.telegram.calls)
    print(f"calls: {dict(calls)}")
    print(f"{run.summary()}; faults {dict(faults.injected)}; {run.notices_seen} notices")
