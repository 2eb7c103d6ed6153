"""Render a team's self-evaluation ratings as a PNG sized for a phone held upright.

Pure: rows of ratings in, PNG bytes out. No Telegram, no store, no pyplot and no global
matplotlib state, so a handler can send the bytes as a photo and the terminal chat can save them.

The picture, top to bottom: the title and subtitle; one band per statement with its wrapped title
on the left and a dot per rater on the five-level scale on the right; the level numbers and
names under the scale; a legend. Telegram shows photos about 400 CSS px wide, so the figure is
7 in at 160 dpi (1120 px) and no text is smaller than 12.5 pt (about 10 CSS px on the phone).
"""

from __future__ import annotations

import io
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

LEVEL_COUNT = 5
FONT = "DejaVu Sans"  # ships with matplotlib, so every machine draws the same glyphs

# Figure geometry, in inches unless named _PT (points, 1/72 in).
DPI = 160
FIG_WIDTH = 7.0
MARGIN = 0.22
TITLE_COLUMN = 2.45  # the statement titles' column, left of the scale
COLUMN_GAP = 0.22
SCALE_RIGHT_PAD = 0.1  # room for half of the widest level name under level 5
ROW_HEIGHT = 1.0
LEGEND_ROW = 0.3

HEADING_PT = 20
SUBTITLE_PT = 13.5
ROW_TITLE_PT = 14
FLAG_PT = 12.5
NUMBER_PT = 15
TOP_NUMBER_PT = 12.5
LEVEL_NAME_PT = 12.5
LEGEND_PT = 13
ROW_TITLE_MAX_LINES = 3
TITLE_LINESPACING = 1.1

# A rater's dot. Raters on the same level stack vertically, DOTS_PER_COLUMN high, then start
# another column beside it, so even 15 raters on one level stay separate dots inside the row.
DOT_PT = 12.5
DOT_STEP_PT = 13.5
DOTS_PER_COLUMN = 5

# Okabe-Ito colours stay distinct for the common colour-vision deficiencies; shapes and text carry
# the meaning as well, so nothing depends on colour alone.
INK = "#1a1a1a"
MUTED = "#555555"
GRID = "#d0d0d0"
DOT = "#0072B2"
AGREED = "#D55E00"
FLAG_INK = "#8a2b00"
FLAG_BAND = "#fde6cf"
FLAG_TEXT = "Talk about this one"


@dataclass(frozen=True)
class ChartRow:
    """One statement's row on the chart."""

    title: str
    ratings: tuple[int, ...]
    median: float | None
    agreed: int | None
    flagged: bool


def team_chart(
    rows: Sequence[ChartRow], levels: Sequence[str], *, title: str, subtitle: str = ""
) -> bytes:
    """Render the team's ratings as a PNG: a row per statement, a dot per rating."""
    _check(rows, levels)
    # Imported here, not at module level: matplotlib takes about half a second to import and the
    # bot should not pay that at start-up for a chart it may never draw.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(FIG_WIDTH, 10.0), dpi=DPI, facecolor="white")
    canvas = FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()  # type: ignore[no-untyped-call]

    def wrap(text: str, width_in: float, prop: FontProperties, max_lines: int = 0) -> list[str]:
        return _wrap(text, width_in * 72, prop, renderer, max_lines)

    full_width = FIG_WIDTH - 2 * MARGIN
    plot_left = MARGIN + TITLE_COLUMN + COLUMN_GAP
    plot_width = FIG_WIDTH - MARGIN - SCALE_RIGHT_PAD - plot_left
    level_width = plot_width / LEVEL_COUNT

    heading = wrap(title, full_width, _font(HEADING_PT, "bold"))
    sub = wrap(subtitle, full_width, _font(SUBTITLE_PT)) if subtitle else []
    row_titles = [
        wrap(row.title, TITLE_COLUMN, _font(ROW_TITLE_PT, "bold"), ROW_TITLE_MAX_LINES)
        for row in rows
    ]
    # Level names are too wide to sit side by side under 0.8 in per level, so they alternate
    # between two tiers: odd levels on the first, even levels on the second, each name then has
    # two levels' width to itself.
    names = [wrap(name, 2 * level_width - 0.12, _font(LEVEL_NAME_PT)) for name in levels]
    tier_lines = (
        max(len(names[i]) for i in range(0, LEVEL_COUNT, 2)),
        max(len(names[i]) for i in range(1, LEVEL_COUNT, 2)),
    )
    flagged_any = any(row.flagged for row in rows)
    legend_entries = 4 if flagged_any else 3

    # Lay the figure out top to bottom in inches; the height follows from the content.
    heading_h = len(heading) * HEADING_PT * 1.25 / 72
    sub_h = len(sub) * SUBTITLE_PT * 1.35 / 72
    top_numbers_h = TOP_NUMBER_PT * 1.6 / 72
    rows_h = len(rows) * ROW_HEIGHT
    bottom_numbers_h = NUMBER_PT * 1.6 / 72
    names_h = (sum(tier_lines) * 1.25 + 0.8) * LEVEL_NAME_PT / 72
    legend_h = legend_entries * LEGEND_ROW
    gaps = MARGIN + 0.08 + 0.22 + 0.28 + MARGIN
    height = (
        heading_h + sub_h + top_numbers_h + rows_h + bottom_numbers_h + names_h + legend_h + gaps
    )
    fig.set_size_inches(FIG_WIDTH, height)

    heading_top = MARGIN
    sub_top = heading_top + heading_h + 0.08
    plot_top = sub_top + sub_h + 0.22 + top_numbers_h
    plot_bottom = plot_top + rows_h
    legend_top = plot_bottom + bottom_numbers_h + names_h + 0.28

    def fy(inches_from_top: float) -> float:
        return 1 - inches_from_top / height

    fig.text(
        MARGIN / FIG_WIDTH,
        fy(heading_top),
        "\n".join(heading),
        fontproperties=_font(HEADING_PT, "bold"),
        color=INK,
        va="top",
        linespacing=1.1,
    )
    if sub:
        fig.text(
            MARGIN / FIG_WIDTH,
            fy(sub_top),
            "\n".join(sub),
            fontproperties=_font(SUBTITLE_PT),
            color=MUTED,
            va="top",
            linespacing=1.2,
        )

    ax = fig.add_axes(
        (plot_left / FIG_WIDTH, fy(plot_bottom), plot_width / FIG_WIDTH, rows_h / height)
    )
    ax.set_ylim(len(rows) - 0.5, -0.5)  # the first statement at the top
    _draw_scale(ax, names, tier_lines)
    points_per_level = level_width * 72
    for index, (row, lines) in enumerate(zip(rows, row_titles, strict=True)):
        _draw_row(fig, ax, index, row, lines, points_per_level)

    _draw_legend(fig, flagged_any, fy(legend_top))

    buffer = io.BytesIO()
    # No "Software" entry: the PNG then carries no version string, and the same input gives the
    # same bytes on the same machine.
    canvas.print_png(buffer, metadata={"Software": None})  # type: ignore[no-untyped-call]
    return buffer.getvalue()


def _check(rows: Sequence[ChartRow], levels: Sequence[str]) -> None:
    """Raise ValueError for input the chart cannot show faithfully."""
    if isinstance(levels, str) or len(levels) != LEVEL_COUNT or not all(levels):
        raise ValueError(f"levels must be {LEVEL_COUNT} level names, got {list(levels)!r}")
    if not rows:
        raise ValueError("rows is empty: the chart needs at least one statement")
    for row in rows:
        bad = [r for r in row.ratings if not 1 <= r <= LEVEL_COUNT]
        if bad:
            raise ValueError(
                f"ratings for {row.title!r} must be 1..{LEVEL_COUNT}, got {list(row.ratings)!r}"
            )
        if row.agreed is not None and not 1 <= row.agreed <= LEVEL_COUNT:
            raise ValueError(
                f"agreed rating for {row.title!r} must be 1..{LEVEL_COUNT}, got {row.agreed!r}"
            )
        if row.median is not None and not 1 <= row.median <= LEVEL_COUNT:
            raise ValueError(
                f"median for {row.title!r} must be 1..{LEVEL_COUNT}, got {row.median!r}"
            )


def _font(
    size: float, weight: str = "normal", style: Literal["normal", "italic"] = "normal"
) -> FontProperties:
    """Return the chart's font at this size, weight and style."""
    from matplotlib.font_manager import FontProperties

    return FontProperties(family=FONT, size=size, weight=weight, style=style)


def _wrap(
    text: str, width_pt: float, prop: FontProperties, renderer: RendererBase, max_lines: int
) -> list[str]:
    """Wrap text to lines no wider than width_pt as drawn, ending in … past max_lines."""
    scale = 72 / float(renderer.dpi)  # type: ignore[attr-defined]  # measures in pixels

    def width(line: str) -> float:
        measured = renderer.get_text_width_height_descent(line, prop, ismath=False)[0]
        return float(measured) * scale

    lines: list[str] = []
    for word in text.split():
        trial = f"{lines[-1]} {word}" if lines else word
        if lines and width(trial) <= width_pt:
            lines[-1] = trial
        else:
            lines.append(word)  # a single word wider than the column still gets its own line
    if max_lines and len(lines) > max_lines:
        # Cut at a word boundary where one fits, so the reader sees whole words before the "…".
        words = " ".join(lines[max_lines - 1 :]).split()
        while len(words) > 1 and width(" ".join(words) + "…") > width_pt:
            words.pop()
        last = " ".join(words)
        while len(last) > 1 and width(last + "…") > width_pt:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last.rstrip(" ,;:-") + "…"]
    return lines


def _draw_scale(
    ax: Axes,
    names: list[list[str]],
    tier_lines: tuple[int, int],
) -> None:
    """Set up the x axis as the five levels, numbered at top and bottom, named at the bottom."""
    positions = range(1, LEVEL_COUNT + 1)
    ax.set_xlim(0.5, LEVEL_COUNT + 0.5)
    ax.set_xticks(list(positions), [str(n) for n in positions])
    # Numbers on top as well, smaller: on a tall chart the reader need not scroll to the bottom.
    ax.tick_params(
        axis="x", length=0, pad=4, top=False, bottom=False, labeltop=True, labelbottom=True
    )
    for tick in ax.xaxis.get_major_ticks():
        tick.label1.set_fontproperties(_font(NUMBER_PT, "bold"))
        tick.label2.set_fontproperties(_font(TOP_NUMBER_PT, "bold"))
        tick.label2.set_color(MUTED)
    ax.set_yticks([])
    ax.grid(axis="x", color=GRID, linewidth=1.2)
    ax.set_axisbelow(True)
    for spine in ax.spines.values():
        spine.set_visible(False)

    offset = NUMBER_PT * 1.6 + LEVEL_NAME_PT * 0.3
    for index, lines in enumerate(names):
        tier = index % 2
        drop = offset + tier * tier_lines[0] * LEVEL_NAME_PT * 1.25
        ax.annotate(
            "\n".join(lines),
            xy=(index + 1, 0),
            xycoords=ax.get_xaxis_transform(),
            xytext=(0, -drop),
            textcoords="offset points",
            ha="center",
            va="top",
            fontproperties=_font(LEVEL_NAME_PT),
            color=INK,
            linespacing=1.05,
            annotation_clip=False,
        )


def _dot_offsets(count: int, points_per_level: float) -> list[tuple[float, float]]:
    """Place count dots on one level: (x in levels, y in rows) offsets, centred, no overlap."""
    columns = math.ceil(count / DOTS_PER_COLUMN)
    offsets: list[tuple[float, float]] = []
    for column in range(columns):
        # Share the dots out evenly so 6 raters make columns of 3 and 3, not 5 and 1.
        in_column = count // columns + (1 if column < count % columns else 0)
        x = (column - (columns - 1) / 2) * DOT_STEP_PT / points_per_level
        for place in range(in_column):
            y = (place - (in_column - 1) / 2) * DOT_STEP_PT / (ROW_HEIGHT * 72)
            offsets.append((x, y))
    return offsets


def _draw_row(
    fig: Figure,
    ax: Axes,
    index: int,
    row: ChartRow,
    title_lines: list[str],
    points_per_level: float,
) -> None:
    """Draw one statement: its band, title, dots, median bar and agreed diamond."""
    from matplotlib.patches import Rectangle
    from matplotlib.transforms import blended_transform_factory

    across = blended_transform_factory(fig.transFigure, ax.transData)
    if row.flagged:
        ax.add_artist(
            Rectangle(
                (0, index - 0.5),
                1,
                1,
                transform=across,
                facecolor=FLAG_BAND,
                edgecolor="none",
                zorder=0,
                clip_on=False,
            )
        )
    # A thin rule between rows ties each title to its dots across the gap.
    ax.plot(
        [MARGIN / FIG_WIDTH, 1 - MARGIN / FIG_WIDTH],
        [index + 0.5, index + 0.5],
        transform=across,
        color=GRID,
        linewidth=1,
        clip_on=False,
        zorder=1,
    )

    title_text = "\n".join(title_lines)
    if row.flagged:
        # The title keeps an empty last line, and the flag text is centred on that line, so the
        # pair stays centred in the row whether the title takes one line or three.
        ax.text(
            MARGIN / FIG_WIDTH,
            index,
            title_text + "\n",
            transform=across,
            fontproperties=_font(ROW_TITLE_PT, "bold"),
            color=FLAG_INK,
            ha="left",
            va="center",
            linespacing=TITLE_LINESPACING,
        )
        # The words, not only the colour, say this row needs talking about.
        ax.annotate(
            "▲ " + FLAG_TEXT,
            xy=(MARGIN / FIG_WIDTH, index),
            xycoords=across,
            xytext=(0, -len(title_lines) * ROW_TITLE_PT * TITLE_LINESPACING / 2),
            textcoords="offset points",
            fontproperties=_font(FLAG_PT, "bold", "italic"),
            color=FLAG_INK,
            ha="left",
            va="center",
        )
    else:
        ax.text(
            MARGIN / FIG_WIDTH,
            index,
            title_text,
            transform=across,
            fontproperties=_font(ROW_TITLE_PT, "bold"),
            color=INK,
            ha="left",
            va="center",
            linespacing=TITLE_LINESPACING,
        )

    if not row.ratings:
        ax.text(
            (LEVEL_COUNT + 1) / 2,
            index,
            "No ratings yet",
            fontproperties=_font(FLAG_PT, style="italic"),
            color=MUTED,
            ha="center",
            va="center",
        )

    if row.median is not None:
        ax.plot(
            [row.median, row.median],
            [index - 0.42, index + 0.42],
            color=INK,
            linewidth=3.5,
            solid_capstyle="butt",
            zorder=2,
        )

    xs: list[float] = []
    ys: list[float] = []
    for level, count in sorted(Counter(row.ratings).items()):
        for dx, dy in _dot_offsets(count, points_per_level):
            xs.append(level + dx)
            ys.append(index + dy)
    if xs:
        ax.scatter(
            xs,
            ys,
            s=DOT_PT**2,
            color=DOT,
            alpha=0.9,
            # A white rim keeps each dot distinct where dots touch or sit on the median bar.
            edgecolors="white",
            linewidths=1.5,
            zorder=3,
        )

    if row.agreed is not None:
        ax.plot(
            [row.agreed],
            [index],
            marker="D",
            markersize=22,
            markerfacecolor="none",
            markeredgecolor=AGREED,
            markeredgewidth=3,
            linestyle="none",
            zorder=4,
        )


def _draw_legend(fig: Figure, flagged_any: bool, top: float) -> None:
    """Explain the marks under the scale, where the legend cannot cover a rating."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Line2D | Patch] = [
        Line2D(
            [],
            [],
            marker="o",
            markersize=DOT_PT,
            color=DOT,
            alpha=0.6,
            linestyle="none",
            label="One person's rating",
        ),
        Line2D(
            [],
            [],
            marker="|",
            markersize=22,
            markeredgewidth=3.5,
            color=INK,
            linestyle="none",
            label="Middle rating (median)",
        ),
        Line2D(
            [],
            [],
            marker="D",
            markersize=16,
            markerfacecolor="none",
            markeredgecolor=AGREED,
            markeredgewidth=3,
            linestyle="none",
            label="Rating the team agreed",
        ),
    ]
    if flagged_any:
        handles.append(
            Patch(
                facecolor=FLAG_BAND,
                edgecolor="none",
                label="▲ Talk about this one: ratings 2+ levels apart",
            )
        )
    fig.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(MARGIN / FIG_WIDTH, top),
        frameon=False,
        prop=_font(LEGEND_PT),
        borderaxespad=0,
        borderpad=0,
        handlelength=1.6,
        handletextpad=0.8,
        labelspacing=0.7,
    )
