"""Load ``content/`` into a ``Content`` model, reporting every problem at once."""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bot.content_model import (
    About,
    Content,
    IndicatorGroup,
    Outcome,
    Resource,
    Scale,
    SearchVocabulary,
    Statement,
    Term,
    Topic,
)
from bot.loading.problems import ContentError, Problem
from bot.loading.typed import Converter, Marks, compose_file, top_level
from bot.texts import REQUIRED_TEXTS

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}$")
MAX_TITLE = 60
SCALE_VALUES = (1, 2, 3, 4, 5)

FILES: dict[str, dict[str, Any]] = {
    "statements.yaml": {"statements": tuple[Statement, ...]},
    "scales.yaml": {"scales": tuple[Scale, ...]},
    "outcomes.yaml": {"outcomes": tuple[Outcome, ...]},
    "indicators.yaml": {"groups": tuple[IndicatorGroup, ...]},
    "topics.yaml": {"topics": tuple[Topic, ...]},
    "resources.yaml": {"resources": tuple[Resource, ...]},
    "search.yaml": {"stop_words": tuple[str, ...], "synonyms": tuple[tuple[str, ...], ...]},
    "texts.yaml": {"texts": dict[str, str]},
    "glossary.yaml": {"terms": tuple[Term, ...]},
    "about.yaml": {"about": About},
}


def load_content(directory: Path) -> Content:
    """Load and check every content file; raise ContentError listing all problems."""
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    marks: dict[str, Marks] = {}
    for name, expected in FILES.items():
        path = directory / name
        shown = _shown_path(path)
        if not path.is_file():
            problems.append(Problem(shown, 1, 1, f"missing content file {name}"))
            continue
        node = compose_file(path.read_text(encoding="utf-8"), shown, problems)
        if node is None:
            continue
        converter = Converter(shown)
        values.update(top_level(converter, node, expected))
        problems.extend(converter.problems)
        marks[name] = converter.marks
        # Keep converted objects alive so the marks keyed by id() stay valid while checking.
        values.setdefault("_keep", []).append(converter.keep_alive)
    if problems:
        raise ContentError(problems)
    content = Content(
        statements=values["statements"],
        scales=values["scales"],
        outcomes=values["outcomes"],
        indicator_groups=values["groups"],
        topics=values["topics"],
        resources=values["resources"],
        vocabulary=SearchVocabulary(values["stop_words"], values["synonyms"]),
        texts=values["texts"],
        glossary=values["terms"],
        about=values["about"],
    )
    problems.extend(check_content(content, marks))
    if problems:
        raise ContentError(problems)
    return content


def _shown_path(path: Path) -> str:
    """Show a path relative to the working directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def check_content(content: Content, marks: dict[str, Marks]) -> list[Problem]:
    """Run every cross-file check on loaded content."""
    problems: list[Problem] = []
    problems += _unique_ids(marks["statements.yaml"], content.statements, "statement")
    problems += _unique_ids(marks["scales.yaml"], content.scales, "scale")
    problems += _unique_ids(marks["outcomes.yaml"], content.outcomes, "outcome")
    problems += _unique_ids(marks["indicators.yaml"], content.indicator_groups, "indicator group")
    indicators = [i for g in content.indicator_groups for i in g.indicators]
    problems += _unique_ids(marks["indicators.yaml"], indicators, "indicator")
    problems += _unique_ids(marks["topics.yaml"], content.topics, "topic")
    problems += _unique_ids(marks["resources.yaml"], content.resources, "resource")
    problems += _statement_titles(marks["statements.yaml"], content.statements)
    problems += _scales_have_five_points(marks["scales.yaml"], content.scales)
    problems += _resource_references(marks["resources.yaml"], content)
    problems += _resource_links(marks["resources.yaml"], content.resources)
    problems += _synonym_groups(marks["search.yaml"], content.vocabulary)
    problems += _texts(marks["texts.yaml"], content.texts)
    return problems


def _unique_ids(marks: Marks, items: Iterable[Any], what: str) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for item in items:
        if not ID_PATTERN.match(item.id):
            problems.append(
                marks.problem(
                    item, "id", f"{what} id '{item.id}' should be lower-case-words-with-hyphens"
                )
            )
        if item.id in seen:
            problems.append(marks.problem(item, "id", f"duplicate {what} id '{item.id}'"))
        seen.add(item.id)
    return problems


def _statement_titles(marks: Marks, statements: Iterable[Statement]) -> list[Problem]:
    return [
        marks.problem(
            s, "title", f"title is {len(s.title)} characters; keep it to {MAX_TITLE} for phones"
        )
        for s in statements
        if len(s.title) > MAX_TITLE
    ]


def _scales_have_five_points(marks: Marks, scales: Iterable[Scale]) -> list[Problem]:
    problems = []
    for scale in scales:
        values = tuple(p.value for p in scale.points)
        if values != SCALE_VALUES:
            problems.append(
                marks.problem(
                    scale,
                    "points",
                    f"scale '{scale.id}' needs five labelled points valued 1 to 5 in order; "
                    f"it has {list(values)}",
                )
            )
    return problems


def _resource_references(marks: Marks, content: Content) -> list[Problem]:
    problems = []
    topics = {t.id for t in content.topics}
    statements = {s.id for s in content.statements}
    used_topics: Counter[str] = Counter()
    for resource in content.resources:
        for index, topic in enumerate(resource.topics):
            used_topics[topic] += 1
            if topic not in topics:
                problems.append(marks.problem(resource.topics, index, f"unknown topic '{topic}'"))
        for index, statement in enumerate(resource.statements):
            if statement not in statements:
                problems.append(
                    marks.problem(resource.statements, index, f"unknown statement '{statement}'")
                )
    for unused in content.topics:
        if not used_topics[unused.id]:
            problems.append(marks.problem(unused, "id", f"topic '{unused.id}' has no resources"))
    return problems


def _resource_links(marks: Marks, resources: Iterable[Resource]) -> list[Problem]:
    problems = []
    for resource in resources:
        # A case study is described in the framework itself and may have no site of its own.
        if resource.url is None and resource.home_page is None and resource.kind != "case-study":
            problems.append(
                marks.problem(resource, "id", f"resource '{resource.id}' needs a url or home_page")
            )
        for key in ("url", "home_page"):
            link = getattr(resource, key)
            if link is not None and not link.startswith("https://"):
                problems.append(marks.problem(resource, key, f"{key} should start with https://"))
    return problems


def _synonym_groups(marks: Marks, vocabulary: SearchVocabulary) -> list[Problem]:
    return [
        marks.problem(vocabulary.synonyms, index, "a synonym group needs at least two terms")
        for index, group in enumerate(vocabulary.synonyms)
        if len(group) < 2
    ]


def _texts(marks: Marks, texts: dict[str, str]) -> list[Problem]:
    problems = []
    for key, allowed in REQUIRED_TEXTS.items():
        if key not in texts:
            problems.append(marks.problem(texts, None, f"texts is missing '{key}'"))
            continue
        try:
            names = {n for _, n, _, _ in string.Formatter().parse(texts[key]) if n}
        except ValueError as exc:
            problems.append(marks.problem(texts, key, f"text '{key}' has a broken {{}}: {exc}"))
            continue
        for unknown in sorted(names - allowed):
            known = ", ".join("{" + a + "}" for a in sorted(allowed)) or "none"
            problems.append(
                marks.problem(texts, key, f"text '{key}' uses {{{unknown}}}; it can use: {known}")
            )
    return problems
