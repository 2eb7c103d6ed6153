"""The shipped resource catalogue, topics and search vocabulary are complete and consistent."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

import pytest

from bot.content_model import Content
from bot.loading import load_content
from bot.search import stem

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"

REQUIRED_IDS = {
    "tcp-workforce-planning-guidance",
    "capacity-modelling-cld-multiplier",
    "capacity-modelling-social-care-calculator",
    "value-of-replacement-care-report",
    "value-of-replacement-care-la-data",
    "carer-data-calculator",
    "valuing-carers-report",
    "generic-role-templates",
    "transition-role-templates",
    "safe-staffing-ld-autism",
    "recruiting-retaining-staff-guidance",
    "finding-keeping-staff-booklet",
    "values-based-recruitment",
    "flexible-routes-recruitment",
    "cyp-workforce-report",
    "ahp-scoping-report",
    "health-careers",
    "skills-for-care-workforce-data",
    "making-it-real",
    "secrets-of-success",
    "ndti-specialist-staff",
    "capability-statement-ld-social-work",
    "capability-statement-autism-social-work",
    "ld-transition-competency-framework",
    "dhsc-autism-training",
    "skills-for-care-autism-training",
    "raising-our-sights-training",
    "darlington-picks",
}

# Publisher home pages we are sure of. Darlington's is the council that runs the Life Stage
# Service; the others were agreed for the project.
ALLOWED_HOSTS = {
    "www.hee.nhs.uk",
    "www.england.nhs.uk",
    "www.healthcareers.nhs.uk",
    "www.skillsforcare.org.uk",
    "www.thinklocalactpersonal.org.uk",
    "www.ndti.org.uk",
    "www.mencap.org.uk",
    "www.carersuk.org",
    "www.gov.uk",
    "www.basw.co.uk",
}

# Years the source gives (section 6.5); no other entry may have one.
SOURCE_YEARS = {
    "making-it-real": 2018,
    "secrets-of-success": 2017,
    "ndti-specialist-staff": 2016,
    "capability-statement-ld-social-work": 2019,
    "capability-statement-autism-social-work": 2019,
    "ld-transition-competency-framework": 2016,
    "raising-our-sights-training": 2010,
}

# Where the source says an accessible format exists.
ACCESSIBLE = {"tcp-workforce-planning-guidance", "recruiting-retaining-staff-guidance"}

KINDS = {
    "darlington-picks": "case-study",
    "health-careers": "website",
    "skills-for-care-workforce-data": "data",
}
FURTHER_READING = {
    "making-it-real",
    "secrets-of-success",
    "ndti-specialist-staff",
    "capability-statement-ld-social-work",
    "capability-statement-autism-social-work",
    "ld-transition-competency-framework",
    "dhsc-autism-training",
    "skills-for-care-autism-training",
    "raising-our-sights-training",
}


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(CONTENT_DIR)


def test_resource_ids_are_unique(content: Content) -> None:
    counts = Counter(r.id for r in content.resources)
    assert [rid for rid, n in counts.items() if n > 1] == []


def test_required_ids_are_present(content: Content) -> None:
    assert {r.id for r in content.resources} >= REQUIRED_IDS


def test_topic_references_exist_and_every_topic_is_used(content: Content) -> None:
    topics = {t.id for t in content.topics}
    used = {t for r in content.resources for t in r.topics}
    assert used <= topics
    assert topics <= used
    assert 6 <= len(topics) <= 10


def test_topic_labels_fit_a_button(content: Content) -> None:
    assert all(len(t.label) <= 30 for t in content.topics)


def test_statement_references_exist_and_every_statement_has_a_resource(content: Content) -> None:
    statements = {s.id for s in content.statements}
    used = {s for r in content.resources for s in r.statements}
    assert used <= statements
    assert statements <= used


def test_every_entry_links_to_an_allowed_https_site(content: Content) -> None:
    for resource in content.resources:
        links = [link for link in (resource.url, resource.home_page) if link]
        # A case study from the framework has no publisher site we can be sure of.
        assert links or resource.kind == "case-study", resource.id
        for link in links:
            parsed = urlparse(link)
            assert parsed.scheme == "https", (resource.id, link)
            assert parsed.hostname in ALLOWED_HOSTS, (resource.id, link)


def test_home_pages_are_home_pages(content: Content) -> None:
    # A home page has no path: a deep link belongs in `url`, and only when we are sure of it.
    for resource in content.resources:
        if resource.home_page:
            assert urlparse(resource.home_page).path in ("", "/"), resource.id


def test_years_only_where_the_source_gives_them(content: Content) -> None:
    assert {r.id: r.year for r in content.resources if r.year is not None} == SOURCE_YEARS


def test_accessible_only_where_the_source_says_so(content: Content) -> None:
    assert {r.id for r in content.resources if r.accessible} == ACCESSIBLE


def test_kinds_follow_the_source(content: Content) -> None:
    for resource in content.resources:
        if resource.id in KINDS:
            expected = KINDS[resource.id]
        elif resource.id in FURTHER_READING:
            expected = "further-reading"
        else:
            expected = "hee-resource"
        assert resource.kind == expected, resource.id


def test_summaries_are_two_or_three_sentences(content: Content) -> None:
    for resource in content.resources:
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", resource.summary.strip()) if s]
        assert 2 <= len(sentences) <= 3, resource.id


def test_every_entry_has_keywords_and_an_audience(content: Content) -> None:
    for resource in content.resources:
        assert resource.keywords, resource.id
        assert resource.audience, resource.id
        lowered = [k.lower() for k in resource.keywords]
        assert len(lowered) == len(set(lowered)), resource.id


def test_synonym_groups_have_two_distinct_members(content: Content) -> None:
    for group in content.vocabulary.synonyms:
        assert len({m.lower() for m in group}) >= 2, group


def test_no_single_word_is_both_a_stop_word_and_a_synonym(content: Content) -> None:
    # Such a word would silently stop being filler; make the choice explicit in search.yaml.
    stops = {stem(w.lower()) for w in content.vocabulary.stop_words if " " not in w}
    singles = {stem(m.lower()) for g in content.vocabulary.synonyms for m in g if " " not in m}
    assert stops & singles == set()


def test_stop_words_are_words_not_booleans(content: Content) -> None:
    assert all(isinstance(w, str) and w.strip() for w in content.vocabulary.stop_words)
