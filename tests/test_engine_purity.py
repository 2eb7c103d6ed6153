"""The engine stays pure: standard library only, no Telegram, no storage, no YAML, no clock."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "bot" / "engine"
ENGINE_FILES = sorted(ENGINE.glob("*.py"))

# Top-level packages the engine must never pull in, even indirectly.
FORBIDDEN_PACKAGES = ("telegram", "sqlite3", "sqlite_utils", "yaml", "rapidfuzz", "storage")
# Modules that read the clock (or chance): the caller passes such values in.
CLOCK_MODULES = ("time", "datetime", "random")
CLOCK_CALLS = (
    "datetime.now",
    "datetime.utcnow",
    "datetime.today",
    "date.today",
    "time.time",
    "time.time_ns",
    "time.monotonic",
    "time.perf_counter",
)


def imported_modules(source: str) -> list[tuple[str, int]]:
    """Return (module, relative level) for every import in ``source``."""
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(alias.name, 0) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.module or "", node.level))
    return found


def outside_imports(source: str) -> list[str]:
    """Return the imports that are neither standard library nor part of the engine."""
    outside = []
    for module, level in imported_modules(source):
        if level:
            continue  # ``from . import x`` stays inside bot/engine
        top = module.split(".")[0]
        if top in sys.stdlib_module_names or module == "bot.engine":
            continue
        if module.startswith("bot.engine."):
            continue
        outside.append(module)
    return outside


def clock_uses(source: str) -> list[str]:
    """Return every clock module imported and every clock call written in ``source``."""
    uses = [m for m, _ in imported_modules(source) if m.split(".")[0] in CLOCK_MODULES]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute):
            dotted = dotted_name(node)
            if any(dotted == call or dotted.endswith("." + call) for call in CLOCK_CALLS):
                uses.append(dotted)
    return uses


def dotted_name(node: ast.expr) -> str:
    """Return ``a.b.c`` for an attribute chain on a name (or "" for anything else)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted_name(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def test_importing_the_engine_loads_no_forbidden_package() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import sys, bot.engine; print('\\n'.join(sorted(sys.modules)))"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    loaded = set(result.stdout.split())

    assert "bot.engine" in loaded
    pulled_in = sorted(m for m in loaded if m.split(".")[0] in FORBIDDEN_PACKAGES)
    assert pulled_in == []
    others_from_bot = sorted(
        m for m in loaded if m.startswith("bot.") and not m.startswith("bot.engine")
    )
    assert others_from_bot == []


def test_the_engine_has_source_files() -> None:
    assert {p.name for p in ENGINE_FILES} >= {"__init__.py", "model.py", "run.py"}


@pytest.mark.parametrize("path", ENGINE_FILES, ids=lambda p: p.name)
def test_engine_files_import_only_the_standard_library_and_the_engine(path: Path) -> None:
    assert outside_imports(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", ENGINE_FILES, ids=lambda p: p.name)
def test_engine_files_never_read_the_clock(path: Path) -> None:
    assert clock_uses(path.read_text(encoding="utf-8")) == []


# The checks above pass vacuously if they cannot see anything: show they catch what they should.
@pytest.mark.parametrize(
    ("source", "outside"),
    [
        ("import yaml", ["yaml"]),
        ("from telegram import Update", ["telegram"]),
        ("import storage.store", ["storage.store"]),
        ("from bot.loading import load_guide", ["bot.loading"]),
        ("from bot import texts", ["bot"]),
        ("import json\nfrom dataclasses import dataclass", []),
        ("from bot.engine.model import Flow", []),
        ("from .model import Flow", []),
    ],
)
def test_the_import_check_tells_standard_library_from_the_rest(
    source: str, outside: list[str]
) -> None:
    assert outside_imports(source) == outside


@pytest.mark.parametrize(
    ("source", "uses"),
    [
        ("import time\nstamp = time.time()", ["time", "time.time"]),
        ("from datetime import datetime\nnow = datetime.now()", ["datetime", "datetime.now"]),
        ("import datetime\nday = datetime.date.today()", ["datetime", "datetime.date.today"]),
        ("def f(clock):\n    return clock()", []),
    ],
)
def test_the_clock_check_finds_clock_reads(source: str, uses: list[str]) -> None:
    assert clock_uses(source) == uses
