"""The shipped content folder broken one way at a time: each problem reported where it is.

Each test copies content/ to a temporary folder and changes one thing. Positions are found in
the changed file itself, so the tests keep working as editors add to the shipped content.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.loading import ContentError, Problem, load_content, load_guide
from bot.loading.content import FILES, MAX_TITLE
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


def position(text: str, snippet: str, occurrence: int = 1) -> tuple[int, int]:
    """Return the 1-based line and column where ``snippet`` occurs (the nth time)."""
    index = -1
    for _ in range(occurrence):
        index = text.index(snippet, index + 1)
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, col


def next_column(at: tuple[int, int], columns: int) -> tuple[int, int]:
    """Return the position ``columns`` to the right of ``at``."""
    return at[0], at[1] + columns


def only_problem(directory: Path) -> Problem:
    """Load the content and return its one problem, failing if there are more (or none)."""
    with pytest.raises(ContentError) as caught:
        load_content(directory)
    problems = caught.value.problems
    assert len(problems) == 1, "\n".join(str(p) for p in problems)
    return problems[0]


def assert_problem(problem: Problem, file: str, at: tuple[int, int], message: str) -> None:
    assert problem.path.endswith(file)
    assert (problem.line, problem.col) == at, problem
    assert message in problem.message


def test_a_scale_with_four_points_is_reported(content: Path) -> None:
    scales = content / "scales.yaml"
    text = change(scales, r"^      - value: 5\n(?:        .*\n|\s*\n)*", "")

    assert_problem(
        only_problem(content),
        "scales.yaml",
        position(text, "- value: 1"),
        "scale 'self-evaluation' needs five labelled points valued 1 to 5 in order; "
        "it has [1, 2, 3, 4]",
    )


def test_a_scale_with_points_out_of_order_is_reported(content: Path) -> None:
    scales = content / "scales.yaml"
    text = change(scales, r"^      - value: 2$", "      - value: 6")

    assert_problem(
        only_problem(content),
        "scales.yaml",
        position(text, "- value: 1"),
        "it has [1, 6, 3, 4, 5]",
    )


def add_statement(content: Path, statement_id: str, easy_read: bool = True) -> str:
    """Add a statement at the end of statements.yaml; return the new text."""
    path = content / "statements.yaml"
    text = path.read_text(encoding="utf-8").rstrip("\n")
    text += f'\n\n  - id: {statement_id}\n    title: "Another"\n    text: "Another statement."\n'
    if easy_read:
        text += '    easy_title: "Another one"\n    easy_read: "This is one more."\n'
    path.write_text(text, encoding="utf-8")
    return text


def test_a_duplicate_statement_id_is_reported_at_its_second_use(content: Path) -> None:
    text = add_statement(content, "workforce-data")

    assert_problem(
        only_problem(content),
        "statements.yaml",
        next_column(position(text, "- id: workforce-data", occurrence=2), len("- id: ")),
        "duplicate statement id 'workforce-data'",
    )


def test_a_resource_naming_an_unknown_statement_is_reported(content: Path) -> None:
    resources = content / "resources.yaml"
    text = change(resources, r"^(    statements: \[.*?)\]", r"\1, no-such-statement]")

    assert_problem(
        only_problem(content),
        "resources.yaml",
        position(text, "no-such-statement"),
        "unknown statement 'no-such-statement'",
    )


def test_a_resource_naming_an_unknown_topic_is_reported(content: Path) -> None:
    resources = content / "resources.yaml"
    text = change(resources, r"^(    topics: \[.*?)\]", r"\1, no-such-topic]")

    assert_problem(
        only_problem(content),
        "resources.yaml",
        position(text, "no-such-topic"),
        "unknown topic 'no-such-topic'",
    )


def test_a_missing_texts_key_is_reported(content: Path) -> None:
    texts = content / "texts.yaml"
    text = change(texts, r"^  menu\.again:.*\n", "")

    assert_problem(
        only_problem(content),
        "texts.yaml",
        position(text, "menu.welcome:"),  # the start of the texts mapping
        "texts is missing 'menu.again'",
    )


@pytest.mark.parametrize(
    ("key", "wording", "message"),
    [
        ("menu.again", "What next, {first_name}?", "uses {first_name}; it can use: none"),
        ("menu.welcome", "Hello {name}", "uses {name}; it can use: {first_name}"),
    ],
)
def test_a_text_using_an_unknown_placeholder_is_reported_at_its_key(
    content: Path, key: str, wording: str, message: str
) -> None:
    texts = content / "texts.yaml"
    # Replace the key's whole value, folded (>-) or not, with one quoted line.
    pattern = rf"^  {re.escape(key)}:.*\n(?:    .*\n|\s*\n)*"
    text = change(texts, pattern, f'  {key}: "{wording}"\n')

    assert_problem(
        only_problem(content), "texts.yaml", position(text, f"{key}:"), f"text '{key}' {message}"
    )


@pytest.mark.parametrize(
    ("empty", "col"),
    [
        ('"   "', 12),
        ("", 11),  # nothing after the colon: PyYAML marks the empty value just after it
    ],
)
def test_an_empty_title_is_reported(content: Path, empty: str, col: int) -> None:
    statements = content / "statements.yaml"
    text = change(
        statements, r'^(    title: )"Using workforce data to plan ahead"$', rf"\g<1>{empty}"
    )
    line, _ = position(text, "    title: " + empty + "\n")

    assert_problem(
        only_problem(content),
        "statements.yaml",
        (line, col),
        "'title' is empty: it needs some text",
    )


def test_a_missing_content_file_is_reported(content: Path) -> None:
    (content / "topics.yaml").unlink()

    assert_problem(only_problem(content), "topics.yaml", (1, 1), "missing content file topics.yaml")


def test_every_missing_content_file_is_reported(content: Path) -> None:
    for name in FILES:
        (content / name).unlink()

    with pytest.raises(ContentError) as caught:
        load_content(content)

    assert sorted((Path(p.path).name, p.line, p.col, p.message) for p in caught.value.problems) == [
        (name, 1, 1, f"missing content file {name}") for name in sorted(FILES)
    ]


@pytest.mark.parametrize(
    ("length", "refused"),
    [(MAX_TITLE, False), (MAX_TITLE + 1, True)],
)
def test_a_statement_title_longer_than_a_phone_line_is_reported(
    content: Path, length: int, refused: bool
) -> None:
    title = ("Using workforce data to plan ahead and " + "x" * 100)[:length]
    statements = content / "statements.yaml"
    text = change(
        statements, r'^(    title: )"Using workforce data to plan ahead"$', rf'\g<1>"{title}"'
    )

    if not refused:
        statement = load_content(content).statement("workforce-data")
        assert statement is not None and statement.title == title
        return
    assert_problem(
        only_problem(content),
        "statements.yaml",
        position(text, f'"{title}"'),
        f"title is {length} characters; keep it to {MAX_TITLE} for phones",
    )


def test_problems_in_content_and_flows_are_reported_together(tmp_path: Path) -> None:
    content = Path(shutil.copytree(packaged_dir("content"), tmp_path / "content"))
    flows = Path(shutil.copytree(packaged_dir("flows"), tmp_path / "flows"))
    add_statement(content, "workforce-data")
    flow_text = change(flows / "self_evaluation.yaml", r"^(    kind: message)$", r"\1\n    nxt: x")

    with pytest.raises(ContentError) as caught:
        load_guide(content, flows)

    found = {(Path(p.path).name, p.message.split(" (")[0]) for p in caught.value.problems}
    assert found == {
        ("statements.yaml", "duplicate statement id 'workforce-data'"),
        ("self_evaluation.yaml", "unknown key 'nxt' in message"),
    }
    nxt = next(p for p in caught.value.problems if p.path.endswith("self_evaluation.yaml"))
    assert (nxt.line, nxt.col) == position(flow_text, "nxt: x")


def test_a_statement_without_easy_read_wording_is_reported(content: Path) -> None:
    text = add_statement(content, "another-statement", easy_read=False)

    assert_problem(
        only_problem(content),
        "statements.yaml",
        next_column(position(text, "- id: another-statement"), len("- ")),
        "statement 'another-statement' has no easy-read wording (add easy_title and easy_read)",
    )


@pytest.mark.parametrize("key", ["short", "easy_read", "symbol"])
def test_a_scale_level_without_easy_read_wording_is_reported(content: Path, key: str) -> None:
    scales = content / "scales.yaml"
    text = change(scales, rf"(^      - value: 2\n(?:        .*\n)*?)        {key}: .*\n", r"\1")

    assert_problem(
        only_problem(content),
        "scales.yaml",
        next_column(position(text, "- value: 2"), len("- ")),
        f"scale 'self-evaluation' level 2 has no easy-read wording (add {key})",
    )


def test_two_scale_levels_with_one_symbol_are_reported(content: Path) -> None:
    scales = content / "scales.yaml"
    first = re.search(r'^        symbol: (".*")$', scales.read_text(encoding="utf-8"), re.M)
    assert first is not None
    text = change(
        scales, r'(^      - value: 2\n(?:        .*\n)*?        symbol: )".*"$', rf"\g<1>{first[1]}"
    )
    line, _ = position(text, "- value: 2")
    symbol_line = next(
        n for n, row in enumerate(text.splitlines(), start=1) if n > line and "symbol:" in row
    )

    assert_problem(
        only_problem(content),
        "scales.yaml",
        (symbol_line, len("        symbol: ") + 1),
        "scale 'self-evaluation' level 2 has the same symbol as level 1",
    )


@pytest.mark.parametrize("file", ["outcomes.yaml", "indicators.yaml"])
def test_an_outcome_or_indicator_naming_an_unknown_statement_is_reported(
    content: Path, file: str
) -> None:
    text = change(content / file, r"^(\s+statements: \[.*?)\]", r"\1, workforce-dta]")

    assert_problem(
        only_problem(content),
        file,
        position(text, "workforce-dta"),
        "unknown statement 'workforce-dta' (did you mean 'workforce-data'?)",
    )


def test_a_glossary_form_given_to_two_terms_is_reported(content: Path) -> None:
    glossary = content / "glossary.yaml"
    # The first term (LD&A) takes "CQC" too: the CQC term, further down, is then the repeat.
    text = change(glossary, r'^(    also: \[)"', r'\1"CQC", "')

    assert_problem(
        only_problem(content),
        "glossary.yaml",
        next_column(position(text, 'term: "CQC"'), len("term: ")),
        "'CQC' is already a form of glossary term 'ld-and-a'",
    )


def test_a_statement_suggesting_an_unknown_resource_is_reported(content: Path) -> None:
    statements = content / "statements.yaml"
    text = change(statements, r"^(    reading: \[)", r"\1no-such-resource, ")

    assert_problem(
        only_problem(content),
        "statements.yaml",
        position(text, "no-such-resource"),
        "unknown resource 'no-such-resource'",
    )


def test_a_statement_suggesting_a_resource_not_tied_to_it_is_reported(content: Path) -> None:
    statements = content / "statements.yaml"
    # The first statement is strengths-based practice; the AHP report is not tied to it.
    text = change(statements, r"^(    reading: \[)", r"\1ahp-scoping-report, ")

    assert_problem(
        only_problem(content),
        "statements.yaml",
        position(text, "ahp-scoping-report"),
        "is not tied to statement 'strengths-based-practice'",
    )
