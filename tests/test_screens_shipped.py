"""Every screen of the shipped content, rendered: short enough for a phone, never a dead end."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot import engine
from bot.glossary import Glossary, visible
from bot.loading import Guide, load_guide
from bot.search import SearchIndex
from bot.team import StatementResult
from bot.telegram import help_views, team_views, views
from bot.telegram.screens import Screen
from storage import Answer, Evaluation
from storage.models import Round

SCREEN_LIMIT = views.SCREEN_LIMIT


def _questions(guide: Guide) -> Iterator[tuple[str, Screen]]:
    """Walk each evaluation flow through every statement, rendering every question."""
    for flow in guide.flows.values():
        remembered = {"organisation": "Leeds City Council", "statement_count": "7"}
        turn = engine.start(flow, guide.context, remembered)
        state = turn.state
        for _ in range(40):
            prompt = engine.prompt_at(flow, guide.context, state)
            if prompt is None:
                break
            yield (
                f"{flow.id}:{prompt.step_id}:{prompt.item_id}",
                views.question(guide.texts, prompt, 1, state.turn),
            )
            reply: engine.Reply
            if prompt.kind == "choice":
                reply = engine.Choose(prompt.options[0].id)
            elif prompt.kind == "rating":
                reply = engine.Choose("1")  # a low rating: the summary then has reading
            else:
                reply = engine.Skip()
            state = engine.answer(flow, guide.context, state, reply).state


def _screens() -> list[tuple[str, Screen]]:
    guide = load_guide()
    texts, content = guide.texts, guide.content
    glossary = Glossary(content.glossary)
    index = SearchIndex.build(content.resources, content.vocabulary)
    screens: list[tuple[str, Screen]] = [
        ("main menu", views.main_menu(texts)),
        ("welcome", views.main_menu(texts, heading=texts.html("menu.welcome", first_name="Ann"))),
        ("help", Screen(texts.plain("help.text"), (views.back_to_menu(texts),))),
        ("privacy", Screen(texts.plain("privacy.text"), (views.back_to_menu(texts),))),
        ("about", help_views.about(texts, content.about)),
        ("about, a voice", help_views.about(texts, content.about, voice=True)),
        ("words", help_views.word_list(texts, glossary)),
        ("topics", views.topics(texts, content)),
        ("indicator groups", views.indicator_groups(texts, content.indicator_groups)),
        ("team home", team_views.team_home(texts, [])),
    ]
    for n, term in enumerate(content.glossary):
        screens.append((f"word {term.id}", help_views.meanings(texts, glossary.at((n,)))))
    for page in range(len(content.outcomes)):  # more pages than there are: the last one shows
        screens.append((f"outcomes page {page}", views.outcomes(texts, content, page)))
    for group in content.indicator_groups:
        for page in range(len(group.indicators)):
            screens.append(
                (
                    f"indicators {group.id} page {page}",
                    views.indicator_group(texts, content, group, content.indicator_groups, page),
                )
            )
    for scale in content.scales:
        screens.append((f"scale {scale.id}", views.scale(texts, scale)))
        screens.append((f"easy scale {scale.id}", views.scale(texts, scale, easy=True)))
        for point in scale.points:
            screens.append((f"level {point.value}", views.level(texts, scale, point.value)))
    for topic in content.topics:
        screens.append((f"topic {topic.id}", views.topic(texts, topic, index.by_topic(topic.id))))
    for resource in content.resources:
        screens.append((f"card {resource.id}", views.resource_card(texts, resource)))
    for query in ("safe stafing", "how much is the care I give worth", "pizza delivery near me"):
        screens.append(
            (f"search {query}", views.search_results(texts, content, index.search(query), query))
        )
    screens.extend(_questions(guide))
    screens.extend(_summaries(guide))
    screens.extend(_team_results(guide))
    return screens


def _team_results(guide: Guide) -> Iterator[tuple[str, Screen]]:
    """Render a busy round's results: eight raters, all disagreeing, each with a note."""
    texts, content = guide.texts, guide.content
    when = datetime(2026, 12, 1, tzinfo=UTC)
    round_ = Round(
        1,
        "Leeds City Council",
        "Workforce self-evaluation, December 2026",
        tuple(s.id for s in content.statements),
        "open",
        True,
        "p-1",
        when,
        None,
    )
    names = [f"Person {n}" for n in range(1, 9)]
    results = [
        StatementResult(
            statement=s,
            ratings=tuple((name, 1 + (n + i) % 5) for n, name in enumerate(names)),
            notes=tuple((name, "We looked at the evidence together last month.") for name in names),
            agreed=None,
        )
        for i, s in enumerate(content.statements)
    ]
    levels = content.rating_labels()
    for page in range(20):
        yield (
            f"team results page {page}",
            team_views.results(texts, round_, results, levels, 8, page),
        )
    mine = {s.id: 3 for s in content.statements}
    for page in range(7):
        yield (
            f"shared results page {page}",
            team_views.shared_results(texts, round_, results, mine, levels, page),
        )


def _summaries(guide: Guide) -> Iterator[tuple[str, Screen]]:
    """Render a summary with every statement rated 1 and noted, its reading and notes pages."""
    texts, content = guide.texts, guide.content
    when = datetime(2026, 12, 1, tzinfo=UTC)
    note = "We checked this at the last board meeting and agreed an action plan. " * 4
    answers = {s.id: Answer(s.id, 1, False, note.strip(), when) for s in content.statements}
    evaluation = Evaluation(1, "p-1", "Leeds City Council", "finished", when, when, 7)
    low = views.low_rated(content.statements, answers)
    for easy in (False, True):
        yield (
            f"summary easy={easy}",
            views.summary(texts, content, evaluation, answers, easy=easy),
        )
        for page in range(len(low)):
            yield (
                f"reading easy={easy} page {page}",
                views.reading(texts, content, 1, low, easy=easy, page=page),
            )
    for page in range(len(answers)):
        yield f"notes page {page}", views.notes(texts, 1, content.statements, answers, page)


SCREENS = _screens()


@pytest.mark.parametrize(("name", "screen"), SCREENS, ids=[name for name, _ in SCREENS])
def test_every_screen_is_short_and_has_a_way_on(name: str, screen: Screen) -> None:
    length = len(visible(screen.text))
    assert length <= SCREEN_LIMIT, f"{name} shows {length} characters"
    assert any(button.data or button.url for row in screen.rows for button in row), (
        f"{name} has no button: a dead end"
    )
