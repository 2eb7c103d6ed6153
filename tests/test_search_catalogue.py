"""Every shipped resource is found by its own title and by the words people really use."""

from __future__ import annotations

import pytest

from bench.search_quality import load_catalogue, shipped_index
from bot.search import Band

RESOURCES, _ = load_catalogue()

# Two lay phrasings per entry, written as a carer or a manager would type them.
LAY_PHRASINGS: dict[str, tuple[str, str]] = {
    "tcp-workforce-planning-guidance": (
        "help writing our workforce plan",
        "planning future staffing for transforming care",
    ),
    "capacity-modelling-cld-multiplier": (
        "staffing for a crisis team",
        "how many staff in an intensive support team",
    ),
    "capacity-modelling-social-care-calculator": (
        "calculate support staff needed for care packages",
        "social care staffing tool for our locality",
    ),
    "value-of-replacement-care-report": (
        "what is the care family carers give worth",
        "cost of replacing unpaid carers",
    ),
    "value-of-replacement-care-la-data": (
        "value of unpaid care in each council",
        "replacement care figures for our local authority",
    ),
    "carer-data-calculator": (
        "calculator for unpaid carers in my area",
        "work out what family carers save locally",
    ),
    "valuing-carers-report": ("carers uk report", "true value of unpaid carers"),
    "generic-role-templates": (
        "templates to design new roles",
        "core skills for community team jobs",
    ),
    "transition-role-templates": (
        "job roles for transition to adult services",
        "role template for staff working with young people turning 18",
    ),
    "safe-staffing-ld-autism": (
        "we are understaffed is it safe",
        "safe staff levels autism service",
    ),
    "recruiting-retaining-staff-guidance": (
        "easy read guide on recruiting and keeping staff",
        "why do staff leave and how to keep them",
    ),
    "finding-keeping-staff-booklet": (
        "short booklet on finding staff",
        "ways to find and keep staff",
    ),
    "values-based-recruitment": ("recruit staff with the right values", "hiring for values"),
    "flexible-routes-recruitment": ("apprentice schemes", "part time routes into healthcare jobs"),
    "cyp-workforce-report": ("workforce for autistic children", "skills matrix for kids services"),
    "ahp-scoping-report": (
        "role of therapists in ld services",
        "occupational therapy new models of care",
    ),
    "health-careers": ("careers in the nhs", "how to become a physio"),
    "skills-for-care-workforce-data": (
        "social care staff turnover figures for our council",
        "benchmark our care workforce",
    ),
    "making-it-real": (
        "what people want from the people who support them",
        "think local act personal",
    ),
    "secrets-of-success": ("how do good care employers keep staff", "skills for care secrets"),
    "ndti-specialist-staff": (
        "supporting people whose behaviour challenges in the community",
        "specialist support staff complex needs",
    ),
    "capability-statement-ld-social-work": (
        "skills social workers need for learning disability",
        "basw capability statement learning disabilities",
    ),
    "capability-statement-autism-social-work": (
        "social work with autistic people",
        "what should social workers know about autism",
    ),
    "ld-transition-competency-framework": (
        "competencies for transition to adult services",
        "framework of skills staff need when young people move to adult services",
    ),
    "dhsc-autism-training": ("government autism training", "department of health autism courses"),
    "skills-for-care-autism-training": (
        "autism courses for care workers",
        "skills for care autism resources",
    ),
    "raising-our-sights-training": (
        "training staff to support profound and multiple learning disabilities",
        "mencap raising our sights",
    ),
    "darlington-picks": ("darlington case study", "15 week staff training programme enablement"),
}


def test_every_resource_has_two_lay_phrasings() -> None:
    assert set(LAY_PHRASINGS) == {r.id for r in RESOURCES}


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.id)
def test_found_first_by_its_own_title(resource: object) -> None:
    result = shipped_index().search(resource.title)  # type: ignore[attr-defined]
    assert result.band is Band.CONFIDENT
    assert result.hits[0].resource.id == resource.id  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("resource_id", "query"),
    [(rid, q) for rid, phrasings in LAY_PHRASINGS.items() for q in phrasings],
)
def test_found_in_top_three_by_lay_phrasing(resource_id: str, query: str) -> None:
    result = shipped_index().search(query)
    top3 = [h.resource.id for h in result.hits[:3]]
    assert result.band is Band.CONFIDENT, (query, result.band, top3)
    assert resource_id in top3, (query, top3)
