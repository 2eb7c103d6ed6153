"""Export rows from the store, and the CSV written from them."""

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from storage import EXPORT_COLUMNS, ExportRow, Store, csv_bytes, write_csv

START = datetime(2025, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
TITLES = {"values-1": "Shared values", "values-2": "Co-production"}
LABELS = {1: "1 — Not started", 3: "3 — Implementation", 5: "5 — Embedded"}


def make_row(**changes: object) -> ExportRow:
    fields: dict[str, object] = {
        "evaluation_id": 7,
        "organisation": "Leeds",
        "participant": "p-0123456789ab",
        "statement_id": "values-1",
        "rating": 3,
        "note": None,
        "answered_at": START,
        "evaluation_status": "finished",
        "skipped": False,
    }
    fields.update(changes)
    return ExportRow(**fields)  # type: ignore[arg-type]


def parse(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def export(*rows: ExportRow) -> list[list[str]]:
    return parse(csv_bytes(rows, statement_titles=TITLES, rating_labels=LABELS))


def cell(row: ExportRow, column: str) -> str:
    return export(row)[1][EXPORT_COLUMNS.index(column)]


# -- rows from the store ---------------------------------------------------------------------


@pytest.fixture
def store() -> Iterator[Store]:
    store = Store.open(":memory:", clock=lambda: START)
    yield store
    store.close()


def test_export_rows_for_one_participant_or_everyone(store: Store) -> None:
    alice = store.participant_for("tg:1")
    bob = store.participant_for("tg:2")
    a1 = store.start_evaluation(alice, "Leeds")
    b1 = store.start_evaluation(bob, "York")
    a2 = store.start_evaluation(alice, "Leeds")
    store.record_rating(a1, "values-2", 4)
    store.record_rating(a1, "values-1", None)
    store.record_note(a1, "values-1", "no data yet")
    store.record_rating(b1, "values-1", 2)
    store.record_rating(a2, "values-1", 5)
    store.finish_evaluation(a1)

    mine = store.export_rows(alice)
    everyone = store.export_rows()

    assert [(r.evaluation_id, r.statement_id) for r in mine] == [
        (a1, "values-2"),
        (a1, "values-1"),
        (a2, "values-1"),
    ]
    assert [(r.evaluation_id, r.participant) for r in everyone] == [
        (a1, alice),
        (a1, alice),
        (b1, bob),
        (a2, alice),
    ]
    assert mine[1] == ExportRow(
        evaluation_id=a1,
        organisation="Leeds",
        participant=alice,
        statement_id="values-1",
        rating=None,
        note="no data yet",
        answered_at=START,
        evaluation_status="finished",
        skipped=True,
    )


def test_export_never_contains_the_telegram_id(store: Store) -> None:
    participant = store.participant_for("tg:987654321")
    store.record_rating(store.start_evaluation(participant, "Leeds"), "values-1", 3)

    data = csv_bytes(store.export_rows(), statement_titles=TITLES, rating_labels=LABELS)

    assert b"987654321" not in data
    assert participant.encode() in data


def test_export_of_unknown_participant_is_empty(store: Store) -> None:
    assert store.export_rows("p-000000000000") == []


# -- the CSV file ----------------------------------------------------------------------------


def test_header_and_bom_even_with_no_rows() -> None:
    data = csv_bytes([], statement_titles=TITLES, rating_labels=LABELS)

    assert data.startswith(b"\xef\xbb\xbf")
    assert data == b"\xef\xbb\xbf" + ",".join(EXPORT_COLUMNS).encode() + b"\r\n"


def test_every_column_is_written() -> None:
    rows = export(make_row(note="Good progress"))

    assert rows == [
        list(EXPORT_COLUMNS),
        [
            "7",
            "Leeds",
            "p-0123456789ab",
            "values-1",
            "Shared values",
            "3",
            "3 — Implementation",
            "Good progress",
            "2025-03-01T09:30:15Z",
            "finished",
        ],
    ]


def test_write_csv_returns_rows_written_with_crlf_endings() -> None:
    out = io.StringIO(newline="")

    written = write_csv(
        [make_row(), make_row(statement_id="values-2")],
        out,
        statement_titles=TITLES,
        rating_labels=LABELS,
    )

    assert written == 2
    assert out.getvalue().count("\r\n") == 3


def test_skipped_rating_is_empty_and_labelled() -> None:
    row = export(make_row(rating=None, skipped=True))[1]

    assert (row[EXPORT_COLUMNS.index("rating")], row[EXPORT_COLUMNS.index("rating_label")]) == (
        "",
        "Skipped",
    )


def test_note_without_rating_has_no_label() -> None:
    assert cell(make_row(rating=None, skipped=False, note="later"), "rating_label") == ""


def test_unknown_statement_and_rating_label_are_blank() -> None:
    row = export(make_row(statement_id="retired-statement", rating=2))[1]

    assert row[EXPORT_COLUMNS.index("statement_title")] == ""
    assert row[EXPORT_COLUMNS.index("rating_label")] == ""
    assert row[EXPORT_COLUMNS.index("rating")] == "2"


def test_timestamps_are_iso_utc_to_the_second() -> None:
    plus_one = START.astimezone(timezone(timedelta(hours=1)))

    assert cell(make_row(answered_at=plus_one), "answered_at") == "2025-03-01T09:30:15Z"


def test_naive_timestamp_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        export(make_row(answered_at=datetime(2025, 3, 1)))


@pytest.mark.parametrize(
    "value",
    ["=SUM(A1:A9)", "+44 113 000", "-5 staff", "@cmd", "\tindented", "\rreturn"],
)
def test_formula_triggers_are_neutralised(value: str) -> None:
    row = export(make_row(organisation=value, note=value))[1]

    assert row[EXPORT_COLUMNS.index("organisation")] == "'" + value
    assert row[EXPORT_COLUMNS.index("note")] == "'" + value


def test_injection_is_neutralised_in_titles_and_labels() -> None:
    data = csv_bytes(
        [make_row()],
        statement_titles={"values-1": '=HYPERLINK("http://x")'},
        rating_labels={3: "@3"},
    )
    row = parse(data)[1]

    assert row[EXPORT_COLUMNS.index("statement_title")] == '\'=HYPERLINK("http://x")'
    assert row[EXPORT_COLUMNS.index("rating_label")] == "'@3"


def test_harmless_text_is_untouched() -> None:
    row = export(make_row(organisation="Leeds", note="5 staff - mostly part-time"))[1]

    assert row[EXPORT_COLUMNS.index("organisation")] == "Leeds"
    assert row[EXPORT_COLUMNS.index("note")] == "5 staff - mostly part-time"


def test_numbers_are_plain() -> None:
    row = export(make_row(evaluation_id=12, rating=5))[1]

    assert row[0] == "12"
    assert row[EXPORT_COLUMNS.index("rating")] == "5"


def test_welsh_and_emoji_round_trip() -> None:
    organisation = "Cyngor Sir Ynys Môn / Wrecsam ŵŷ"
    note = "Da iawn 👍 — gwaith tîm"

    row = export(make_row(organisation=organisation, note=note))[1]

    assert row[EXPORT_COLUMNS.index("organisation")] == organisation
    assert row[EXPORT_COLUMNS.index("note")] == note


def test_newlines_in_notes_are_kept() -> None:
    note = 'Line one\nLine two, with "quotes"\r\nLine three'

    rows = export(make_row(note=note), make_row(statement_id="values-2"))

    assert len(rows) == 3
    assert rows[1][EXPORT_COLUMNS.index("note")] == note
    assert rows[2][EXPORT_COLUMNS.index("statement_id")] == "values-2"
