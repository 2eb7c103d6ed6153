"""What the store promises: failed writes leave nothing behind; the inbox keeps every update."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.telegram.local_chat import LocalChat
from storage import Store, StoreUnavailable
from storage.inbox import handling
from storage.models import NotFoundError
from storage.timestamps import from_text, to_text
from tests.conftest import RunningBot
from tests.fixed_clock import START, FixedClock
from tests.test_chat_evaluation import rating_labels, start_evaluation


class DiskFull(Exception):
    pass


# -- a failed write is rolled back ----------------------------------------------------------


async def test_a_rating_whose_save_fails_is_not_kept_and_can_be_given_again(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = bot.chat(strict=False)
    await start_evaluation(chat)
    participant = bot.store.participant_for("1001")
    [evaluation] = bot.store.evaluations_for(participant)
    before = bot.store.load_position(participant)
    label = rating_labels(chat)[3]
    tap = bot.transport.incoming_callback_query(
        chat.chat_id, chat.last.message_id, chat.last.callback_data(label) or "", chat.user
    )

    def fail(*args: object) -> None:
        raise DiskFull("no room to save the position")

    # The rating is written first, then the new position: the second write fails.
    with monkeypatch.context() as patch:
        patch.setattr(bot.store, "save_position", fail)
        await chat.deliver(tap)

    assert bot.store.answers_for(evaluation.id) == {}  # the rating went with the failure
    assert bot.store.load_position(participant) == before
    assert not bot.store.update_done(tap["update_id"])  # so Telegram's redelivery is handled

    await chat.deliver(tap)  # the same tap, delivered again once the disk has room

    assert bot.store.answers_for(evaluation.id)["strengths-based-practice"].rating == 4
    assert bot.store.update_done(tap["update_id"])
    assert "evidence" in chat.last.text.lower()


def test_a_failure_inside_a_transaction_also_leaves_the_update_not_done(store: Store) -> None:
    participant = store.participant_for("tg:1")
    evaluation_id = store.start_evaluation(participant, "Leeds")

    with handling(77), pytest.raises(DiskFull), store.transaction():
        store.record_rating(evaluation_id, "values-1", 2)
        raise DiskFull

    assert store.answers_for(evaluation_id) == {}
    assert not store.update_done(77)

    with handling(77), store.transaction():
        store.record_rating(evaluation_id, "values-1", 2)

    assert store.update_done(77)
    assert store.answers_for(evaluation_id)["values-1"].rating == 2


def test_a_transaction_outside_any_update_marks_nothing(store: Store) -> None:
    with store.transaction():
        store.participant_for("tg:1")

    assert store.waiting_updates() == []
    assert store.db.execute("SELECT COUNT(*) FROM updates").fetchone()[0] == 0


# -- the update inbox ---------------------------------------------------------------------


def test_an_update_set_aside_keeps_what_was_received_and_how_often_it_failed(
    store: Store, clock: FixedClock
) -> None:
    raw = {"update_id": 5, "message": {"text": "Café <b>"}}
    store.receive_updates([raw])
    assert store.record_failure(5, raw) == 1
    assert store.record_failure(5, raw) == 2
    clock.advance()

    store.set_aside(5, None, "RuntimeError: a handler bug")  # raw not at hand: the kept one

    [letter] = store.dead_letters()
    assert letter.update_id == 5
    assert letter.raw == '{"update_id": 5, "message": {"text": "Café <b>"}}'  # readable
    assert letter.error == "RuntimeError: a handler bug"
    assert letter.attempts == 2
    assert letter.set_aside_at == START + timedelta(minutes=1)
    assert store.update_done(5)
    assert store.waiting_updates() == []


def test_an_update_never_kept_is_set_aside_with_what_came_or_nothing(store: Store) -> None:
    store.set_aside(8, {"update_id": 8, "odd": "ünïcode"}, "could not parse")
    store.set_aside(9, None, "could not parse")

    letters = {letter.update_id: letter for letter in store.dead_letters()}
    assert letters[8].raw == '{"update_id": 8, "odd": "ünïcode"}'
    assert letters[8].attempts == 1
    assert letters[9].raw == "{}"
    assert letters[9].attempts == 1


def test_dead_letters_come_newest_first(store: Store, clock: FixedClock) -> None:
    store.set_aside(1, {"update_id": 1}, "first")
    clock.advance()
    store.set_aside(3, {"update_id": 3}, "second")
    store.set_aside(2, {"update_id": 2}, "third, same moment")

    assert [letter.update_id for letter in store.dead_letters()] == [3, 2, 1]


def test_an_update_that_failed_before_it_was_kept_is_set_aside_readable(store: Store) -> None:
    raw = {"update_id": 6, "message": {"text": "Grüße ✓"}}
    assert store.record_failure(6, raw) == 1  # the terminal chat: never went through the inbox

    store.set_aside(6, None, "RuntimeError")

    [letter] = store.dead_letters()
    assert letter.raw == '{"update_id": 6, "message": {"text": "Grüße ✓"}}'
    assert letter.attempts == 1


def test_each_failure_is_counted_for_its_own_update(store: Store) -> None:
    first, second = {"update_id": 1}, {"update_id": 2}

    assert store.record_failure(1, first) == 1
    assert store.record_failure(2, second) == 1
    assert store.record_failure(1, first) == 2
    assert [u["update_id"] for u in store.waiting_updates()] == [1, 2]  # kept to retry


def test_waiting_updates_keep_their_words_and_come_oldest_first(
    store: Store, clock: FixedClock
) -> None:
    store.receive_updates([{"update_id": 20, "message": {"text": "Ünïcode ✓"}}])
    clock.advance()
    store.receive_updates([{"update_id": 10}, {"update_id": 11}])
    store.receive_updates([{"update_id": 20, "message": {"text": "a repeat changes nothing"}}])
    store.mark_update_done(11)
    store.set_aside(10, None, "poison")

    assert store.waiting_updates() == [{"update_id": 20, "message": {"text": "Ünïcode ✓"}}]
    raw = store.db.execute("SELECT raw FROM updates WHERE update_id = 20").fetchone()[0]
    assert "Ünïcode ✓" in raw  # stored as typed, readable in the database


def test_handled_updates_are_forgotten_only_after_the_retention_window(
    store: Store, clock: FixedClock
) -> None:
    store.receive_updates([{"update_id": 1}, {"update_id": 2}, {"update_id": 3}])
    store.mark_update_done(1)
    store.mark_update_done(2)
    clock.advance(timedelta(days=3))
    store.receive_updates([{"update_id": 4}])
    store.mark_update_done(4)

    gone = store.forget_handled_updates(timedelta(days=2), now=clock())

    assert gone == 2  # 1 and 2: handled and older than two days
    assert not store.update_done(1)
    assert store.update_done(4)  # handled, but recent
    assert [u["update_id"] for u in store.waiting_updates()] == [3]  # never handled: kept


# -- participants, forgetting, search gaps --------------------------------------------------


def test_forgetting_one_organiser_keeps_a_round_that_has_another(store: Store) -> None:
    ann, bea = store.participant_for("tg:1"), store.participant_for("tg:2")
    shared = store.create_round(
        ann, organisation="Leeds", name="Spring", statement_ids=["a"], display_name="Ann"
    )
    alone = store.create_round(
        ann, organisation="Leeds", name="Autumn", statement_ids=["a"], display_name="Ann"
    )
    invite = store.new_organiser_invite(shared.id)
    assert store.accept_organiser_invite(invite, bea, "Bea")

    closed = store.forget(ann)

    assert closed == [alone.id]
    assert store.round(shared.id).is_open  # type: ignore[union-attr]
    assert not store.round(alone.id).is_open  # type: ignore[union-attr]
    assert store.member(shared.id, ann) is None
    assert store.member(shared.id, bea).is_organiser  # type: ignore[union-attr]


def test_a_closed_round_says_when_and_reopening_clears_it(store: Store, clock: FixedClock) -> None:
    ann = store.participant_for("tg:1")
    round_ = store.create_round(
        ann, organisation="Leeds", name="Spring", statement_ids=["a"], display_name="Ann"
    )
    clock.advance()

    store.set_round_open(round_.id, False)
    closed = store.round(round_.id)
    store.set_round_open(round_.id, True)
    reopened = store.round(round_.id)

    assert closed is not None and not closed.is_open
    assert closed.closed_at == START + timedelta(minutes=1)
    assert reopened is not None and reopened.is_open
    assert reopened.closed_at is None
    with pytest.raises(NotFoundError, match="no round with id 999") as missing:
        store.set_round_open(999, False)
    # What a logged traceback shows: NotFoundError('round', 999).
    assert missing.value.args == ("round", 999)


def test_reading_choice_is_checked_and_needs_a_participant(store: Store) -> None:
    participant = store.participant_for("tg:1")

    with pytest.raises(ValueError, match="reading must be 'standard' or 'easy'; got 'large'"):
        store.set_reading(participant, "large")
    with pytest.raises(NotFoundError, match="no participant with id 'p-nobody'"):
        store.set_reading("p-nobody", "easy")
    store.set_reading(participant, "easy")
    assert store.reading(participant) == "easy"


def test_search_gaps_list_fifty_by_default(store: Store) -> None:
    for n in range(60):
        store.record_search_miss([f"word{n}"])
    store.record_search_miss(["  Word7 ", ""])

    gaps = store.search_gaps()

    assert len(gaps) == 50
    assert (gaps[0].terms, gaps[0].count) == ("word7", 2)
    assert len(store.search_gaps(limit=100)) == 60


def test_a_search_with_no_words_is_not_counted(store: Store) -> None:
    store.record_search_miss(["  ", ""])

    assert store.search_gaps() == []


async def test_forgetting_from_the_chat_leaves_no_trace(bot: RunningBot, chat: LocalChat) -> None:
    await start_evaluation(chat)
    participant = bot.store.participant_for("1001")
    assert bot.store.organisation(participant) == "Leeds City Council"

    bot.store.forget(participant)

    assert bot.store.evaluations_for(participant) == []
    assert bot.store.load_position(participant) is None
    assert bot.store.organisation(participant) is None
    assert bot.store.participant_for("1001") != participant  # a fresh start next time


# -- team rounds: agreed ratings, reminders -------------------------------------------------


def a_round(store: Store) -> tuple[str, int]:
    ann = store.participant_for("tg:1")
    round_ = store.create_round(
        ann, organisation="Leeds", name="Spring", statement_ids=["a", "b"], display_name="Ann"
    )
    return ann, round_.id


@pytest.mark.parametrize("rating", [0, 6, True, 2.5, "3"])
def test_an_agreed_rating_off_the_scale_is_refused(store: Store, rating: object) -> None:
    ann, round_id = a_round(store)

    with pytest.raises(ValueError, match="an agreed rating must be a whole number from 1 to 5"):
        store.agree_rating(round_id, "a", rating, ann)  # type: ignore[arg-type]
    assert store.agreed_ratings(round_id) == {}


def test_an_agreed_rating_is_kept_with_who_agreed_it_when_and_why(
    store: Store, clock: FixedClock
) -> None:
    ann, round_id = a_round(store)
    store.agree_rating(round_id, "a", 1, ann)
    store.agree_rating(round_id, "b", 5, ann)
    assert store.set_agreed_reason(round_id, "a", "  We talked it through.  ")
    assert store.set_agreed_reason(round_id, "b", "   ")  # blank: no reason

    agreed = store.agreed_ratings(round_id)

    first, second = agreed["a"], agreed["b"]
    assert (first.round_id, first.statement_id, first.rating) == (round_id, "a", 1)
    assert (first.reason, first.agreed_by, first.agreed_at) == ("We talked it through.", ann, START)
    assert (second.rating, second.reason) == (5, None)
    assert not store.set_agreed_reason(round_id, "c", "no such agreed rating")


def test_stopping_reminders_needs_a_place_in_the_round(store: Store) -> None:
    ann, round_id = a_round(store)
    stranger = store.participant_for("tg:9")

    assert store.set_reminders(round_id, ann, False)
    assert not store.member(round_id, ann).reminders  # type: ignore[union-attr]
    assert not store.set_reminders(round_id, stranger, False)


def test_sharing_a_round_that_does_not_exist_names_it(store: Store) -> None:
    with pytest.raises(NotFoundError, match="no round with id 404"):
        store.set_round_shared(404, True)


def test_export_times_are_utc_whatever_the_servers_time_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time
    from datetime import datetime, timezone

    from storage.export import format_timestamp

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        moment = datetime(2025, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=1)))
        assert format_timestamp(moment) == "2025-03-01T08:30:00Z"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_join_code_says_which_round_it_is_for_and_when_it_was_made(
    store: Store, clock: FixedClock
) -> None:
    _, round_id = a_round(store)
    code = store.join_code(round_id)
    assert code is not None

    found = store.find_code(code)

    assert found is not None
    assert (found.code, found.round_id, found.purpose) == (code, round_id, "join")
    assert (found.created_at, found.retired_at) == (START, None)
    assert store.find_code("NOSUCHCODE") is None


def test_team_answers_say_whose_they_are_and_where_they_stand(store: Store) -> None:
    _, round_id = a_round(store)
    bea = store.participant_for("tg:2")
    store.join_round(round_id, bea, "Bea")
    evaluation_id = store.start_evaluation(bea, "Leeds", round_id=round_id)
    store.record_rating(evaluation_id, "a", 4)
    store.record_note(evaluation_id, "a", "Seen at the board")
    store.finish_evaluation(evaluation_id)

    [answer] = store.team_answers(round_id)

    assert (answer.participant_id, answer.display_name) == (bea, "Bea")
    assert (answer.statement_id, answer.rating, answer.note) == ("a", 4, "Seen at the board")
    assert (answer.evaluation_id, answer.evaluation_status) == (evaluation_id, "finished")
    assert store.user_key(bea) == "tg:2"
    assert store.user_key("p-nobody") is None


def test_renaming_the_organisation_of_a_missing_evaluation_names_it(store: Store) -> None:
    with pytest.raises(NotFoundError, match="no evaluation with id 999"):
        store.set_evaluation_organisation(999, "Leeds")


def test_an_evaluation_counts_its_skips_apart_from_its_ratings(store: Store) -> None:
    participant = store.participant_for("tg:1")
    evaluation_id = store.start_evaluation(participant, "Leeds")
    store.record_rating(evaluation_id, "a", 3)
    store.record_rating(evaluation_id, "b", None)  # skipped
    store.record_note(evaluation_id, "c", "a note alone is not an answer")

    evaluation = store.evaluation(evaluation_id)
    [listed] = store.evaluations_for(participant)

    assert evaluation is not None
    assert (evaluation.answered, evaluation.skipped) == (2, 1)
    assert (listed.answered, listed.skipped) == (2, 1)


# -- a database that cannot be opened says why, in one line ------------------------------------


def test_a_file_that_is_not_a_database_is_refused_with_sqlites_reason(tmp_path: Path) -> None:
    path = tmp_path / "guide.db"
    path.write_bytes(b"this is a spreadsheet, not a database" * 200)
    with pytest.raises(StoreUnavailable) as refused:
        Store.open(path)
    assert refused.value.path == path
    assert str(refused.value) == f"cannot open the database at {path}: file is not a database"


def test_a_folder_that_cannot_be_made_is_refused_with_the_systems_reason(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be")
    with pytest.raises(StoreUnavailable) as refused:
        Store.open(blocker / "guide.db")
    # The operating system's words (its strerror), not Python's "[Errno 17] ..." repr.
    assert str(refused.value) == f"cannot open the database at {blocker / 'guide.db'}: File exists"


# -- the edges of the participant verbs --------------------------------------------------------


def test_a_participant_needs_a_telegram_user(store: Store) -> None:
    with pytest.raises(ValueError, match=r"^user_key must be a non-empty string$"):
        store.participant_for("")


def test_an_evaluation_for_nobody_names_who_was_missing(store: Store) -> None:
    with pytest.raises(NotFoundError) as missing:
        store.start_evaluation("p-nobody", "Kirklees Council")
    assert str(missing.value) == "no participant with id 'p-nobody'"
    assert missing.value.args == ("participant", "p-nobody")


def test_someone_unknown_reads_the_standard_wording(store: Store) -> None:
    # A tap from someone who has since used /forget: no row, and no crash either.
    assert store.reading("p-forgotten") == "standard"


def test_an_in_memory_store_leaves_no_file_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with Store.open(":memory:") as store:
        store.participant_for("1001")
    assert list(tmp_path.iterdir()) == []


def test_moments_are_written_in_utc_whatever_the_servers_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    moment = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        written = to_text(moment)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert written == "2026-12-02T09:30:00.000000+00:00"
    assert from_text(written) == moment
