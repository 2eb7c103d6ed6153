"""Ratings, skips and notes: one row per statement, however often it is answered."""

from datetime import timedelta

import pytest

from storage import Answer, NotFoundError, Store
from tests.fixed_clock import START, FixedClock


@pytest.fixture
def evaluation_id(store: Store) -> int:
    return store.start_evaluation(store.participant_for("tg:100"), "Leeds City Council")


def row_count(store: Store) -> int:
    return int(store.db.execute("SELECT COUNT(*) FROM answers").fetchone()[0])


def test_same_answer_twice_is_stored_once(store: Store, evaluation_id: int) -> None:
    store.record_rating(evaluation_id, "values-1", 3)
    store.record_rating(evaluation_id, "values-1", 3)

    assert row_count(store) == 1
    assert store.answers_for(evaluation_id)["values-1"].rating == 3


def test_changed_answer_replaces_the_old_one(
    store: Store, evaluation_id: int, clock: FixedClock
) -> None:
    store.record_rating(evaluation_id, "values-1", 2)
    clock.advance()
    store.record_rating(evaluation_id, "values-1", 5)

    assert row_count(store) == 1
    answer = store.answers_for(evaluation_id)["values-1"]
    assert answer.rating == 5
    assert answer.answered_at == START + timedelta(minutes=1)


def test_note_is_kept_when_rating_changes(store: Store, evaluation_id: int) -> None:
    store.record_rating(evaluation_id, "values-1", 2)
    store.record_note(evaluation_id, "values-1", "Only in the north team")
    store.record_rating(evaluation_id, "values-1", 4)

    answer = store.answers_for(evaluation_id)["values-1"]
    assert (answer.rating, answer.note) == (4, "Only in the north team")


def test_rating_is_kept_when_note_changes(store: Store, evaluation_id: int) -> None:
    store.record_rating(evaluation_id, "values-1", 4)
    store.record_note(evaluation_id, "values-1", "first")
    store.record_note(evaluation_id, "values-1", "second")

    answer = store.answers_for(evaluation_id)["values-1"]
    assert (answer.rating, answer.note) == (4, "second")
    assert row_count(store) == 1


def test_none_or_blank_note_clears_it(store: Store, evaluation_id: int) -> None:
    store.record_rating(evaluation_id, "values-1", 4)
    store.record_note(evaluation_id, "values-1", "temporary")
    store.record_note(evaluation_id, "values-1", None)
    assert store.answers_for(evaluation_id)["values-1"].note is None

    store.record_note(evaluation_id, "values-1", "again")
    store.record_note(evaluation_id, "values-1", "   ")
    assert store.answers_for(evaluation_id)["values-1"].note is None


def test_skip_is_recorded(store: Store, evaluation_id: int) -> None:
    store.record_rating(evaluation_id, "values-1", None)

    assert store.answers_for(evaluation_id) == {
        "values-1": Answer("values-1", rating=None, skipped=True, note=None, answered_at=START)
    }


def test_rating_after_skip_clears_the_skip(store: Store, evaluation_id: int) -> None:
    store.record_rating(evaluation_id, "values-1", None)
    store.record_rating(evaluation_id, "values-1", 1)

    answer = store.answers_for(evaluation_id)["values-1"]
    assert (answer.rating, answer.skipped) == (1, False)


@pytest.mark.parametrize("rating", [0, 6, -1, True, 2.5, "3"])
def test_invalid_rating_is_refused_and_nothing_written(
    store: Store, evaluation_id: int, rating: object
) -> None:
    with pytest.raises(ValueError, match="from 1 to 5"):
        store.record_rating(evaluation_id, "values-1", rating)  # type: ignore[arg-type]

    assert row_count(store) == 0


def test_invalid_rating_leaves_an_existing_answer_alone(store: Store, evaluation_id: int) -> None:
    store.record_rating(evaluation_id, "values-1", 3)

    with pytest.raises(ValueError):
        store.record_rating(evaluation_id, "values-1", 9)

    assert store.answers_for(evaluation_id)["values-1"].rating == 3


def test_answers_come_back_in_the_order_first_answered(store: Store, evaluation_id: int) -> None:
    for statement_id in ["c", "a", "b"]:
        store.record_rating(evaluation_id, statement_id, 3)
    # Going back to change an answer does not move it to the end.
    store.record_rating(evaluation_id, "c", 5)

    assert list(store.answers_for(evaluation_id)) == ["c", "a", "b"]


def test_note_before_rating_is_kept_but_not_counted_as_answered(
    store: Store, evaluation_id: int
) -> None:
    store.record_note(evaluation_id, "values-1", "to discuss")

    answer = store.answers_for(evaluation_id)["values-1"]
    assert (answer.rating, answer.skipped, answer.note) == (None, False, "to discuss")
    evaluation = store.evaluation(evaluation_id)
    assert evaluation is not None
    assert evaluation.answered == 0


def test_answers_are_kept_per_evaluation(store: Store, evaluation_id: int) -> None:
    other = store.start_evaluation(store.participant_for("tg:100"), None)
    store.record_rating(evaluation_id, "values-1", 2)
    store.record_rating(other, "values-1", 5)

    assert store.answers_for(evaluation_id)["values-1"].rating == 2
    assert store.answers_for(other)["values-1"].rating == 5


def test_answer_for_unknown_evaluation_names_it(store: Store) -> None:
    with pytest.raises(NotFoundError, match="no evaluation with id 999") as caught:
        store.record_rating(999, "values-1", 3)

    assert (caught.value.kind, caught.value.key) == ("evaluation", 999)
    with pytest.raises(NotFoundError):
        store.record_note(999, "values-1", "x")


def test_empty_statement_id_is_refused(store: Store, evaluation_id: int) -> None:
    with pytest.raises(ValueError, match="statement_id"):
        store.record_rating(evaluation_id, "", 3)
