"""What the guide says, as typed, frozen data.

Each dataclass here is the schema of one YAML shape in ``content/``: the loader turns YAML into
these classes field by field, so the field comments below double as the authoring reference.
A field without a default is required; ``tuple[...]`` fields are YAML lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Statement:
    """One good-practice statement a council rates itself against (section 6.2)."""

    id: str  # stable, kebab-case; stored with every rating and used as a CSV value
    title: str  # short, fits a phone screen (at most 60 characters)
    text: str  # the full statement, plain English, faithful to the source
    sub_points: tuple[str, ...] = ()  # the source's bullet points, where it lists them
    plain: str = ""  # one plain sentence summing it up, shown above the full text
    easy_title: str = ""  # the easy-read title: a few common words
    easy_read: str = ""  # the easy-read statement: short sentences, one idea each, ~40 words
    reading: tuple[str, ...] = ()  # resource ids to suggest first after a low rating, best first


@dataclass(frozen=True)
class ScalePoint:
    """One level of a rating scale."""

    value: int  # 1 to 5
    label: str  # the level's name, e.g. "Commitment"
    description: str  # what the level means, from the source
    short: str = ""  # the meaning in one short line, for the scale at a glance
    easy_read: str = ""  # the easy-read meaning: a short phrase
    symbol: str = ""  # an emoji shown beside the level everywhere in easy read


@dataclass(frozen=True)
class Scale:
    """A named five-point rating scale (section 6.5)."""

    id: str
    name: str
    intro: str  # one or two sentences on how to use the scale
    points: tuple[ScalePoint, ...]  # exactly five, values 1 to 5 in order


@dataclass(frozen=True)
class Outcome:
    """An expected outcome of good practice (section 6.3)."""

    id: str
    text: str
    statements: tuple[str, ...] = ()  # the statements (ids) whose good practice leads here


@dataclass(frozen=True)
class Indicator:
    """A performance indicator (section 6.4)."""

    id: str
    title: str  # short name for a button or list
    text: str  # what to measure, in plain English
    aim: str  # "To improve aim for", e.g. "Increasing percentage"
    data: Literal["national", "local"]  # where the data comes from
    measures: tuple[str, ...] = ()  # the sub-measures the source lists, if any
    statements: tuple[str, ...] = ()  # the statements (ids) this indicator helps to measure


@dataclass(frozen=True)
class IndicatorGroup:
    """A family of indicators: outcome, individual experience, or value for money."""

    id: str
    title: str
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class Topic:
    """A heading to browse the resource catalogue by."""

    id: str
    label: str  # button text, short


@dataclass(frozen=True)
class Resource:
    """One entry of the resource catalogue."""

    id: str  # stable, kebab-case; used in buttons and links
    title: str  # the exact title of the publication or tool
    publisher: str  # e.g. "Health Education England"
    kind: Literal["hee-resource", "further-reading", "case-study", "website", "data"]
    summary: str  # 2 or 3 plain-English sentences a carer understands
    audience: tuple[str, ...]  # who it is for: managers, commissioners, carers, staff...
    topics: tuple[str, ...]  # topic ids from topics.yaml
    keywords: tuple[str, ...]  # words and phrases people really type, acronyms included
    statements: tuple[str, ...] = ()  # statement ids this resource helps with
    year: int | None = None  # only where the source gives one
    accessible: bool = False  # an accessible or easy-read version exists (per the source)
    url: str | None = None  # a deep link, only where we are sure of it
    home_page: str | None = None  # the publisher's home page, when there is no sure deep link


@dataclass(frozen=True)
class SearchVocabulary:
    """Words the resource search treats specially (content/search.yaml)."""

    stop_words: tuple[str, ...]  # words and chat filler that carry no meaning in a query
    synonyms: tuple[tuple[str, ...], ...]  # groups of words or short phrases meaning the same


@dataclass(frozen=True)
class Term:
    """A word or phrase a carer might stumble on, and what it means (content/glossary.yaml)."""

    id: str
    term: str  # as it is written on screen, e.g. "strengths-based"
    meaning: str  # a plain, general definition: no invented facts
    also: tuple[str, ...] = ()  # other forms that count, e.g. "strengths-based working"


@dataclass(frozen=True)
class About:
    """The "About this guide" screen (content/about.yaml), from section 6.1 and its voices."""

    intro: str  # who the workforce is and why it matters (6.1), in plain words
    voice: str  # what an expert by experience said a good support worker does
    voice_by: str  # who said it, as the source puts it


@dataclass(frozen=True)
class Content:
    """Everything in ``content/``, validated and cross-checked."""

    statements: tuple[Statement, ...]
    scales: tuple[Scale, ...]
    outcomes: tuple[Outcome, ...]
    indicator_groups: tuple[IndicatorGroup, ...]
    topics: tuple[Topic, ...]
    resources: tuple[Resource, ...]
    vocabulary: SearchVocabulary
    texts: dict[str, str] = field(default_factory=dict)  # UI wording by key
    glossary: tuple[Term, ...] = ()
    about: About | None = None

    def statement(self, statement_id: str) -> Statement | None:
        """Return the statement with this id, or None."""
        return next((s for s in self.statements if s.id == statement_id), None)

    def scale(self, scale_id: str) -> Scale | None:
        """Return the scale with this id, or None."""
        return next((s for s in self.scales if s.id == scale_id), None)

    def resource(self, resource_id: str) -> Resource | None:
        """Return the resource with this id, or None."""
        return next((r for r in self.resources if r.id == resource_id), None)

    def statement_titles(self) -> dict[str, str]:
        """Return each statement's short title by id (a CSV export's statement_title)."""
        return {s.id: s.title for s in self.statements}

    def rating_labels(self) -> dict[int, str]:
        """Return each rating level's name by value (a CSV export's rating_label)."""
        return {p.value: p.label for s in self.scales for p in s.points}

    def signs_for_statement(self, statement_id: str) -> str:
        """Return what would show a statement's practice is working: its indicators' titles."""
        return "; ".join(
            indicator.title
            for group in self.indicator_groups
            for indicator in group.indicators
            if statement_id in indicator.statements
        )

    def resources_for_statement(self, statement_id: str) -> tuple[Resource, ...]:
        """Return the resources tied to a statement, further reading first."""
        tied = [r for r in self.resources if statement_id in r.statements]
        order = {"further-reading": 0, "data": 0, "case-study": 1}
        return tuple(sorted(tied, key=lambda r: order.get(r.kind, 2)))
