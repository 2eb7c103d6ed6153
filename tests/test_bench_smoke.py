"""The load benchmark keeps working: `workforce-guide bench --smoke --json` (not a timed test)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMOKE_PEOPLE = 5
STATEMENTS = 7
TIMEOUT = 300  # seconds: a smoke run takes a few; this only stops a hang


def run_bench(*arguments: str) -> dict[str, object]:
    """Run the real command in its own process (it starts its own event loop and children)."""
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "bench", "--smoke", "--json", *arguments],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_smoke_run_reports_every_figure_and_every_answer_is_stored() -> None:
    result = run_bench()
    assert result["people"] == SMOKE_PEOPLE and result["mode"] == "solo"
    checks = result["checks"]
    assert isinstance(checks, dict)
    assert checks["answers_expected"] == SMOKE_PEOPLE * STATEMENTS
    assert checks["answers_stored"] == checks["answers_expected"]
    assert checks["evaluations_finished"] == SMOKE_PEOPLE
    assert checks["handler_errors"] == 0 and checks["refused_calls"] == {}
    ours, floor = result["ours"], result["floor"]
    assert isinstance(ours, dict) and isinstance(floor, dict)
    # The floor saw exactly the updates our bot saw, and answered each with one call.
    assert ours["updates"] == floor["updates"] > SMOKE_PEOPLE * (2 * STATEMENTS + 3)
    assert floor["api_calls_per_update"] == 1.0
    for side in (ours, floor):
        assert side["updates_per_second"] > 0
        latency = side["latency_ms"]
        assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"] <= latency["max"]
    assert ours["sql_per_update"] > 0 and ours["api_calls_per_update"] >= 1
    assert 0 < result["ratio"] < 2  # type: ignore[operator]
    assert result["peak_rss_mb"] > 0 and result["database_mb"] > 0  # type: ignore[operator]
    startup = result["startup_s"]
    assert isinstance(startup, dict)
    assert startup["ours"]["total"] > 0 and startup["bare"]["total"] > 0
    search = result["search"]
    assert isinstance(search, dict) and search["entries"] == 10_000 and search["p99_ms"] > 0
    # Then the same number of people one update at a time, for both bots.
    alone = result["one_at_a_time"]
    assert isinstance(alone, dict) and alone["people"] == SMOKE_PEOPLE
    assert alone["checks"]["answers_stored"] == SMOKE_PEOPLE * STATEMENTS
    assert alone["ours"]["updates"] == alone["floor"]["updates"] == ours["updates"]
    for side in (alone["ours"], alone["floor"]):
        latency = side["latency_ms"]
        assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"] <= latency["max"]
    steps = result["steps"]
    assert isinstance(steps, dict)
    assert {"rate", "note", "skip-note", "back", "search", "export"} <= set(steps)
    assert sum(step["updates"] for step in steps.values()) == alone["ours"]["updates"]
    assert result["machine"]


def test_smoke_team_run_reaches_results_chart_and_exports() -> None:
    result = run_bench("--team", "--people", "8", "--no-startup", "--no-search")
    assert result["mode"] == "team"
    checks = result["checks"]
    assert isinstance(checks, dict)
    assert checks["answers_stored"] == checks["answers_expected"] == 8 * STATEMENTS
    assert checks["handler_errors"] == 0 and checks["refused_calls"] == {}
    steps = result["steps"]
    assert isinstance(steps, dict)
    assert {"join", "results", "chart", "team-export"} <= set(steps)
