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
    assert first == {"query": "pizza recipe", "band": "none", "results": []}
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


def _team_database(path: Path) -> int:
    """Make a database with one round: an organiser and two raters who disagree."""
    with Store.open(path) as store:
        olive = store.participant_for("1")
        round_ = store.create_round(
            olive,
            organisation="Leeds",
            name="=Round one",
            statement_ids=["workforce-data", "provider-partnership"],
            display_name="Olive",
        )
        for user, name, rating in (("2", "Ann", 1), ("3", "Ben", 4)):
            member = store.participant_for(user)
            store.join_round(round_.id, member, name)
            evaluation = store.start_evaluation(member, "Leeds", round_id=round_.id)
            store.record_rating(evaluation, "workforce-data", rating)
        store.finish_evaluation(evaluation)
        store.agree_rating(round_.id, "workforce-data", 2, olive)
        store.set_agreed_reason(round_.id, "workforce-data", "Data is collected, not yet used")
        return round_.id


def test_rounds_lists_each_round_with_its_counts(tmp_path: Path) -> None:
    database = tmp_path / "guide.db"
    round_id = _team_database(database)
    code, out, _ = run("rounds", env={"WORKFORCE_GUIDE_DB": str(database)})
    assert code == 0
    line = out.splitlines()[1].split()
    assert line[:4] == [str(round_id), "open", "2", "1"] and "Leeds" in out


def test_export_one_round_as_ratings_or_summary(tmp_path: Path) -> None:
    database = tmp_path / "guide.db"
    round_id = _team_database(database)
    env = {"WORKFORCE_GUIDE_DB": str(database)}
    ratings_file, summary_file = tmp_path / "ratings.csv", tmp_path / "summary.csv"

    code, out, _ = run("export", "--round", str(round_id), "--out", str(ratings_file), env=env)
    assert code == 0 and "Wrote 2 rows" in out
    assert ratings_file.read_bytes().startswith(b"\xef\xbb\xbf")
    ratings = list(csv.DictReader(io.StringIO(ratings_file.read_text("utf-8-sig"))))
    assert [(r["name"], r["rating"]) for r in ratings] == [("Ann", "1"), ("Ben", "4")]
    assert ratings[0]["round_name"] == "'=Round one"  # a formula is never left to run
    assert ratings[0]["answered_at"].endswith("Z")
    assert {r["participant"] for r in ratings}.isdisjoint({"2", "3"})

    args = ("export", "--round", str(round_id), "--kind", "summary", "--out", str(summary_file))
    code, _, _ = run(*args, env=env)
    summary = list(csv.DictReader(io.StringIO(summary_file.read_text("utf-8-sig"))))
    assert code == 0 and [r["statement_id"] for r in summary] == [
        "workforce-data",
        "provider-partnership",
    ]
    first = summary[0]
    assert (first["raters"], first["median"], first["lowest"], first["highest"]) == (
        "2",
        "2.5",
        "1",
        "4",
    )
    assert first["flagged"] == "yes" and first["agreed_rating"] == "2"
    assert first["team_position"] == "2" and first["team_position_source"] == "agreed"
    assert summary[1]["raters"] == "0" and summary[1]["team_position_source"] == ""


def test_export_of_a_round_that_does_not_exist_says_so(tmp_path: Path) -> None:
    database = tmp_path / "guide.db"
    _team_database(database)
    env = {"WORKFORCE_GUIDE_DB": str(database)}
    code, _, err = run("export", "--round", "99", "--out", "-", env=env)
    assert code == 1 and "No team round with id 99" in err
    code, _, err = run("export", "--kind", "summary", "--out", "-", env=env)
    assert code == 2 and "--round" in err


@pytest.mark.parametrize(
    "command",
    [
        "run",
        "chat",
        "check",
        "search",
        "export",
        "search-gaps",
        "rounds",
        "dead-letters",
        "backup",
        "bench",
    ],
)
def test_every_command_is_in_the_readme(command: str) -> None:
    readme = (packaged_dir("content").parent / "README.md").read_text()
    assert f"workforce-guide {command}" in readme
    assert command in build_parser().format_help()


@pytest.mark.parametrize("command", ["chat", "run"])
def test_a_refused_start_writes_no_database(tmp_path: Path, command: str) -> None:
    content = tmp_path / "content"
    shutil.copytree(packaged_dir("content"), content)
    (content / "topics.yaml").write_text("topics:\n  - id: x\n    label: X\n    label: Y\n")
    database = tmp_path / "guide.db"
    env = {"WORKFORCE_GUIDE_DB": str(database), "WORKFORCE_GUIDE_CONTENT_DIR": str(content)}
    if command == "run":
        env["TELEGRAM_BOT_TOKEN"] = "123456789:AAExampleTokenFromBotFather"
    code, _, err = run(command, env=env, stdin="")
    # Exit 2, like a bad setting: a service manager restarting it could not help.
    assert code == 2 and "topics.yaml" in err
    assert not database.exists()


def test_run_without_a_token_and_nobody_at_a_terminal_refuses(tmp_path: Path) -> None:
    database = tmp_path / "guide.db"
    code, _, err = run("run", env={"WORKFORCE_GUIDE_DB": str(database)}, stdin="")
    assert code == 2
    assert "TELEGRAM_BOT_TOKEN is not set" in err and "workforce-guide chat" in err
    assert not database.exists(), "nothing was written"


def test_a_database_that_cannot_be_opened_is_named_without_a_traceback(tmp_path: Path) -> None:
    junk = tmp_path / "guide.db"
    junk.write_bytes(b"this is not a database file, whatever its name says" * 100)
    code, _, err = run("rounds", env={"WORKFORCE_GUIDE_DB": str(junk)})
    assert code == 1
    assert "cannot open the database at" in err and "Traceback" not in err
