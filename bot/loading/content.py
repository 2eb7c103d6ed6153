"""Load ``content/`` into a ``Content`` model, reporting every problem at once."""

from __future__ import annotations

import difflib
import re
import string
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.content_model import (
    About,
    Content,
    Indicator,
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
    """Load and check every content file; raise ContentError listing all problems.

    A file with a problem does not hide the others' problems: each cross-file check runs on
    whatever loaded, and is skipped only when the values it reads did not load (or, where a
    missing item would make it report something untrue, did not load whole).
    """
    problems: list[Problem] = []
    loaded = _Loaded()
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
        values = top_level(converter, node, expected)
        problems.extend(converter.problems)
        loaded.add(name, expected, values, converter)
    content = loaded.content()
    problems.extend(_run_checks(content, loaded))
    if problems:
        raise ContentError(problems)
    return content


@dataclass
class _Loaded:
    """The values each content file gave, and how completely each one loaded."""

    marks: dict[str, Marks] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    present: set[str] = field(default_factory=set)  # files whose top-level keys all converted
    whole: set[str] = field(default_factory=set)  # ... and with no item left out
    named: set[str] = field(default_factory=set)  # ... or every item left out had an id
    dropped_ids: dict[str, set[str]] = field(default_factory=dict)  # ids of items left out
    # Converted objects kept alive, so the marks keyed by id() stay valid while checking.
    keep_alive: list[object] = field(default_factory=list)

    def add(
        self, name: str, expected: dict[str, Any], values: dict[str, Any], converter: Converter
    ) -> None:
        """Record one file's values, marks and how completely it loaded."""
        self.values.update(values)
        self.marks[name] = converter.marks
        self.keep_alive.append(converter.keep_alive)
        self.dropped_ids[name] = converter.dropped_ids
        if all(key in values for key in expected):
            self.present.add(name)
            if not converter.dropped:
                self.whole.add(name)
            if not converter.ids_lost:
                self.named.add(name)

    def content(self) -> Content:
        """Build the model from what loaded; a file that did not load counts as empty."""
        get = self.values.get
        return Content(
            statements=get("statements", ()),
            scales=get("scales", ()),
            outcomes=get("outcomes", ()),
            indicator_groups=get("groups", ()),
            topics=get("topics", ()),
            resources=get("resources", ()),
            vocabulary=SearchVocabulary(get("stop_words", ()), get("synonyms", ())),
            texts=get("texts", {}),
            glossary=get("terms", ()),
            about=get("about"),
        )

    def known_ids(self, name: str, items: Iterable[Any]) -> set[str]:
        """Return the ids a file defines: those loaded and those left out for a problem."""
        return {item.id for item in items} | self.dropped_ids.get(name, set())


def _shown_path(path: Path) -> str:
    """Show a path relative to the working directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


STATEMENTS, SCALES, OUTCOMES, INDICATORS = (
    "statements.yaml",
    "scales.yaml",
    "outcomes.yaml",
    "indicators.yaml",
)
TOPICS, RESOURCES, SEARCH, TEXTS, GLOSSARY = (
    "topics.yaml",
    "resources.yaml",
    "search.yaml",
    "texts.yaml",
    "glossary.yaml",
)

Check = Callable[[Content, _Loaded], list[Problem]]


@dataclass(frozen=True)
class _Rule:
    """A check and the files it needs: those it ``reads`` must have loaded; those it needs
    ``whole`` must have lost no item; those it needs ``named`` must have lost no item's id."""

    check: Check
    reads: tuple[str, ...]
    whole: tuple[str, ...] = ()
    named: tuple[str, ...] = ()

    def can_run(self, loaded: _Loaded) -> bool:
        """Say whether everything this check needs loaded well enough to trust what it finds."""
        return (
            set(self.reads) <= loaded.present
            and set(self.whole) <= loaded.whole
            and set(self.named) <= loaded.named
        )


def _unique_ids_in(file: str, attribute: str, what: str) -> Check:
    def check(content: Content, loaded: _Loaded) -> list[Problem]:
        return _unique_ids(loaded.marks[file], getattr(content, attribute), what)

    return check


def _indicator_ids(content: Content, loaded: _Loaded) -> list[Problem]:
    indicators = [i for g in content.indicator_groups for i in g.indicators]
    return _unique_ids(loaded.marks[INDICATORS], indicators, "indicator")


def _titles(content: Content, loaded: _Loaded) -> list[Problem]:
    return _statement_titles(loaded.marks[STATEMENTS], content.statements)


def _statements_easy_read(content: Content, loaded: _Loaded) -> list[Problem]:
    return _statement_easy_read(loaded.marks[STATEMENTS], content.statements)


def _five_points(content: Content, loaded: _Loaded) -> list[Problem]:
    return _scales_have_five_points(loaded.marks[SCALES], content.scales)


def _scales_easy_read(content: Content, loaded: _Loaded) -> list[Problem]:
    return _scale_easy_read(loaded.marks[SCALES], content.scales)


def _resource_topics(content: Content, loaded: _Loaded) -> list[Problem]:
    marks = loaded.marks[RESOURCES]
    topics = loaded.known_ids(TOPICS, content.topics)
    return [
        marks.problem(resource.topics, index, f"unknown topic '{topic}'{_hint(topic, topics)}")
        for resource in content.resources
        for index, topic in enumerate(resource.topics)
        if topic not in topics
    ]


def _resource_statements(content: Content, loaded: _Loaded) -> list[Problem]:
    return _statement_references(content, loaded, RESOURCES, content.resources)


def _outcome_statements(content: Content, loaded: _Loaded) -> list[Problem]:
    return _statement_references(content, loaded, OUTCOMES, content.outcomes)


def _indicator_statements(content: Content, loaded: _Loaded) -> list[Problem]:
    indicators = [i for g in content.indicator_groups for i in g.indicators]
    return _statement_references(content, loaded, INDICATORS, indicators)


def _statement_reading(content: Content, loaded: _Loaded) -> list[Problem]:
    marks = loaded.marks[STATEMENTS]
    tied = {resource.id: resource.statements for resource in content.resources}
    problems = []
    for statement in content.statements:
        for index, resource_id in enumerate(statement.reading):
            if resource_id not in tied:
                hint = _hint(resource_id, set(tied))
                problems.append(
                    marks.problem(
                        statement.reading, index, f"unknown resource '{resource_id}'{hint}"
                    )
                )
            elif statement.id not in tied[resource_id]:
                problems.append(
                    marks.problem(
                        statement.reading,
                        index,
                        f"resource '{resource_id}' is not tied to statement '{statement.id}': "
                        "add the statement to the resource's statements",
                    )
                )
    return problems


def _unused_topics(content: Content, loaded: _Loaded) -> list[Problem]:
    marks = loaded.marks[TOPICS]
    used = Counter(topic for resource in content.resources for topic in resource.topics)
    return [
        marks.problem(topic, "id", f"topic '{topic.id}' has no resources")
        for topic in content.topics
        if not used[topic.id]
    ]


def _links(content: Content, loaded: _Loaded) -> list[Problem]:
    return _resource_links(loaded.marks[RESOURCES], content.resources)


def _synonyms(content: Content, loaded: _Loaded) -> list[Problem]:
    return _synonym_groups(loaded.marks[SEARCH], content.vocabulary)


def _required_texts(content: Content, loaded: _Loaded) -> list[Problem]:
    return _texts(loaded.marks[TEXTS], content.texts)


def _glossary(content: Content, loaded: _Loaded) -> list[Problem]:
    return _glossary_forms(loaded.marks[GLOSSARY], content.glossary)


RULES: tuple[_Rule, ...] = (
    _Rule(_unique_ids_in(STATEMENTS, "statements", "statement"), (STATEMENTS,)),
    _Rule(_unique_ids_in(SCALES, "scales", "scale"), (SCALES,)),
    _Rule(_unique_ids_in(OUTCOMES, "outcomes", "outcome"), (OUTCOMES,)),
    _Rule(_unique_ids_in(INDICATORS, "indicator_groups", "indicator group"), (INDICATORS,)),
    _Rule(_indicator_ids, (INDICATORS,)),
    _Rule(_unique_ids_in(TOPICS, "topics", "topic"), (TOPICS,)),
    _Rule(_unique_ids_in(RESOURCES, "resources", "resource"), (RESOURCES,)),
    _Rule(_unique_ids_in(GLOSSARY, "glossary", "glossary term"), (GLOSSARY,)),
    _Rule(_titles, (STATEMENTS,)),
    _Rule(_statements_easy_read, (STATEMENTS,)),
    # A point left out has a problem of its own: it is not also "missing" from the scale.
    _Rule(_five_points, (SCALES,), whole=(SCALES,)),
    _Rule(_scales_easy_read, (SCALES,)),
    _Rule(_resource_topics, (RESOURCES,), named=(TOPICS,)),
    _Rule(_resource_statements, (RESOURCES,), named=(STATEMENTS,)),
    _Rule(_outcome_statements, (OUTCOMES,), named=(STATEMENTS,)),
    _Rule(_indicator_statements, (INDICATORS,), named=(STATEMENTS,)),
    _Rule(_statement_reading, (STATEMENTS,), whole=(RESOURCES,), named=(RESOURCES,)),
    # A resource left out might have been the one using a topic.
    _Rule(_unused_topics, (TOPICS,), whole=(RESOURCES,)),
    _Rule(_links, (RESOURCES,)),
    # A term left out of a group might have been its second one.
    _Rule(_synonyms, (SEARCH,), whole=(SEARCH,)),
    # A text that failed to load has its own problem: it is not also "missing".
    _Rule(_required_texts, (TEXTS,), whole=(TEXTS,)),
    _Rule(_glossary, (GLOSSARY,)),
)


def _run_checks(content: Content, loaded: _Loaded) -> list[Problem]:
    return [
        problem for rule in RULES if rule.can_run(loaded) for problem in rule.check(content, loaded)
    ]


def check_content(content: Content, marks: dict[str, Marks]) -> list[Problem]:
    """Run every cross-file check on content that loaded whole."""
    return _run_checks(
        content, _Loaded(marks=marks, present=set(FILES), whole=set(FILES), named=set(FILES))
    )


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


def _statement_references(
    content: Content,
    loaded: _Loaded,
    file: str,
    items: Iterable[Resource | Outcome | Indicator],
) -> list[Problem]:
    marks = loaded.marks[file]
    known = loaded.known_ids(STATEMENTS, content.statements)
    return [
        marks.problem(item.statements, index, f"unknown statement '{name}'{_hint(name, known)}")
        for item in items
        for index, name in enumerate(item.statements)
        if name not in known
    ]


def _hint(word: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _statement_easy_read(marks: Marks, statements: Iterable[Statement]) -> list[Problem]:
    problems = []
    for statement in statements:
        missing = [key for key in ("easy_title", "easy_read") if not getattr(statement, key)]
        if missing:
            problems.append(
                marks.problem(
                    statement,
                    None,
                    f"statement '{statement.id}' has no easy-read wording "
                    f"(add {' and '.join(missing)})",
                )
            )
    return problems


def _scale_easy_read(marks: Marks, scales: Iterable[Scale]) -> list[Problem]:
    problems = []
    for scale in scales:
        symbols: dict[str, int] = {}
        for point in scale.points:
            missing = [key for key in ("short", "easy_read", "symbol") if not getattr(point, key)]
            if missing:
                problems.append(
                    marks.problem(
                        point,
                        None,
                        f"scale '{scale.id}' level {point.value} has no easy-read wording "
                        f"(add {' and '.join(missing)})",
                    )
                )
            if point.symbol and point.symbol in symbols:
                problems.append(
                    marks.problem(
                        point,
                        "symbol",
                        f"scale '{scale.id}' level {point.value} has the same symbol as level "
                        f"{symbols[point.symbol]}: give each level its own",
                    )
                )
            symbols.setdefault(point.symbol, point.value)
    return problems


def _glossary_forms(marks: Marks, terms: Iterable[Term]) -> list[Problem]:
    problems = []
    owner: dict[str, str] = {}
    for term in terms:
        for index, form in enumerate((term.term, *term.also)):
            key = form.casefold()
            if key in owner and owner[key] != term.id:
                where: tuple[object, str | int] = (
                    (term, "term") if index == 0 else (term.also, index - 1)
                )
                problems.append(
                    marks.problem(
                        *where, f"'{form}' is already a form of glossary term '{owner[key]}'"
                    )
                )
            owner.setdefault(key, term.id)
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
