"""Participants are pseudonymous; their evaluations are listed newest first."""

import re
from datetime import timedelta
from pathlib import Path

import pytest

from storage import Evaluation, NotFoundError, Store
from tests.fixed_clock import START, FixedClock


def test_participant_id_is_pseudonymous(store: Store) -> None:
    participant = store.participant_for("123456789")

    assert re.fullmatch(r"p-[0-9a-f]{12}", participant)
    assert "123456789" not in participant


def test_participant_id_is_stable_per_user(store: Store) -> None:
    first = store.participant_for("tg:1")

    assert store.participant_for("tg:1") == first
    assert store.participant_for("tg:2") != first
    assert store.db["participants"].count == 2


def test_participant_id_is_stable_across_restarts(tmp_path: Path) -> None:
    with Store.open(tmp_path / "guide.db") as store:
        first = store.participant_for("tg:1")
    with Store.open(tmp_path / "guide.db") as store:
        assert store.participant_for("tg:1") == first


def test_organisation_is_remembered(store: Store) -> None:
    participant = store.participant_for("tg:1")
    assert store.organisation(participant) is None

    store.set_organisation(participant, "Cyngor Sir Ynys Môn")

    assert store.organisation(participant) == "Cyngor Sir Ynys Môn"


def test_setting_organisation_for_unknown_participant_names_it(store: Store) -> None:
    with pytest.raises(NotFoundError, match="no participant with id 'p-000000000000'"):
        store.set_organisation("p-000000000000", "Leeds")


def test_evaluation_starts_in_progress(store: Store) -> None:
    participant = store.participant_for("tg:1")

    evaluation_id = store.start_evaluation(participant, "Leeds")

    assert store.evaluation(evaluation_id) == Evaluation(
        id=evaluation_id,
        participant_id=participant,
        organisation="Leeds",
        status="in_progress",
        started_at=START,
        finished_at=None,
        answered=0,
    )


def test_unknown_evaluation_is_none(store: Store) -> None:
    assert store.evaluation(12345) is None


def test_evaluation_for_unknown_participant_is_refused(store: Store) -> None:
    with pytest.raises(NotFoundError, match="participant"):
        store.start_evaluation("p-000000000000", None)


def test_finish_records_status_and_time(store: Store, clock: FixedClock) -> None:
    evaluation_id = store.start_evaluation(store.participant_for("tg:1"), None)
    clock.advance(timedelta(days=1))

    store.finish_evaluation(evaluation_id)
    clock.advance(timedelta(days=1))
    store.finish_evaluation(evaluation_id)  # finishing twice keeps the first time

    evaluation = store.evaluation(evaluation_id)
    assert evaluation is not None
    assert (evaluation.status, evaluation.finished_at) == ("finished", START + timedelta(days=1))


def test_finish_unknown_evaluation_names_it(store: Store) -> None:
    with pytest.raises(NotFoundError, match="no evaluation with id 7"):
        store.finish_evaluation(7)


def test_evaluation_organisation_can_change(store: Store) -> None:
    evaluation_id = store.start_evaluation(store.participant_for("tg:1"), None)

    store.set_evaluation_organisation(evaluation_id, "Bradford")

    evaluation = store.evaluation(evaluation_id)
    assert evaluation is not None
    assert evaluation.organisation == "Bradford"
    with pytest.raises(NotFoundError):
        store.set_evaluation_organisation(999, "Bradford")


def test_evaluations_for_lists_newest_first_with_answered_counts(
    store: Store, clock: FixedClock
) -> None:
    participant = store.participant_for("tg:1")
    older = store.start_evaluation(participant, "Leeds")
    store.record_rating(older, "values-1", 3)
    store.record_rating(older, "values-2", None)  # a skip counts as answered
    store.record_rating(older, "values-2", None)  # ...once
    store.finish_evaluation(older)
    clock.advance(timedelta(days=1))
    newer = store.start_evaluation(participant, "Leeds")
    store.record_rating(newer, "values-1", 4)
    store.start_evaluation(store.participant_for("tg:other"), "York")

    listed = store.evaluations_for(participant)

    assert [(e.id, e.answered, e.status) for e in listed] == [
        (newer, 1, "in_progress"),
        (older, 2, "finished"),
    ]


def test_evaluations_started_at_the_same_instant_list_newest_first(store: Store) -> None:
    participant = store.participant_for("tg:1")
    ids = [store.start_evaluation(participant, None) for _ in range(3)]

    assert [e.id for e in store.evaluations_for(participant)] == ids[::-1]
