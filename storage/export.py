"""CSV export of answers that opens cleanly in Excel and cannot smuggle formulas into it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TextIO

from storage.models import ExportRow

EXPORT_COLUMNS = (
    "evaluation_id",
    "organisation",
    "participant",
    "statement_id",
    "statement_title",
    "rating",
    "rating_label",
    "note",
    "answered_at",
    "evaluation_status",
)

SKIPPED_LABEL = "Skipped"

# OWASP "CSV Injection": a spreadsheet treats a cell starting with any of these as a formula.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def write_csv(
    rows: Iterable[ExportRow],
    out: TextIO,
    *,
    statement_titles: Mapping[str, str],
    rating_labels: Mapping[int, str],
) -> int:
    """Write a header and one line per row to `out` (opened with newline=""); return rows."""
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    written = 0
    for row in rows:
        if row.rating is not None:
            label = rating_labels.get(row.rating, "")
        else:
            label = SKIPPED_LABEL if row.skipped else ""
        writer.writerow(
            [
                row.evaluation_id,
                _text(row.organisation),
                _text(row.participant),
                _text(row.statement_id),
                _text(statement_titles.get(row.statement_id)),
                "" if row.rating is None else row.rating,
                _text(label),
                _text(row.note),
                format_timestamp(row.answered_at),
                _text(row.evaluation_status),
            ]
        )
        written += 1
    return written


def csv_bytes(
    rows: Iterable[ExportRow],
    *,
    statement_titles: Mapping[str, str],
    rating_labels: Mapping[int, str],
) -> bytes:
    """Return the export as UTF-8 with a byte-order mark, so Excel reads accents and emoji."""
    # newline="" stops StringIO translating the csv module's CRLF line endings.
    buffer = io.StringIO(newline="")
    write_csv(rows, buffer, statement_titles=statement_titles, rating_labels=rating_labels)
    return buffer.getvalue().encode("utf-8-sig")


def format_timestamp(moment: datetime) -> str:
    """Format a moment as ISO 8601 UTC to the second, e.g. 2025-03-01T09:30:00Z."""
    if moment.tzinfo is None:
        raise ValueError(f"cannot export a naive datetime as UTC; got {moment!r}")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def neutralise(text: str) -> str:
    """Prefix a quote to text a spreadsheet would run as a formula; leave the rest alone."""
    return "'" + text if text.startswith(_FORMULA_TRIGGERS) else text


def _text(value: str | None) -> str:
    return "" if value is None else neutralise(value)


def table_csv_bytes(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """Return any table as export CSV bytes: BOM, CRLF, every text cell neutralised."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([neutralise(cell) if isinstance(cell, str) else cell for cell in row])
    return buffer.getvalue().encode("utf-8-sig")
