"""Team rounds in the store: codes, memberships, reminders, agreed ratings, the upgrade."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from storage import Store
from storage.migrations import migrations
from tests.fixed_clock import FixedClock


def _round(store: Store, *statements: str) -> tuple[str, int]:
    organiser = store.participant_for("1")
    round_ = store.create_round(
        organiser,
        organisation="Leeds",
        name="Round one",
        statement_ids=list(statements or ("workforce-data",)),
        display_name="Olive",
    )
    return organiser, round_.id


def test_a_solo_database_from_before_rounds_upgrades_and_keeps_its_answers(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    db = Database(path)
    db.execute("PRAGMA foreign_keys = ON")
    migrations.apply(db, stop_before="0002_team_rounds")
    # Rows as the first release wrote them (its Store knew no round_id column).
    now = "2025-03-01T09:30:00.000000+00:00"
    db.execute("INSERT INTO participants VALUES ('p-old', '42', 'Leeds', ?)", [now])
    db.execute(
        "INSERT INTO evaluations (id, participant_id, organisation, status, started_at) "
        "VALUES (7, 'p-old', 'Leeds', 'in_progress', ?)",
        [now],
    )
    db.execute("INSERT INTO answers VALUES (7, 'workforce-data', 3, 0, NULL, ?, 1)", [now])
    db.conn.commit()
    db.close()
    evaluation = 7

    with Store.open(path) as store:
        assert store.evaluation(evaluation) is not None
        assert store.evaluation(evaluation).round_id is None  # type: ignore[union-attr]
        assert store.answers_for(evaluation)["workforce-data"].rating == 3
        assert [row.rating for row in store.export_rows()] == [3]


def test_codes_are_long_random_and_fit_telegram_deep_links(store: Store) -> None:
    _, round_id = _round(store)
    codes = {store.replace_join_code(round_id) for _ in range(50)}
    assert len(codes) == 50
    for code in codes:
        # 16 characters of a 32-letter alphabet: 80 random bits, and no i, l, o or u.
        assert re.fullmatch(r"[0-9a-hjkmnp-tv-z]{16}", code)


def test_replacing_a_join_code_retires_the_old_one_at_once(store: Store) -> None:
    _, round_id = _round(store)
    old = store.join_code(round_id)
    assert old is not None
    new = store.replace_join_code(round_id)
    found = store.find_code(old)
    assert found is not None and found.retired_at is not None
    assert store.join_code(round_id) == new
    assert store.find_code("made-up") is None


def test_an_organiser_invite_works_once(store: Store) -> None:
    _, round_id = _round(store)
    invite = store.new_organiser_invite(round_id)
    ben, dan = store.participant_for("2"), store.participant_for("3")
    assert store.accept_organiser_invite(invite, ben, "Ben")
    assert not store.accept_organiser_invite(invite, dan, "Dan")
    assert store.member(round_id, ben).role == "organiser"  # type: ignore[union-attr]
    assert store.member(round_id, dan) is None


def test_joining_twice_keeps_one_membership_and_the_role(store: Store) -> None:
    olive, round_id = _round(store)
    store.join_round(round_id, olive, "Olive again")
    members = store.members(round_id)
    assert [(m.display_name, m.role) for m in members] == [("Olive again", "organiser")]


def test_one_evaluation_per_person_per_round(store: Store) -> None:
    olive, round_id = _round(store)
    store.start_evaluation(olive, "Leeds", round_id=round_id)
    with pytest.raises(Exception, match="UNIQUE"):
        store.start_evaluation(olive, "Leeds", round_id=round_id)
    # Solo evaluations are not limited.
    store.start_evaluation(olive, "Leeds")
    store.start_evaluation(olive, "Leeds")


def test_a_reminder_is_claimed_at_most_once_a_day(store: Store, clock: FixedClock) -> None:
    _, round_id = _round(store)
    ann = store.participant_for("2")
    store.join_round(round_id, ann, "Ann")
    day = timedelta(days=1)
    assert store.claim_reminder(round_id, ann, day)
    clock.advance(timedelta(hours=23))
    assert not store.claim_reminder(round_id, ann, day)
    clock.advance(timedelta(hours=1))
    assert store.claim_reminder(round_id, ann, day)
    clock.advance(day)
    store.set_reminders(round_id, ann, False)
    assert not store.claim_reminder(round_id, ann, day)


def test_agreed_ratings_keep_their_reason_and_can_be_cleared(store: Store) -> None:
    olive, round_id = _round(store)
    store.agree_rating(round_id, "workforce-data", 2, olive)
    assert store.set_agreed_reason(round_id, "workforce-data", "  Data not used yet ")
    store.agree_rating(round_id, "workforce-data", 3, olive)
    agreed = store.agreed_ratings(round_id)["workforce-data"]
    assert (agreed.rating, agreed.reason) == (3, "Data not used yet")
    with pytest.raises(ValueError):
        store.agree_rating(round_id, "workforce-data", 6, olive)
    store.clear_agreed(round_id, "workforce-data")
    assert store.agreed_ratings(round_id) == {}
    assert not store.set_agreed_reason(round_id, "workforce-data", "no row")


def test_team_answers_carry_the_chosen_names(store: Store) -> None:
    _, round_id = _round(store, "workforce-data", "provider-partnership")
    for user, name, rating in (("2", "Ann", 1), ("3", "Ben", None)):
        person = store.participant_for(user)
        store.join_round(round_id, person, name)
        evaluation = store.start_evaluation(person, "Leeds", round_id=round_id)
        store.record_rating(evaluation, "workforce-data", rating)
        store.record_note(evaluation, "workforce-data", f"note by {name}")
    answers = store.team_answers(round_id)
    assert [(a.display_name, a.rating, a.skipped, a.note) for a in answers] == [
        ("Ann", 1, False, "note by Ann"),
        ("Ben", None, True, "note by Ben"),
    ]


def test_pending_input_is_kept_until_cleared(store: Store) -> None:
    olive, _ = _round(store)
    store.set_pending(olive, "new-name", {"organisation": "Leeds"})
    pending = store.pending(olive)
    assert pending is not None and pending.data == {"organisation": "Leeds"}
    store.clear_pending(olive)
    assert store.pending(olive) is None
