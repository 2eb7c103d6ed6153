"""Related writes are kept together or not at all."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import Store


class Boom(Exception):
    pass


@pytest.fixture
def store() -> Iterator[Store]:
    store = Store.open(":memory:")
    yield store
    store.close()


def counts(store: Store) -> dict[str, int]:
    tables = ["participants", "evaluations", "answers", "positions", "search_misses"]
    return {t: int(store.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in tables}


def test_error_inside_transaction_rolls_back_every_nested_verb(store: Store) -> None:
    before = counts(store)

    with pytest.raises(Boom), store.transaction():
        participant = store.participant_for("tg:1")
        evaluation_id = store.start_evaluation(participant, "Leeds")
        store.record_rating(evaluation_id, "values-1", 4)
        store.record_note(evaluation_id, "values-1", "note")
        store.save_position(participant, {"step": "values-2"})
        store.record_search_miss(["respite"])
        raise Boom("the handler failed after writing")

    assert counts(store) == before
    assert not store.db.conn.in_transaction


def test_invalid_verb_inside_transaction_rolls_back_the_earlier_ones(store: Store) -> None:
    participant = store.participant_for("tg:1")
    evaluation_id = store.start_evaluation(participant, "Leeds")

    with pytest.raises(ValueError), store.transaction():
        store.record_rating(evaluation_id, "values-1", 4)
        store.finish_evaluation(evaluation_id)
        store.record_rating(evaluation_id, "values-2", 7)

    assert store.answers_for(evaluation_id) == {}
    evaluation = store.evaluation(evaluation_id)
    assert evaluation is not None
    assert evaluation.status == "in_progress"


def test_caught_error_in_a_nested_verb_keeps_the_rest(store: Store) -> None:
    participant = store.participant_for("tg:1")
    evaluation_id = store.start_evaluation(participant, "Leeds")

    with store.transaction():
        store.record_rating(evaluation_id, "values-1", 4)
        with pytest.raises(ValueError):
            store.record_rating(evaluation_id, "values-2", 0)
        store.record_rating(evaluation_id, "values-3", 2)

    assert list(store.answers_for(evaluation_id)) == ["values-1", "values-3"]


def test_completed_transaction_is_committed(tmp_path: Path) -> None:
    path = tmp_path / "guide.db"
    with Store.open(path) as store, store.transaction():
        evaluation_id = store.start_evaluation(store.participant_for("tg:1"), None)
        store.record_rating(evaluation_id, "values-1", 3)

    with Store.open(path) as reopened:
        assert reopened.answers_for(evaluation_id)["values-1"].rating == 3
