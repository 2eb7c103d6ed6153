"""The team's picture of a statement: median, spread, the flag, and where the team stands."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.content_model import Statement
from bot.team import StatementResult, default_round_name, format_level, talk_first
from storage.models import AgreedRating

STATEMENT = Statement("workforce-data", "Using workforce data", "Text")
WHEN = datetime(2026, 12, 1, tzinfo=UTC)


def result(*ratings: int, agreed: int | None = None, title: str = "x") -> StatementResult:
    """Build a result for one statement from ratings given by made-up names."""
    agreement = None
    if agreed is not None:
        agreement = AgreedRating(1, STATEMENT.id, agreed, None, "p-1", WHEN)
    statement = Statement(title, title, "Text") if title != "x" else STATEMENT
    return StatementResult(
        statement=statement,
        ratings=tuple((f"person {n}", r) for n, r in enumerate(ratings)),
        notes=(),
        agreed=agreement,
    )


@pytest.mark.parametrize(
    ("ratings", "flagged"),
    [
        ((3, 3, 3), False),
        ((2, 3), False),
        ((2, 4), True),
        ((1, 5), True),
        ((4,), False),
        ((), False),
    ],
)
def test_raters_two_or_more_levels_apart_are_flagged(
    ratings: tuple[int, ...], flagged: bool
) -> None:
    assert result(*ratings).flagged is flagged


def test_median_and_spread() -> None:
    picture = result(1, 2, 4, 4)
    assert (picture.raters, picture.median, picture.lowest, picture.highest) == (4, 3.0, 1, 4)
    assert format_level(result(2, 3).median) == "2.5"
    assert format_level(result(2, 3, 4).median) == "3"
    assert result().median is None and format_level(None) == ""


def test_the_agreed_rating_is_the_team_position_where_there_is_one() -> None:
    assert (result(1, 4, agreed=2).position, result(1, 4, agreed=2).position_source) == (
        2.0,
        "agreed",
    )
    assert (result(1, 4).position, result(1, 4).position_source) == (2.5, "median")
    assert (result().position, result().position_source) == (None, "")


def test_flagged_statements_come_first_otherwise_in_order() -> None:
    ordered = talk_first(
        [
            result(3, 3, title="a"),
            result(1, 5, title="b"),
            result(2, 2, title="c"),
            result(2, 4, title="d"),
        ]
    )
    assert [r.statement.id for r in ordered] == ["b", "d", "a", "c"]


def test_the_default_round_name_names_the_month() -> None:
    assert default_round_name(WHEN) == "Workforce self-evaluation, December 2026"


def test_shared_results_never_give_a_small_teams_ratings_away() -> None:
    from bot.loading import load_guide
    from bot.telegram import team_views
    from storage.models import Round

    guide = load_guide()
    statement = guide.content.statements[0]
    round_ = Round(1, "Leeds", "Round", (statement.id,), "open", True, "p-1", WHEN, None)
    levels = guide.content.rating_labels()

    def shared(*ratings: int, agreed: int | None = None) -> str:
        agreement = AgreedRating(1, statement.id, agreed, None, "p-1", WHEN) if agreed else None
        picture = StatementResult(
            statement, tuple((f"p{n}", r) for n, r in enumerate(ratings)), (), agreement
        )
        return team_views.shared_results(
            guide.texts, round_, [picture], {statement.id: ratings[0]}, levels
        ).text

    assert "ratings from" not in shared(1, 4, agreed=2) and "2 (agreed)" in shared(1, 4, agreed=2)
    assert "Too few ratings" in shared(2, 3, 4)
    assert "(median)" in shared(1, 2, 4, 5) and "ratings from 1 to 5" in shared(1, 2, 4, 5)
