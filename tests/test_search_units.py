"""The search's parts on a tiny inline catalogue: stemming, typos, rarity, stop words, synonyms."""

from __future__ import annotations

import pytest

from bot.content_model import Resource, SearchVocabulary
from bot.search import Band, SearchIndex, stem


def entry(rid: str, title: str, summary: str = "", keywords: tuple[str, ...] = ()) -> Resource:
    """Return a minimal catalogue entry."""
    return Resource(
        id=rid,
        title=title,
        publisher="Test",
        kind="further-reading",
        summary=summary or title,
        audience=("managers",),
        topics=("testing",),
        keywords=keywords,
        home_page="https://www.example.org",
    )


CATALOGUE = (
    entry("car", "Fixing your car", "How to fix my car when it breaks down."),
    entry("care", "Care and support planning", "Planning care and support with staff."),
    entry("apprentices", "Staff apprenticeships", "Apprenticeships for new staff."),
    entry("recruit", "Staff recruitment", "Recruitment of staff.", keywords=("job adverts",)),
    entry("physio", "Physiotherapists in teams", "What physiotherapists do for staff."),
)
VOCABULARY = SearchVocabulary(
    stop_words=("a", "the", "for", "my", "how", "to", "please", "looking for", "i", "is"),
    synonyms=(("recruitment", "hiring"), ("apprenticeship", "apprentice")),
)


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex.build(CATALOGUE, VOCABULARY)


def ids(index: SearchIndex, query: str) -> list[str]:
    """Return the ids of a confident answer, best first."""
    result = index.search(query)
    return [h.resource.id for h in result.hits] if result.band is Band.CONFIDENT else []


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("carers", "carer"),
        ("care", "care"),
        ("caring", "caring"),  # too short a stem to strip: "car" would be a different word
        ("staffing", "staff"),
        ("staffed", "staff"),
        ("planning", "plan"),
        ("modelling", "model"),
        ("skilled", "skill"),
        ("disabilities", "disability"),
        ("services", "servic"),
        ("service", "servic"),
        ("values", "valu"),
        ("valuing", "valu"),
        ("statement", "statement"),
        ("analysis", "analysis"),
        ("ahps", "ahp"),
        ("2019", "2019"),
    ],
)
def test_stem(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_a_shared_short_word_is_not_a_match(index: SearchIndex) -> None:
    # rapidfuzz's whole-string scorers give 100 to "care" against "how to fix my car".
    assert ids(index, "care") == ["care"]
    assert ids(index, "car") == ["car"]


def test_typo_within_the_allowance_is_corrected(index: SearchIndex) -> None:
    assert ids(index, "recruitmnet")[0] == "recruit"  # transposition: one typo
    assert ids(index, "apprentiships")[0] == "apprentices"  # two typos in a long word


def test_typo_beyond_the_allowance_is_not(index: SearchIndex) -> None:
    assert index.search("rekroot").band is Band.NONE


def test_prefix_completes_a_longer_word(index: SearchIndex) -> None:
    assert ids(index, "physio")[0] == "physio"


def test_synonyms_expand_both_ways(index: SearchIndex) -> None:
    assert ids(index, "hiring")[0] == "recruit"
    assert ids(index, "apprentice")[0] == "apprentices"


def test_rare_words_outweigh_common_ones(index: SearchIndex) -> None:
    assert ids(index, "staff apprenticeships")[0] == "apprentices"


def test_unknown_words_count_against_every_entry(index: SearchIndex) -> None:
    alone = index.search("apprenticeships").hits[0].score
    diluted = index.search("apprenticeships pizza pasta").hits
    assert not diluted or diluted[0].score < alone


def test_stop_words_and_phrases_are_dropped(index: SearchIndex) -> None:
    result = index.search("Hi, I'm looking for apprenticeships please")
    assert result.terms == ("hi", "apprenticeships")  # "hi" is not a stop word here
    assert ids(index, "looking for apprenticeships please") == ["apprentices"]


def test_build_accepts_an_empty_catalogue() -> None:
    empty = SearchIndex.build((), SearchVocabulary(stop_words=(), synonyms=()))
    assert empty.search("anything").band is Band.NONE
    assert empty.by_topic("testing") == ()


def test_stop_words_are_never_typo_corrected() -> None:
    # "like" is one letter from "life"; as filler it must not find the Life Stage Service.
    index = SearchIndex.build(
        (entry("life", "Life stage service"),),
        SearchVocabulary(stop_words=("like",), synonyms=()),
    )
    assert index.search("like").band is Band.NONE
    assert index.search("lifr").band is Band.CONFIDENT  # a real typo still is
