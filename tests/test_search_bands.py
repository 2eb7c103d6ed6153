"""The three honest bands: answer, "Did you mean", or "Nothing matches" — and odd input."""

from __future__ import annotations

import time

import pytest

from bench.search_quality import OFF_TOPIC as OFF_TOPIC_SET
from bench.search_quality import QUERY_SETS, load_queries, shipped_index
from bot.search import Band, SearchResult


def search(query: str, limit: int = 5) -> SearchResult:
    """Search the shipped catalogue."""
    return shipped_index().search(query, limit)


OFF_TOPIC = [
    "pizza recipe",
    "how to fix my car engine",
    "asdfgh",
    "car insurance",
    "premier league results",
    "cheap flights to spain",
    "qwerty uiop",
    "lorem ipsum dolor sit amet",
    "the quick brown fox jumps over the lazy dog",
    "what is the capital of france",
]


@pytest.mark.parametrize("query", OFF_TOPIC)
def test_off_topic_never_returns_a_resource(query: str) -> None:
    result = search(query)
    assert result.band is Band.NONE
    assert result.hits == ()


# Everyday queries that share a word with the catalogue ("delivery", "train", "plan", "value",
# "job", "data", "care"): the shared word alone is no reason for a "Did you mean".
SHARED_WORD = [
    "pizza delivery near me",
    "delivery of my new car",
    "how to train my dog",
    "plan a holiday",
    "value of my house",
    "job at tesco",
    "best data plan for my phone",
    "care for my cat",
    "model train set",
]


@pytest.mark.parametrize("query", SHARED_WORD)
def test_a_shared_everyday_word_is_not_a_suggestion(query: str) -> None:
    result = search(query)
    assert result.band is Band.NONE, [h.resource.id for h in result.hits]
    assert result.hits == ()
    assert result.terms  # recorded as a search gap by the bot


@pytest.mark.parametrize(
    "query", [q.query for q in load_queries(QUERY_SETS[OFF_TOPIC_SET])], ids=lambda q: q
)
def test_every_tuned_off_topic_query_matches_nothing(query: str) -> None:
    assert search(query).band is Band.NONE


# A stray word around a real topic still earns suggestions: the topic is not an everyday word.
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("safe staffing in leeds", "safe-staffing-ld-autism"),
        ("values based recruitment rota", "values-based-recruitment"),
    ],
)
def test_a_stray_word_around_a_real_topic_still_suggests(query: str, expected: str) -> None:
    result = search(query)
    assert result.band is not Band.NONE
    assert expected in [h.resource.id for h in result.hits]


def test_everyday_words_alone_still_suggest_when_fully_understood() -> None:
    # Every word is the catalogue's: vague, not off-topic, so "Did you mean" stays.
    assert search("care").band is Band.SUGGEST
    assert search("staff").band is Band.SUGGEST


# Near the domain, but about things the catalogue does not cover: no confident answer.
NEAR_DOMAIN = [
    "care home fees",
    "carers allowance",
    "nursing home near me",
    "personal budget direct payments",
    "mental health crisis line",
    "universal credit for carers",
]


@pytest.mark.parametrize("query", NEAR_DOMAIN)
def test_near_domain_traps_get_no_confident_answer(query: str) -> None:
    assert search(query).band is not Band.CONFIDENT


@pytest.mark.parametrize("query", ["", "   ", "\n\t", "😀😀😀", "🙂 👍", "?!...", "-", "a"])
def test_empty_or_symbol_only_input_matches_nothing(query: str) -> None:
    result = search(query)
    assert result.band is Band.NONE
    assert result.hits == ()
    assert result.terms == ()


@pytest.mark.parametrize(
    "query",
    [
        "safe staffing " * 300,
        "x" * 4000,
        "😀" * 4000,
        " ".join(f"word{i}" for i in range(800)),
        "apprenticeships " + "lorem ipsum " * 400,
    ],
    ids=["repeated-words", "one-long-word", "emoji", "many-unknown-words", "long-tail"],
)
def test_long_input_is_quick_and_safe(query: str) -> None:
    started = time.perf_counter()
    result = search(query)
    assert time.perf_counter() - started < 0.5
    assert result.query == query
    assert len(result.hits) <= 5


def test_vague_query_offers_did_you_mean() -> None:
    # "staff" is in almost every entry: too vague to answer, but worth offering choices.
    result = search("staff")
    assert result.band is Band.SUGGEST
    assert 1 <= len(result.hits) <= 3


def test_confident_answer_respects_the_limit() -> None:
    assert len(search("training", limit=2).hits) == 2
    assert len(search("training", limit=1).hits) == 1


def test_scores_are_between_zero_and_one_best_first() -> None:
    for query in ("training", "safe staffing", "how much is my care worth", "staff"):
        scores = [hit.score for hit in search(query).hits]
        assert all(0.0 <= s <= 1.0 for s in scores)
        assert scores == sorted(scores, reverse=True)


def test_terms_keep_meaningful_words_only() -> None:
    result = search("Hi, I'm looking for safe staffing guidance please!")
    assert result.terms == ("safe", "staffing", "guidance")


def test_terms_are_recorded_when_nothing_matches() -> None:
    result = search("Where can I get a blue badge?")
    assert result.band is Band.NONE
    assert result.terms == ("blue", "badge")


def test_typo_is_reported_as_typed() -> None:
    assert search("safe stafing").terms == ("safe", "stafing")
