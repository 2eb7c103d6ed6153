"""The team chart: PNG bytes a phone can show upright, deterministic, and honest about the data."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bot.charts import ChartRow, team_chart

ROOT = Path(__file__).resolve().parent.parent
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LEVELS = ("Commitment", "Developing", "Implementation", "Operational", "Sustainable Delivery")
TITLES = (
    "Strengths-based practice by our staff",
    "Using workforce data to plan ahead",
    "Strengths-based culture beyond the front line",
    "Working with providers on the workforce",
    "Employing experts by experience",
    "Fair pay and conditions for care workers",
    "Training that includes autism and learning disability",
)
# Six raters with some disagreement; two statements have an agreed rating.
RATINGS = (
    ((3, 3, 4, 3, 2, 3), 3.0, 3, False),
    ((1, 2, 4, 2, 1, 2), 2.0, None, True),
    ((2, 2, 3, 2, 2, 3), 2.0, 2, False),
    ((3, 4, 3, 3, 4, 4), 3.5, None, False),
    ((1, 1, 1, 2, 1, 1), 1.0, None, False),
    ((2, 4, 3, 5, 3, 2), 3.0, None, True),
    ((4, 4, 4, 4, 5, 4), 4.0, None, False),
)
TEAM = tuple(
    ChartRow(title=title, ratings=ratings, median=median, agreed=agreed, flagged=flagged)
    for title, (ratings, median, agreed, flagged) in zip(TITLES, RATINGS, strict=True)
)


def render(rows: tuple[ChartRow, ...] = TEAM) -> bytes:
    """Render rows with the real level names and a realistic title."""
    return team_chart(
        rows,
        LEVELS,
        title="Spring 2026 self-evaluation",
        subtitle="Leeds City Council · 6 raters · 1 December 2026",
    )


def pixels(png: bytes) -> np.ndarray:
    """Decode PNG bytes to an (height, width, channels) array."""
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGB"))


def row(ratings: tuple[int, ...], agreed: int | None = None, flagged: bool = False) -> ChartRow:
    """Make a row with its median worked out, as the caller would."""
    median = float(np.median(ratings)) if ratings else None
    return ChartRow("A statement", ratings, median, agreed, flagged)


@pytest.fixture(scope="module")
def team_png() -> bytes:
    return render()


def test_the_chart_is_a_png(team_png: bytes) -> None:
    assert team_png.startswith(PNG_SIGNATURE)


def test_seven_statements_make_a_portrait_image_wide_enough_for_a_phone(team_png: bytes) -> None:
    height, width, _ = pixels(team_png).shape
    assert width >= 900
    assert height > width


def test_the_same_input_gives_the_same_bytes(team_png: bytes) -> None:
    assert render() == team_png


def test_more_statements_make_a_taller_image(team_png: bytes) -> None:
    assert pixels(render(TEAM[:3])).shape[0] < pixels(team_png).shape[0]


def test_statements_nobody_has_rated_still_render() -> None:
    png = render((row(()), row((), agreed=3), row((2, 3))))
    assert png.startswith(PNG_SIGNATURE)


def test_a_split_team_with_an_agreed_rating_renders() -> None:
    png = render((row((1, 1, 1, 5), agreed=2, flagged=True),))
    assert png.startswith(PNG_SIGNATURE)


def test_ratings_at_the_top_of_the_scale_darken_the_right_of_the_chart() -> None:
    # Same layout, same number of dots: only where the dots sit differs.
    high = pixels(render(tuple(row((5,) * 6) for _ in range(4))))
    low = pixels(render(tuple(row((1,) * 6) for _ in range(4))))
    assert high.shape == low.shape
    height, width, _ = high.shape
    # Strips of the full height around level 5 (right edge) and level 1 (just right of the
    # titles). The shared ink (numbers, names, gridlines) is the same in both charts; the dots
    # make it about 7 times as much, the median bars alone only about twice.
    level_5 = (slice(0, height), slice(int(width * 0.8), width))
    level_1 = (slice(0, height), slice(int(width * 0.42), int(width * 0.52)))

    def inked(image: np.ndarray, part: tuple[slice, slice]) -> int:
        return int((image[part].min(axis=2) < 200).sum())

    assert inked(high, level_5) > 4 * inked(low, level_5)
    assert inked(low, level_1) > 4 * inked(high, level_1)


@pytest.mark.parametrize(
    ("rows", "levels", "message"),
    [
        (TEAM, LEVELS[:4], "levels must be 5 level names"),
        (TEAM, (*LEVELS, "Beyond"), "levels must be 5 level names"),
        (TEAM, ("", *LEVELS[1:]), "levels must be 5 level names"),
        (TEAM, "12345", "levels must be 5 level names"),
        ((), LEVELS, "rows is empty"),
        ((row((1, 6)),), LEVELS, r"ratings for 'A statement' must be 1\.\.5"),
        ((row((0, 3)),), LEVELS, r"ratings for 'A statement' must be 1\.\.5"),
        ((row((3,), agreed=9),), LEVELS, "agreed rating for 'A statement' must be"),
    ],
    ids=[
        "four-levels",
        "six-levels",
        "blank-level",
        "levels-as-a-string",
        "no-rows",
        "rating-above-5",
        "rating-below-1",
        "agreed-outside-scale",
    ],
)
def test_input_the_chart_cannot_show_is_refused(
    rows: tuple[ChartRow, ...], levels: tuple[str, ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        team_chart(rows, levels, title="Round")


def test_importing_the_chart_module_does_not_import_matplotlib() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import bot.charts, sys; print('matplotlib' in sys.modules)"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    assert result.stdout.strip() == "False"
