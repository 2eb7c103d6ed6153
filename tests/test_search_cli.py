"""``workforce-guide search``: readable text, --json, --stdin and --limit."""

from __future__ import annotations

import argparse
import io
import json

import pytest

from bench.search_quality import shipped_index
from bot.search_cli import add_search_arguments, run_search


def run(*argv: str, stdin: str = "") -> tuple[int, str]:
    """Parse arguments as the main CLI would and run the search; return (code, output)."""
    parser = argparse.ArgumentParser(prog="workforce-guide search")
    add_search_arguments(parser)
    out = io.StringIO()
    code = run_search(parser.parse_args(argv), shipped_index(), out, io.StringIO(stdin))
    return code, out.getvalue()


def test_text_lists_numbered_titles_with_publisher_and_score() -> None:
    code, text = run("safe stafing")
    assert code == 0
    assert "  1. Safe staffing in learning disability and autism services" in text
    assert "NHS Improvement · score" in text


def test_text_offers_did_you_mean_for_a_vague_query() -> None:
    _, text = run("staff")
    assert "Did you mean:" in text


def test_text_says_nothing_matches() -> None:
    _, text = run("pizza recipe")
    assert 'Nothing matches "pizza recipe"' in text


def test_json_shape() -> None:
    code, text = run("--json", "physio roles")
    data = json.loads(text)
    assert code == 0
    assert set(data) == {"query", "band", "results"}
    assert data["query"] == "physio roles"
    assert data["band"] == "answer"
    assert 1 <= len(data["results"]) <= 5
    assert set(data["results"][0]) == {"id", "title", "score"}
    assert "ahp-scoping-report" in [r["id"] for r in data["results"]]


def test_json_reports_did_you_mean_as_the_user_saw_it() -> None:
    # "staff" is too vague to answer: the bot offers "Did you mean" buttons, and so does JSON.
    _, text = run("--json", "staff")
    data = json.loads(text)
    assert data["band"] == "suggest"
    assert 1 <= len(data["results"]) <= 3
    assert set(data["results"][0]) == {"id", "title", "score"}
    _, shown = run("staff")
    assert all(r["title"] in shown for r in data["results"])


@pytest.mark.parametrize("query", ["pizza recipe", "pizza delivery near me", "", "😀"])
def test_json_says_none_when_nothing_matches(query: str) -> None:
    _, text = run("--json", query)
    assert json.loads(text) == {"query": query, "band": "none", "results": []}


def test_json_never_lists_more_than_five() -> None:
    _, text = run("--json", "--limit", "50", "training")
    data = json.loads(text)
    assert data["band"] == "answer"
    assert len(data["results"]) == 5


def test_json_respects_limit() -> None:
    _, text = run("--json", "--limit", "2", "training")
    assert len(json.loads(text)["results"]) == 2


def test_stdin_prints_one_json_object_a_line_in_order() -> None:
    code, text = run("--stdin", stdin="apprentiships\npizza recipe\n\nsafe staffing\n")
    lines = [json.loads(line) for line in text.splitlines()]
    assert code == 0
    assert [line["query"] for line in lines] == [
        "apprentiships",
        "pizza recipe",
        "",
        "safe staffing",
    ]
    assert [line["band"] for line in lines] == ["answer", "none", "none", "answer"]
    assert lines[0]["results"][0]["id"] == "flexible-routes-recruitment"
    assert lines[1]["results"] == []
    assert lines[3]["results"][0]["id"] == "safe-staffing-ld-autism"


def test_missing_query_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, text = run()
    assert code == 2
    assert text == ""
    assert "give a QUERY" in capsys.readouterr().err


def test_limit_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run("--limit", "0", "staff")
    assert "at least 1" in capsys.readouterr().err
