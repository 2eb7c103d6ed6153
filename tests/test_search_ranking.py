"""Search on the shipped catalogue: typos, prefixes, synonyms and acronyms reach the right entry."""

from __future__ import annotations

import pytest

from bench.search_quality import shipped_index
from bot.search import Band


def ranked_ids(query: str) -> list[str]:
    """Return the ids of a confident answer, best first (empty if not confident)."""
    result = shipped_index().search(query)
    if result.band is not Band.CONFIDENT:
        return []
    return [hit.resource.id for hit in result.hits]


# (query, an id that must be in the top three of a confident answer)
FOUND = [
    # typos, one and two per word, including a transposition
    ("safe stafing", "safe-staffing-ld-autism"),
    ("apprentiships", "flexible-routes-recruitment"),
    ("recuritment and retention", "recruiting-retaining-staff-guidance"),
    ("transistion role template", "transition-role-templates"),
    ("carer data calcuator", "carer-data-calculator"),
    ("occupational therapsit", "ahp-scoping-report"),
    ("skils for care autism", "skills-for-care-autism-training"),
    # prefixes of longer words
    ("physio roles", "ahp-scoping-report"),
    ("phys", "ahp-scoping-report"),
    ("apprentic", "flexible-routes-recruitment"),
    # lay words and synonyms, single words and phrases
    ("hiring and keeping staff", "recruiting-retaining-staff-guidance"),
    ("hiring", "values-based-recruitment"),
    ("staff keep leaving", "recruiting-retaining-staff-guidance"),
    ("short staffed", "safe-staffing-ld-autism"),
    ("what my care is worth", "value-of-replacement-care-report"),
    ("how much is the care I give my son worth?", "value-of-replacement-care-report"),
    ("looking after my brother what does it save", "carer-data-calculator"),
    ("speech and language therapy", "ahp-scoping-report"),
    ("speech therapist", "ahp-scoping-report"),
    ("job description", "generic-role-templates"),
    ("challenging behaviour", "ndti-specialist-staff"),
    ("learning disability nurse", "health-careers"),
    ("pay rates", "skills-for-care-workforce-data"),
    ("easy read", "recruiting-retaining-staff-guidance"),
    # acronyms
    ("AHP", "ahp-scoping-report"),
    ("TCP", "tcp-workforce-planning-guidance"),
    ("CYP", "cyp-workforce-report"),
    ("PMLD", "raising-our-sights-training"),
    ("VBR", "values-based-recruitment"),
    ("OT", "ahp-scoping-report"),
    ("SALT", "ahp-scoping-report"),
    ("CLDT", "capacity-modelling-cld-multiplier"),
    ("TLAP", "making-it-real"),
    ("NDTi", "ndti-specialist-staff"),
    ("BASW", "capability-statement-ld-social-work"),
    ("DHSC autism", "dhsc-autism-training"),
    # punctuation and case do not matter
    ("VALUES-BASED RECRUITMENT!!!", "values-based-recruitment"),
    ("Carer's calculator?", "carer-data-calculator"),
]


@pytest.mark.parametrize(("query", "expected"), FOUND)
def test_found_in_top_three(query: str, expected: str) -> None:
    assert expected in ranked_ids(query)[:3], ranked_ids(query)


# (query, better, worse): better must rank above worse, or worse must not be listed at all
ORDER = [
    # the entry about exactly this beats one that mentions it in passing
    ("safe staffing", "safe-staffing-ld-autism", "capacity-modelling-cld-multiplier"),
    (
        "social care calculator",
        "capacity-modelling-social-care-calculator",
        "carer-data-calculator",
    ),
    ("carer calculator", "carer-data-calculator", "capacity-modelling-social-care-calculator"),
    ("valuing carers", "valuing-carers-report", "value-of-replacement-care-report"),
    (
        "replacement care by local authority",
        "value-of-replacement-care-la-data",
        "value-of-replacement-care-report",
    ),
    (
        "replacement care methodology",
        "value-of-replacement-care-report",
        "value-of-replacement-care-la-data",
    ),
    ("generic role templates", "generic-role-templates", "transition-role-templates"),
    ("transition role templates", "transition-role-templates", "generic-role-templates"),
    (
        "autism social worker",
        "capability-statement-autism-social-work",
        "capability-statement-ld-social-work",
    ),
    ("skills for care autism", "skills-for-care-autism-training", "dhsc-autism-training"),
    ("dhsc autism training", "dhsc-autism-training", "skills-for-care-autism-training"),
    ("values based recruitment", "values-based-recruitment", "value-of-replacement-care-report"),
    # a rare word outweighs a common one: "apprenticeship" decides, "staff" does not
    ("staff apprenticeships", "flexible-routes-recruitment", "safe-staffing-ld-autism"),
    ("care worth", "value-of-replacement-care-report", "skills-for-care-autism-training"),
    # a typo still lands on the right one of two close entries
    (
        "transistion competency framework",
        "ld-transition-competency-framework",
        "transition-role-templates",
    ),
]


@pytest.mark.parametrize(("query", "better", "worse"), ORDER)
def test_relative_ranking(query: str, better: str, worse: str) -> None:
    ids = ranked_ids(query)
    assert better in ids, ids
    if worse in ids:
        assert ids.index(better) < ids.index(worse), ids


def test_short_words_are_not_typo_corrected() -> None:
    # "car" is one letter from "care", but words under four letters get no typo allowance.
    assert shipped_index().search("car").band is Band.NONE


def test_a_wrong_first_letter_costs_more() -> None:
    # "bafe" is one letter from "safe", but a four-letter word may have only one typo and a
    # wrong first letter counts as two.
    assert shipped_index().search("bafe").band is Band.NONE
    assert "safe-staffing-ld-autism" in ranked_ids("saef staffing")


def test_by_topic_lists_the_topic_in_catalogue_order() -> None:
    index = shipped_index()
    unpaid = [r.id for r in index.by_topic("unpaid-carers")]
    assert unpaid[0] == "value-of-replacement-care-report"
    assert "carer-data-calculator" in unpaid
    assert index.by_topic("no-such-topic") == ()
