"""A content folder broken in several files at once: every problem is reported in one run.

A problem inside one file (a duplicate key, an unquoted ``no``, an unknown key) must not hide a
reference problem between files (an unknown topic or statement), and a value that failed to
load must not be reported a second time as missing or unknown.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.loading import ContentError, Problem, load_content
from bot.loading.guide import packaged_dir


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """Return a fresh copy of the shipped content folder."""
    return Path(shutil.copytree(packaged_dir("content"), tmp_path / "content"))


def change(path: Path, pattern: str, replacement: str) -> str:
    """Replace the first match of the regular expression ``pattern``; return the new text."""
    text = path.read_text(encoding="utf-8")
    changed, count = re.subn(pattern, replacement, text, count=1, flags=re.MULTILINE)
    assert count == 1, f"{pattern!r} is not in {path.name}"
    path.write_text(changed, encoding="utf-8")
    return changed


def position(text: str, snippet: str) -> tuple[int, int]:
    """Return the 1-based line and column where ``snippet`` first occurs."""
    index = text.index(snippet)
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, col


def problems_in(directory: Path) -> list[Problem]:
    with pytest.raises(ContentError) as caught:
        load_content(directory)
    return list(caught.value.problems)


def found(problems: list[Problem]) -> list[tuple[str, int, int, str]]:
    """Return each problem as (file name, line, column, message), in report order."""
    return [(Path(p.path).name, p.line, p.col, p.message) for p in problems]


def test_a_duplicate_key_an_unquoted_no_and_an_unknown_topic_are_all_reported(
    content: Path,
) -> None:
    statements = change(
        content / "statements.yaml",
        r'^(    title: "Using workforce data to plan ahead"\n)',
        r'\1    title: "Workforce data"\n',
    )
    texts = change(content / "texts.yaml", r"^(  menu\.again: ).*$", r"\1no")
    resources = change(content / "resources.yaml", r"^(    topics: \[.*?)\]", r"\1, no-such-topic]")
    first_title, _ = position(statements, '    title: "Using workforce data to plan ahead"')

    assert found(problems_in(content)) == [
        (
            "resources.yaml",
            *position(resources, "no-such-topic"),
            "unknown topic 'no-such-topic'",
        ),
        (
            "statements.yaml",
            *position(statements, 'title: "Workforce data"'),
            f"duplicate key 'title' (first given on line {first_title})",
        ),
        (
            "texts.yaml",
            position(texts, "menu.again: no")[0],
            len("  menu.again: ") + 1,
            "'menu.again' is 'no', which YAML reads as true/false: put it in quotes (\"no\")",
        ),
    ]


def test_an_item_that_failed_to_load_is_not_also_reported_as_unknown(content: Path) -> None:
    # The first topic gets a misspelt key, so it is left out; resources that use it are not
    # then told its id is unknown, but a resource's truly unknown statement still is.
    topics = change(content / "topics.yaml", r"^(    )label:", r"\1lable:")
    resources = change(
        content / "resources.yaml", r"^(    statements: \[.*?)\]", r"\1, no-such-statement]"
    )

    assert found(problems_in(content)) == [
        (
            "resources.yaml",
            *position(resources, "no-such-statement"),
            "unknown statement 'no-such-statement'",
        ),
        ("topics.yaml", position(topics, "lable:")[0] - 1, 5, "topic is missing 'label'"),
        (
            "topics.yaml",
            *position(topics, "lable:"),
            "unknown key 'lable' in topic (did you mean 'label'?)",
        ),
    ]


def test_a_file_that_cannot_be_read_does_not_hide_the_others_problems(content: Path) -> None:
    search = change(content / "search.yaml", r"^(stop_words:.*)$", r"\1\n  bad: [unclosed")
    outcomes = change(content / "outcomes.yaml", r"^(    statements: \[)", r"\1no-such-statement, ")

    problems = found(problems_in(content))

    assert [(name, message.split(":")[0]) for name, _, _, message in problems] == [
        ("outcomes.yaml", "unknown statement 'no-such-statement'"),
        ("search.yaml", "YAML syntax"),
    ]
    assert problems[0][1:3] == position(outcomes, "no-such-statement")
    assert problems[1][1] >= position(search, "bad: [unclosed")[0]


def test_references_to_an_item_left_out_are_not_unknown_but_others_are(content: Path) -> None:
    # workforce-data gets a misspelt key and is left out; its id is still known, so outcomes
    # naming it are fine, while a misspelt statement id in indicators.yaml is reported.
    statements = change(
        content / "statements.yaml",
        r'^(    title: "Using workforce data to plan ahead"\n)',
        r"\1    titel: Workforce data\n",
    )
    indicators = change(
        content / "indicators.yaml",
        r"^(\s+statements: \[)experts-by-experience-jobs\]",
        r"\1experts-by-experiance-jobs]",
    )
    assert "workforce-data" in (content / "outcomes.yaml").read_text(encoding="utf-8")

    assert found(problems_in(content)) == [
        (
            "indicators.yaml",
            *position(indicators, "experts-by-experiance-jobs"),
            "unknown statement 'experts-by-experiance-jobs' "
            "(did you mean 'experts-by-experience-jobs'?)",
        ),
        (
            "statements.yaml",
            *position(statements, "titel:"),
            "unknown key 'titel' in statement (did you mean 'title'?)",
        ),
    ]
