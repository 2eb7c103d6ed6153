"""The shipped wording is as easy to read as each reader needs, by Flesch reading ease.

Flesch reading ease (textstat) is higher for shorter sentences and shorter words: 60 and over
is plain English for most adults, 80 and over is easy. The floors:

- a statement's one-line summary (``plain``): 50, since it has to use the guide's own terms;
- easy read (statements and scale levels): 80, and a statement's easy read is 30 to 50 words;
- resource summaries, glossary meanings and the About text: 60.

HTML tags and {placeholders} are taken out before scoring, and each line counts as a sentence.
A score is a guide, not a verdict: when one fails, reword with shorter sentences and everyday
words; don't change the facts.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import textstat
import yaml

from bot.loading import load_content
from bot.loading.guide import packaged_dir

PLAIN_FLOOR = 50
EASY_READ_FLOOR = 80
EASY_READ_WORDS = (30, 50)
MAX_EASY_TITLE_WORDS = 7
MAX_SENTENCE_WORDS = 30  # in a statement's full text
GENERAL_FLOOR = 60
# Flesch is meaningless for a button label of a word or two: only messages are scored.
MIN_MESSAGE_WORDS = 6

_TAG = re.compile(r"<[^>]+>")
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")

CONTENT = load_content(packaged_dir("content"))


def visible(text: str) -> str:
    """Return what a reader sees of a text: no tags, no {placeholders}, entities decoded.

    Each line counts as a sentence (a heading or a list item ends where its line does).
    """
    shown = html.unescape(_PLACEHOLDER.sub("", _TAG.sub(" ", text)))
    lines = [" ".join(line.split()) for line in shown.splitlines()]
    return " ".join(line if line[-1] in ".!?:;" else line + "." for line in lines if line)


def ease(text: str) -> float:
    """Return the Flesch reading ease of what a reader sees of ``text``."""
    return float(textstat.flesch_reading_ease(visible(text)))


def words(text: str) -> int:
    return len(visible(text).split())


STATEMENT_IDS = [s.id for s in CONTENT.statements]
SCALE_POINTS = [(scale.id, point) for scale in CONTENT.scales for point in scale.points]
POINT_IDS = [f"{scale_id}-{point.value}" for scale_id, point in SCALE_POINTS]


@pytest.mark.parametrize("statement", CONTENT.statements, ids=STATEMENT_IDS)
def test_every_statement_has_a_plain_summary_line(statement: Any) -> None:
    assert statement.plain, f"{statement.id} has no plain line"
    assert len(re.findall(r"[.!?](?:\s|$)", statement.plain)) == 1, "one sentence"
    assert ease(statement.plain) >= PLAIN_FLOOR, statement.plain


@pytest.mark.parametrize("statement", CONTENT.statements, ids=STATEMENT_IDS)
def test_every_statement_has_easy_read_wording(statement: Any) -> None:
    assert statement.easy_title and statement.easy_read
    low, high = EASY_READ_WORDS
    assert low <= words(statement.easy_read) <= high, words(statement.easy_read)
    assert ease(statement.easy_read) >= EASY_READ_FLOOR, statement.easy_read
    # A title is too short to score: keep it to a few words instead.
    assert words(statement.easy_title) <= MAX_EASY_TITLE_WORDS, statement.easy_title


@pytest.mark.parametrize("statement", CONTENT.statements, ids=STATEMENT_IDS)
def test_a_statement_text_has_no_very_long_sentence(statement: Any) -> None:
    sentences = re.split(r"(?<=[.!?])\s+", statement.text)
    assert max(words(s) for s in sentences) <= MAX_SENTENCE_WORDS, statement.text


@pytest.mark.parametrize("statement", CONTENT.statements, ids=STATEMENT_IDS)
def test_a_statement_text_does_not_repeat_its_sub_points(statement: Any) -> None:
    text = statement.text.casefold()
    for point in statement.sub_points:
        # The "More detail" screen shows the sub-points: the text only leads into them.
        assert point.casefold().rstrip(".") not in text, point


@pytest.mark.parametrize(("scale_id", "point"), SCALE_POINTS, ids=POINT_IDS)
def test_every_scale_level_has_easy_read_wording_and_a_symbol(scale_id: str, point: Any) -> None:
    assert point.short and point.easy_read and point.symbol
    assert ease(point.easy_read) >= EASY_READ_FLOOR, point.easy_read
    assert "\n" not in point.short and len(point.short) <= 60, point.short


def test_each_level_has_its_own_symbol() -> None:
    for scale in CONTENT.scales:
        symbols = [p.symbol for p in scale.points]
        assert len(set(symbols)) == len(symbols), symbols


@pytest.mark.parametrize("resource", CONTENT.resources, ids=[r.id for r in CONTENT.resources])
def test_every_resource_summary_is_plain_english(resource: Any) -> None:
    assert ease(resource.summary) >= GENERAL_FLOOR, resource.summary


@pytest.mark.parametrize("term", CONTENT.glossary, ids=[t.id for t in CONTENT.glossary])
def test_every_glossary_meaning_is_plain_english(term: Any) -> None:
    assert ease(term.meaning) >= GENERAL_FLOOR, term.meaning


def test_the_about_text_is_plain_english() -> None:
    assert CONTENT.about is not None
    assert ease(CONTENT.about.intro) >= GENERAL_FLOOR


def test_the_glossary_explains_the_words_carers_stumble_on() -> None:
    forms = {f.casefold() for t in CONTENT.glossary for f in (t.term, *t.also)}
    wanted = [
        "LD&A",
        "experts by experience",
        "strengths-based approaches",
        "key lines of enquiry",
        "ASCOF 1E",
        "memorandum of understanding",
        "proxy measures",
        "bed-based support models",
        "out of area",
        "commissioned",
        "commissioning",
        "Transforming Care Partnership",
        "CQC",
        "DASS",
        "supervision and appraisal",
        "benchmarking",
        "AHPs",
        "values-based recruitment",
        "positive behaviour management",
        "living wage",
        "agency staff",
        "procurement",
        "Making it Real",
        "Skills for Care",
        "workforce data",
        "career pathway",
        "unpaid carer",
        "transition",
    ]
    assert [w for w in wanted if w.casefold() not in forms] == []


# --- Every bot message (content/texts.yaml and flows/*.yaml) -------------------------------------


def _flow_texts(node: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        name = f"{where}:{node['id']}" if isinstance(node.get("id"), str) else where
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                yield name, value
            else:
                yield from _flow_texts(value, name)
    elif isinstance(node, list):
        for item in node:
            yield from _flow_texts(item, where)


def bot_messages() -> list[tuple[str, str]]:
    """Return (where, text) for every message in texts.yaml and the flows (not button labels)."""
    found = [(f"texts.yaml:{key}", text) for key, text in CONTENT.texts.items()]
    for path in sorted(Path(packaged_dir("flows")).glob("*.yaml")):
        flow = yaml.safe_load(path.read_text(encoding="utf-8"))
        found += list(_flow_texts(flow, path.name))
    return [(where, text) for where, text in found if words(text) >= MIN_MESSAGE_WORDS]


MESSAGES = bot_messages()


@pytest.mark.parametrize(("where", "text"), MESSAGES, ids=[w for w, _ in MESSAGES])
def test_every_bot_message_is_plain_english(where: str, text: str) -> None:
    assert ease(text) >= GENERAL_FLOOR, f"{where} scores {ease(text):.0f}"
