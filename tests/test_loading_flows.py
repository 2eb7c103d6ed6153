"""Flow files broken one way at a time: each problem is reported once, where it is, in words.

Every YAML below starts at line 1; columns count from 1, as an editor shows them.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.loading import ContentError, FlowEnvironment, Problem, load_flows

ENVIRONMENT = FlowEnvironment(
    lists={"statements": frozenset({"title", "text"})},
    scales=frozenset({"five"}),
    remembered=frozenset({"organisation"}),
)
FILE = "flow.yaml"


def problems_in(tmp_path: Path, text: str) -> tuple[Problem, ...]:
    """Write ``text`` as the only flow file, load it, and return every problem reported."""
    (tmp_path / FILE).write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_flows(tmp_path, ENVIRONMENT)
    return caught.value.problems


def only_problem(tmp_path: Path, text: str) -> Problem:
    """Return the one problem in ``text``, failing if there are more (or none)."""
    problems = problems_in(tmp_path, text)
    assert len(problems) == 1, "\n".join(str(p) for p in problems)
    return problems[0]


def assert_problem(problem: Problem, line: int, col: int, fragment: str) -> None:
    assert problem.path.endswith(FILE)
    assert (problem.line, problem.col) == (line, col), problem
    assert fragment in problem.message


def test_a_sound_flow_loads(tmp_path: Path) -> None:
    (tmp_path / FILE).write_text(
        textwrap.dedent(
            """\
            id: demo
            title: Demo
            steps:
              - id: ask
                kind: text
                text: Name?
                save_as: name
              - id: bye
                kind: end
                text: "Bye, {name}"
            """
        ),
        encoding="utf-8",
    )

    flows = load_flows(tmp_path, ENVIRONMENT)

    assert list(flows) == ["demo"]
    assert flows["demo"].step_ids() == ("ask", "bye")


@pytest.mark.parametrize(
    ("text", "line", "col", "fragment"),
    [
        pytest.param(
            """\
            id: demo
            title: Demo
            title: Demo again
            steps:
              - id: bye
                kind: end
                text: Bye
            """,
            3,
            1,
            "duplicate key 'title' (first given on line 2)",
            id="top-level",
        ),
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: ask
                kind: text
                text: Name?
                text: Your name?
                save_as: name
              - id: bye
                kind: end
                text: Bye
            """,
            7,
            5,
            "duplicate key 'text' (first given on line 6)",
            id="step",
        ),
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: ask
                kind: choice
                text: Ready?
                options:
                  - id: go
                    label: Go
                    label: Go now
              - id: bye
                kind: end
                text: Bye
            """,
            10,
            9,
            "duplicate key 'label' (first given on line 9)",
            id="option",
        ),
    ],
)
def test_a_duplicate_key_is_reported_at_its_second_use(
    tmp_path: Path, text: str, line: int, col: int, fragment: str
) -> None:
    assert_problem(only_problem(tmp_path, text), line, col, fragment)


@pytest.mark.parametrize(
    ("text", "line", "col", "fragment"),
    [
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: hello
                kind: message
                text: yes
              - id: bye
                kind: end
                text: Bye
            """,
            6,
            11,
            """'text' is 'yes', which YAML reads as true/false: put it in quotes ("yes")""",
            id="yes-text",
        ),
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: ask
                kind: choice
                text: Ready?
                options:
                  - id: go
                    label: Go
                  - id: stop
                    label: no
              - id: bye
                kind: end
                text: Bye
            """,
            11,
            16,
            """'label' is 'no', which YAML reads as true/false: put it in quotes ("no")""",
            id="no-label",
        ),
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: ask
                kind: choice
                text: Ready?
                options:
                  - id: on
                    label: "On"
                  - id: later
                    label: Later
              - id: bye
                kind: end
                text: Bye
            """,
            8,
            13,
            """'id' is 'on', which YAML reads as true/false: put it in quotes ("on")""",
            id="on-option-id",
        ),
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: ask
                kind: text
                text: Name?
                save_as: off
              - id: bye
                kind: end
                text: Bye
            """,
            7,
            14,
            """'save_as' is 'off', which YAML reads as true/false: put it in quotes ("off")""",
            id="off-save-as",
        ),
    ],
)
def test_an_unquoted_yes_no_on_or_off_where_text_is_expected_is_reported(
    tmp_path: Path, text: str, line: int, col: int, fragment: str
) -> None:
    assert_problem(only_problem(tmp_path, text), line, col, fragment)


@pytest.mark.parametrize(
    ("text", "line", "col", "fragment"),
    [
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: hello
                kind: message
                text: Hello
                nxt: bye
              - id: bye
                kind: end
                text: Bye
            """,
            7,
            5,
            "unknown key 'nxt' in message (did you mean 'next'?)",
            id="nxt",
        ),
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: rate
                kind: rating
                text: How good?
                scale: five
                save_as: rating
                skipable: true
              - id: bye
                kind: end
                text: Bye
            """,
            9,
            5,
            "unknown key 'skipable' in rating (did you mean 'skippable'?)",
            id="skipable",
        ),
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: check
                kind: branch
                cases:
                  - var: organisation
                    equal: Leeds
                    next: bye
                otherwise: bye
              - id: bye
                kind: end
                text: Bye
            """,
            8,
            9,
            "unknown key 'equal' in case (did you mean 'equals'?)",
            id="equal",
        ),
    ],
)
def test_an_unknown_key_is_reported_with_the_nearest_known_one(
    tmp_path: Path, text: str, line: int, col: int, fragment: str
) -> None:
    assert_problem(only_problem(tmp_path, text), line, col, fragment)


@pytest.mark.parametrize(
    ("text", "line", "col", "fragment"),
    [
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: rate
                kind: rating
                text: How good?
                save_as: rating
              - id: bye
                kind: end
                text: Bye
            """,
            4,
            5,
            "rating is missing 'scale'",
            id="rating-scale",
        ),
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: ask
                kind: text
                text: Name?
              - id: bye
                kind: end
                text: Bye
            """,
            4,
            5,
            "text is missing 'save_as'",
            id="text-save-as",
        ),
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: check
                kind: branch
                cases:
                  - var: organisation
                    next: bye
              - id: bye
                kind: end
                text: Bye
            """,
            4,
            5,
            "branch is missing 'otherwise'",
            id="branch-otherwise",
        ),
        pytest.param(
            """\
            id: demo
            title: Demo
            """,
            1,
            1,
            "flow is missing 'steps'",
            id="flow-steps",
        ),
    ],
)
def test_a_missing_required_field_is_reported_at_its_step(
    tmp_path: Path, text: str, line: int, col: int, fragment: str
) -> None:
    assert_problem(only_problem(tmp_path, text), line, col, fragment)


@pytest.mark.parametrize(
    ("kind", "fragment"),
    [
        ("question", "unknown kind 'question' (one of: branch, choice, end, loop, message"),
        ("mesage", "unknown kind 'mesage' (did you mean 'message'?)"),
    ],
)
def test_an_unknown_step_kind_is_reported_with_the_kinds_there_are(
    tmp_path: Path, kind: str, fragment: str
) -> None:
    text = f"""\
        id: demo
        title: Demo
        steps:
          - id: hello
            kind: {kind}
            text: Hello
          - id: bye
            kind: end
            text: Bye
        """

    assert_problem(only_problem(tmp_path, text), 5, 11, fragment)


@pytest.mark.parametrize(
    ("text", "line", "col", "fragment"),
    [
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: hello
                kind: message
                text: Hello
                next: nowhere
              - id: bye
                kind: end
                text: Bye
            """,
            7,
            11,
            "'nowhere' is not a step of this flow",
            id="step-next",
        ),
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: ask
                kind: choice
                text: Ready?
                options:
                  - id: go
                    label: Go
                    next: gone
              - id: bye
                kind: end
                text: Bye
            """,
            10,
            15,
            "'gone' is not a step of this flow",
            id="option-next",
        ),
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: check
                kind: branch
                cases:
                  - var: organisation
                    next: bye
                otherwise: elsewhere
              - id: bye
                kind: end
                text: Bye
            """,
            9,
            16,
            "'elsewhere' is not a step of this flow",
            id="branch-otherwise",
        ),
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: each
                kind: loop
                over: statements
                steps:
                  - id: rate
                    kind: rating
                    text: How good?
                    scale: five
                    save_as: rating
                next: away
              - id: bye
                kind: end
                text: Bye
            """,
            13,
            11,
            "'away' is not a step of this flow",
            id="loop-next",
        ),
    ],
)
def test_a_next_that_names_no_step_is_reported(
    tmp_path: Path, text: str, line: int, col: int, fragment: str
) -> None:
    assert_problem(only_problem(tmp_path, text), line, col, fragment)


@pytest.mark.parametrize(
    ("text", "line", "col"),
    [
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: hello
                kind: message
                text: Hello
                next: next-item
              - id: bye
                kind: end
                text: Bye
            """,
            7,
            11,
            id="step-next",
        ),
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: check
                kind: branch
                cases:
                  - var: organisation
                    next: bye
                otherwise: next-item
              - id: bye
                kind: end
                text: Bye
            """,
            9,
            16,
            id="branch-otherwise",
        ),
    ],
)
def test_next_item_outside_a_loop_is_reported(
    tmp_path: Path, text: str, line: int, col: int
) -> None:
    assert_problem(only_problem(tmp_path, text), line, col, "'next-item' only works inside a loop")


@pytest.mark.parametrize(
    ("text", "line", "col", "fragment"),
    [
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: hello
                kind: message
                text: Hello
                next: bye
              - id: lost
                kind: message
                text: Nobody sees this
              - id: bye
                kind: end
                text: Bye
            """,
            8,
            9,
            "step 'lost' can never be reached",
            id="jumped-over",
        ),
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: bye
                kind: end
                text: Bye
              - id: hello
                kind: message
                text: Hello
                next: bye
            """,
            7,
            9,
            "step 'hello' can never be reached",
            id="after-the-end",
        ),
    ],
)
def test_an_unreachable_step_is_reported(
    tmp_path: Path, text: str, line: int, col: int, fragment: str
) -> None:
    assert_problem(only_problem(tmp_path, text), line, col, fragment)


@pytest.mark.parametrize(
    ("text", "line", "col", "fragment"),
    [
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: hello
                kind: message
                text: Hello
              - id: hello
                kind: message
                text: Hello again
              - id: bye
                kind: end
                text: Bye
            """,
            7,
            9,
            "duplicate step id 'hello'",
            id="side-by-side",
        ),
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: each
                kind: loop
                over: statements
                steps:
                  - id: each
                    kind: rating
                    text: How good?
                    scale: five
                    save_as: rating
                next: bye
              - id: bye
                kind: end
                text: Bye
            """,
            8,
            13,
            "duplicate step id 'each'",
            id="inside-its-loop",
        ),
    ],
)
def test_a_duplicate_step_id_is_reported_at_its_second_use(
    tmp_path: Path, text: str, line: int, col: int, fragment: str
) -> None:
    assert_problem(only_problem(tmp_path, text), line, col, fragment)


def test_an_unknown_scale_is_reported_with_the_known_ones(tmp_path: Path) -> None:
    text = """\
        id: demo
        title: Demo
        steps:
          - id: rate
            kind: rating
            text: How good?
            scale: ten
            save_as: rating
          - id: bye
            kind: end
            text: Bye
        """

    assert_problem(only_problem(tmp_path, text), 7, 12, "unknown scale 'ten' (known: five)")


def test_a_loop_over_an_unknown_list_is_reported_with_the_known_ones(tmp_path: Path) -> None:
    text = """\
        id: demo
        title: Demo
        steps:
          - id: each
            kind: loop
            over: councils
            steps:
              - id: rate
                kind: rating
                text: How good?
                scale: five
                save_as: rating
            next: bye
          - id: bye
            kind: end
            text: Bye
        """

    assert_problem(
        only_problem(tmp_path, text), 6, 11, "unknown list 'councils' (known: statements)"
    )


def test_a_loop_inside_a_loop_is_reported(tmp_path: Path) -> None:
    text = """\
        id: demo
        title: Demo
        steps:
          - id: each
            kind: loop
            over: statements
            steps:
              - id: inner
                kind: loop
                over: statements
                steps:
                  - id: rate
                    kind: rating
                    text: How good?
                    scale: five
                    save_as: rating
            next: bye
          - id: bye
            kind: end
            text: Bye
        """

    assert_problem(only_problem(tmp_path, text), 8, 9, "loops cannot be nested")


@pytest.mark.parametrize(
    ("text", "line", "col", "fragment"),
    [
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: hello
                kind: message
                text: Hello {organisaton}
              - id: bye
                kind: end
                text: Bye
            """,
            6,
            11,
            "unknown placeholder {organisaton} (can use: {organisation})",
            id="misspelt",
        ),
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: hello
                kind: message
                text: About {title}
              - id: bye
                kind: end
                text: Bye
            """,
            6,
            11,
            "unknown placeholder {title}",
            id="item-field-outside-its-loop",
        ),
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: ask
                kind: choice
                text: Ready?
                options:
                  - id: go
                    label: Go {nme}
              - id: bye
                kind: end
                text: Bye
            """,
            9,
            16,
            "unknown placeholder {nme}",
            id="option-label",
        ),
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: each
                kind: loop
                over: statements
                progress: "Statement {n} of {count}"
                steps:
                  - id: rate
                    kind: rating
                    text: "{title}"
                    scale: five
                    save_as: rating
                next: bye
              - id: bye
                kind: end
                text: Bye
            """,
            7,
            15,
            "unknown placeholder {count} (can use: {n}, {text}, {title}, {total})",
            id="loop-progress",
        ),
    ],
)
def test_an_unknown_placeholder_is_reported_with_the_names_it_could_use(
    tmp_path: Path, text: str, line: int, col: int, fragment: str
) -> None:
    assert_problem(only_problem(tmp_path, text), line, col, fragment)


@pytest.mark.parametrize(
    ("text", "line", "col", "fragment"),
    [
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: hello
                kind: message
                text: Hello
                next: ask
              - id: bye
                kind: end
                text: Bye
              - id: ask
                kind: choice
                text: Done?
                options:
                  - id: done
                    label: Done
                    next: bye
                  - id: more
                    label: More
            """,
            11,
            9,
            "the flow runs off the end after 'ask': add 'next' or an end step",
            id="choice-option-without-next",
        ),
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: check
                kind: branch
                cases:
                  - var: organisation
                    next: bye
                otherwise: each
              - id: bye
                kind: end
                text: Bye
              - id: each
                kind: loop
                over: statements
                steps:
                  - id: rate
                    kind: rating
                    text: How good?
                    scale: five
                    save_as: rating
            """,
            13,
            9,
            "the flow runs off the end after 'each'",
            id="loop-without-next",
        ),
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: ask
                kind: text
                text: Name?
                save_as: name
                next: ask
            """,
            4,
            3,
            "the flow has no end step",
            id="no-end-step",
        ),
    ],
)
def test_a_flow_that_can_run_off_the_end_is_reported(
    tmp_path: Path, text: str, line: int, col: int, fragment: str
) -> None:
    assert_problem(only_problem(tmp_path, text), line, col, fragment)


@pytest.mark.parametrize(
    ("text", "line", "col", "fragment"),
    [
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: ask
                kind: text
               text: Name?
            """,
            6,
            4,
            "YAML syntax: expected <block end>",
            id="indentation",
        ),
        pytest.param(
            "id: demo\ntitle: Demo\nsteps:\n  - id: bye\n    kind: end\n\ttext: Bye\n",
            6,
            1,
            "YAML syntax: found character '\\t' that cannot start any token",
            id="tab",
        ),
    ],
)
def test_a_yaml_syntax_error_is_reported_at_its_line(
    tmp_path: Path, text: str, line: int, col: int, fragment: str
) -> None:
    assert_problem(only_problem(tmp_path, text), line, col, fragment)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: ask
                kind: text
                text: "Name?
                save_as: name
              - id: bye
                kind: end
                text: Bye
            """,
            6,
            id="unclosed-quote",
        ),
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: ask
                kind: choice
                text: Ready?
                options: [go, stop
              - id: bye
                kind: end
                text: Bye
            """,
            7,
            id="unclosed-bracket",
        ),
    ],
)
def test_an_unclosed_quote_or_bracket_is_reported_where_it_opens(
    tmp_path: Path, text: str, line: int
) -> None:
    assert only_problem(tmp_path, text).line == line


@pytest.mark.parametrize(
    ("text", "line", "col", "fragment"),
    [
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: hello
                kind: message
                text: Hello
                next: ask
              - id: ask
                kind: text
                text: Name?
                save_as: name
                nxt: bye
              - id: bye
                kind: end
                text: Bye
            """,
            12,
            5,
            "unknown key 'nxt' in text (did you mean 'next'?)",
            id="typo-in-a-step-another-goes-to",  # also: "'ask' is not a step of this flow"
        ),
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: hello
                kind: message
                text: Hello
              - id: bye
                kind: end
                text: yes
            """,
            9,
            11,
            "'text' is 'yes'",
            id="yes-in-the-end-step",  # also: "no end step", "runs off the end after 'hello'"
        ),
        pytest.param(
            """\
            id: demo
            title: Demo
            steps:
              - id: ask
                kind: choice
                text: Ready?
                options:
                  - id: go
                    label: yes
              - id: bye
                kind: end
                text: Bye
            """,
            9,
            16,
            "'label' is 'yes'",
            id="yes-in-the-only-option",  # also: "a choice needs at least one option"
        ),
    ],
)
def test_a_broken_step_is_not_reported_again_by_the_checks_that_follow(
    tmp_path: Path, text: str, line: int, col: int, fragment: str
) -> None:
    assert_problem(only_problem(tmp_path, text), line, col, fragment)


SEVERAL_PROBLEMS = """\
    id: demo
    title: Demo
    steps:
      - id: hello
        kind: message
        text: Hello {nobody}
        text: Hi
        next: nowhere
      - id: rate
        kind: rating
        text: How good?
        scale: ten
        save_as: rating
      - id: each
        kind: loop
        over: councils
        steps:
          - id: note
            kind: text
            text: Why?
            save_as: note
        next: bye
      - id: bye
        kind: end
        text: Bye
    """


def test_every_problem_in_a_file_is_reported_at_once_in_line_order(tmp_path: Path) -> None:
    problems = problems_in(tmp_path, SEVERAL_PROBLEMS)

    assert [(p.line, p.col) for p in problems] == [(6, 11), (7, 5), (8, 11), (12, 12), (16, 11)]
    assert [p.message.split(" (")[0] for p in problems] == [
        "unknown placeholder {nobody}",
        "duplicate key 'text'",
        "'nowhere' is not a step of this flow",
        "unknown scale 'ten'",
        "unknown list 'councils'",
    ]
    assert list(problems) == sorted(problems, key=lambda p: (p.path, p.line, p.col))


def test_problems_in_several_files_are_all_reported(tmp_path: Path) -> None:
    (tmp_path / "first.yaml").write_text(
        "id: one\ntitle: One\nsteps:\n  - id: bye\n    kind: end\n    text: Bye\n    text: Hi\n",
        encoding="utf-8",
    )
    (tmp_path / "second.yaml").write_text(
        "id: second\ntitle: Second\nsteps:\n  - id: bye\n    kind: end\n    text: Bye {nobody}\n",
        encoding="utf-8",
    )

    with pytest.raises(ContentError) as caught:
        load_flows(tmp_path, ENVIRONMENT)

    found = [(Path(p.path).name, p.line, p.message.split(" (")[0]) for p in caught.value.problems]
    assert found == [
        ("first.yaml", 7, "duplicate key 'text'"),
        ("second.yaml", 6, "unknown placeholder {nobody}"),
    ]


def test_each_problem_prints_as_path_line_col_message(tmp_path: Path) -> None:
    text = """\
        id: demo
        title: Demo
        steps:
          - id: hello
            kind: message
            text: Hello
            nxt: bye
          - id: bye
            kind: end
            text: Bye
        """
    problem = only_problem(tmp_path, text)

    assert str(problem) == (
        f"{problem.path}:7:5: unknown key 'nxt' in message (did you mean 'next'?)"
    )


def test_the_error_lists_a_heading_then_one_problem_a_line(tmp_path: Path) -> None:
    (tmp_path / FILE).write_text(textwrap.dedent(SEVERAL_PROBLEMS), encoding="utf-8")

    with pytest.raises(ContentError) as caught:
        load_flows(tmp_path, ENVIRONMENT)

    heading, *lines = str(caught.value).splitlines()
    assert heading == "5 problems in content or flows:"
    assert lines == [str(p) for p in caught.value.problems]
    for line in lines:
        path, line_number, col, message = line.split(":", 3)
        assert path.endswith(FILE)
        assert line_number.isdigit() and col.isdigit()
        assert message.startswith(" ") and message.strip()


def test_an_empty_folder_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ContentError) as caught:
        load_flows(tmp_path, ENVIRONMENT)

    assert [p.message for p in caught.value.problems] == ["no flow files (*.yaml) found"]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("id: demo\ntitle: Demo\nsteps: []\n", id="empty-list"),
        pytest.param(
            "id: demo\ntitle: Demo\nsteps:\n  - id: bye\n    kind: end\n    text: yes\n",
            id="only-step-broken",
        ),
    ],
)
def test_a_flow_without_steps_is_reported_not_a_crash(tmp_path: Path, text: str) -> None:
    problems = problems_in(tmp_path, text)

    assert problems
    assert all(p.path.endswith(FILE) for p in problems)


def test_an_empty_file_is_reported(tmp_path: Path) -> None:
    assert_problem(only_problem(tmp_path, ""), 1, 1, "the file is empty")


def test_two_files_with_the_same_flow_id_are_reported(tmp_path: Path) -> None:
    flow = "id: demo\ntitle: Demo\nsteps:\n  - id: bye\n    kind: end\n    text: Bye\n"
    (tmp_path / "a.yaml").write_text(flow, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(flow, encoding="utf-8")

    with pytest.raises(ContentError) as caught:
        load_flows(tmp_path, ENVIRONMENT)

    (problem,) = caught.value.problems
    assert problem.path.endswith("b.yaml")
    assert (problem.line, problem.col) == (1, 5)
    assert problem.message == "another file has flow 'demo'"
