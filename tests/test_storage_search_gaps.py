"""Searches that found nothing are counted by their words alone."""

from datetime import timedelta

from storage import SearchGap, Store
from tests.fixed_clock import START, FixedClock


def test_misses_are_counted_and_sorted_most_frequent_first(store: Store, clock: FixedClock) -> None:
    store.record_search_miss(["night", "shifts"])
    clock.now = START + timedelta(hours=1)
    store.record_search_miss(["Respite"])
    store.record_search_miss(["respite"])
    store.record_search_miss(["night", "shifts"])
    clock.now = START + timedelta(hours=2)
    store.record_search_miss(["RESPITE"])

    assert store.search_gaps() == [
        SearchGap("respite", 3, START + timedelta(hours=2)),
        SearchGap("night shifts", 2, START + timedelta(hours=1)),
    ]


def test_word_order_is_kept(store: Store) -> None:
    store.record_search_miss(["shifts", "night"])
    store.record_search_miss(["night", "shifts"])

    assert sorted(gap.terms for gap in store.search_gaps()) == ["night shifts", "shifts night"]


def test_empty_searches_are_ignored(store: Store) -> None:
    store.record_search_miss([])
    store.record_search_miss(["", "  "])

    assert store.search_gaps() == []


def test_limit_caps_the_list(store: Store) -> None:
    for word in ["a", "b", "c"]:
        store.record_search_miss([word])

    assert len(store.search_gaps(limit=2)) == 2


def test_no_user_information_is_stored(store: Store) -> None:
    participant = store.participant_for("tg:555")
    store.record_search_miss(["respite"])

    columns = {column.name for column in store.db["search_misses"].columns}
    assert columns == {"terms", "count", "last_seen"}
    dumped = repr(list(store.db["search_misses"].rows))
    assert "555" not in dumped
    assert participant not in dumped
