"""The command line: check, search, export and search-gaps, as an admin would use them."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from bot.loading.guide import packaged_dir
from storage import Store


def run(*argv: str, env: dict[str, str] | None = None, stdin: str = "") -> tuple[int, str, str]:
    """Run the CLI in-process; return exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), environ=env or {}, stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_check_passes_on_the_shipped_files() -> None:
    code, out, _ = run("check")
    assert code == 0
    assert "7 statements" in out and "no problems" in out


def test_check_reports_every_problem_with_its_position(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(packaged_dir("content"), content)
    scales = content / "scales.yaml"
    scales.write_text(
        scales.read_text().replace("id: self-evaluation", "id: self-evaluation\n    id: again", 1)
    )
    topics = content / "topics.yaml"
    topics.write_text(topics.read_text().replace("  - id:", "  - idd:", 1))

    code, _, err = run("check", "--content", str(content))

    assert code == 1
    lines = [line for line in err.splitlines() if ".yaml:" in line]
    assert any("scales.yaml:" in line and "duplicate key 'id'" in line for line in lines)
    assert any("topics.yaml:" in line and "unknown key 'idd'" in line for line in lines)
    for line in lines:
        path, line_no, col, _ = line.split(":", 3)
        assert path.endswith(".yaml") and int(line_no) > 0 and int(col) > 0


def test_a_bad_environment_variable_is_named(tmp_path: Path) -> None:
    code, _, err = run("check", env={"TELEGRAM_BOT_TOKEN": "not a token"})
    assert code == 2
    assert "TELEGRAM_BOT_TOKEN" in err and "123456789:" in err


def test_search_json_and_stdin() -> None:
    code, out, _ = run("search", "--json", "safe stafing")
    assert code == 0
    data = json.loads(out)
    assert data["query"] == "safe stafing"
    assert data["results"][0]["id"] == "safe-staffing-ld-autism"
    assert len(data["results"]) <= 5

    code, out, _ = run("search", "--stdin", stdin="pizza recipe\nphysio roles\n")
    first, second = (json.loads(line) for line in out.splitlines())
    assert first == {"query": "pizza recipe", "results": []}
    assert "ahp-scoping-report" in [r["id"] for r in second["results"]]


def test_export_writes_everyone_to_csv(tmp_path: Path) -> None:
    database = tmp_path / "guide.db"
    with Store.open(database) as store:
        for user, organisation in (("1", "Leeds"), ("2", '=HYPERLINK("x")')):
            participant = store.participant_for(user)
            evaluation = store.start_evaluation(participant, organisation)
            store.record_rating(evaluation, "workforce-data", 4)
    out_file = tmp_path / "out" / "answers.csv"

    code, out, _ = run("export", "--out", str(out_file), env={"WORKFORCE_GUIDE_DB": str(database)})

    assert code == 0 and "Wrote 2 answers" in out
    raw = out_file.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["organisation"] for r in rows] == ["Leeds", '\'=HYPERLINK("x")']
    assert rows[0]["statement_title"] == "Using workforce data to plan ahead"
    assert rows[0]["rating_label"] == "Operational"


def test_export_without_a_database_says_where_it_looked(tmp_path: Path) -> None:
    code, _, err = run(
        "export", "--out", "-", env={"WORKFORCE_GUIDE_DB": str(tmp_path / "none.db")}
    )
    assert code == 1 and "WORKFORCE_GUIDE_DB" in err


def test_search_gaps_lists_the_commonest_first(tmp_path: Path) -> None:
    database = tmp_path / "guide.db"
    with Store.open(database) as store:
        store.record_search_miss(["car", "insurance"])
        store.record_search_miss(["pizza"])
        store.record_search_miss(["pizza"])
    code, out, _ = run("search-gaps", env={"WORKFORCE_GUIDE_DB": str(database)})
    assert code == 0
    lines = out.splitlines()
    assert "pizza" in lines[1] and "car insurance" in lines[2]


@pytest.mark.parametrize("command", ["run", "chat", "check", "search", "export", "search-gaps"])
def test_every_command_is_in_the_readme(command: str) -> None:
    readme = (packaged_dir("content").parent / "README.md").read_text()
    assert f"workforce-guide {command}" in readme
    assert command in build_parser().format_help()
