"""The shipped content and flows, tested like code: they load, they say what the guide says,
and the self-evaluation can be finished whichever way it is answered."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.engine import Choose, Problem, Prompt, Reply, Skip, Turn, Type, answer, start
from bot.loading import Guide, load_guide

STATEMENT_IDS = [
    "strengths-based-practice",
    "workforce-data",
    "strengths-based-culture",
    "provider-partnership",
    "commissioning-for-values-and-skills",
    "sustainable-fees",
    "experts-by-experience-jobs",
]
SCALE_LABELS = ["Commitment", "Developing", "Implementation", "Operational", "Sustainable Delivery"]
# Seven statements, at most two questions each, plus the organisation: far fewer than this.
MAX_MOVES = 100

Policy = Callable[[Prompt], Reply]


def first_option(question: Prompt) -> Reply:
    """Tap the first button, or type "evidence" where text is asked for."""
    if question.options:
        return Choose(question.options[0].id)
    return Type("evidence")


def skip_everything(question: Prompt) -> Reply:
    """Tap Skip wherever it is offered; otherwise answer as ``first_option`` does."""
    return Skip() if question.can_skip else first_option(question)


def play_to_the_end(
    guide: Guide, policy: Policy, remembered: dict[str, str]
) -> tuple[Turn, list[Prompt]]:
    """Answer the self-evaluation with ``policy`` until it ends; return the last turn and
    every question asked."""
    flow, context = guide.evaluation, guide.context
    turn = start(flow, context, remembered)
    asked: list[Prompt] = []
    for _ in range(MAX_MOVES):
        if turn.finished:
            return turn, asked
        question = turn.question
        assert question is not None, f"waiting on {turn.state.cursor} with nothing asked"
        asked.append(question)
        turn = answer(flow, context, turn.state, policy(question))
        assert turn.problem is None, f"{question.step_id}: {turn.problem}"
    pytest.fail(f"the self-evaluation did not end within {MAX_MOVES} moves")


def test_the_shipped_content_and_flows_load_with_no_problems() -> None:
    guide = load_guide()

    assert guide.evaluation.id == "self-evaluation"


def test_there_are_the_seven_statements_in_the_guides_order(guide: Guide) -> None:
    assert [s.id for s in guide.content.statements] == STATEMENT_IDS


def test_provider_partnership_lists_its_five_sub_points(guide: Guide) -> None:
    statement = guide.content.statement("provider-partnership")

    assert statement is not None
    assert len(statement.sub_points) == 5


def test_the_scale_has_the_five_levels_of_the_guide(guide: Guide) -> None:
    scale = guide.content.scale("self-evaluation")

    assert scale is not None
    assert [(p.value, p.label) for p in scale.points] == list(enumerate(SCALE_LABELS, start=1))


def test_the_engine_rates_on_levels_one_to_five(guide: Guide) -> None:
    options = guide.context.scales["self-evaluation"]

    assert [o.id for o in options] == ["1", "2", "3", "4", "5"]
    assert all(o.label.endswith(label) for o, label in zip(options, SCALE_LABELS, strict=True))


@pytest.mark.parametrize("problem", list(Problem), ids=str)
def test_every_refusal_of_the_engine_has_wording(guide: Guide, problem: Problem) -> None:
    assert guide.content.texts.get(f"problem.{problem.value}", "").strip()


POLICIES = [
    pytest.param(first_option, id="first-option"),
    pytest.param(skip_everything, id="skip-everything"),
]
REMEMBERED = [
    pytest.param({}, id="new-user"),
    pytest.param({"organisation": "Leeds City Council"}, id="returning-user"),
]


@pytest.mark.parametrize("remembered", REMEMBERED)
@pytest.mark.parametrize("policy", POLICIES)
def test_the_self_evaluation_can_be_finished(
    guide: Guide, policy: Policy, remembered: dict[str, str]
) -> None:
    turn, _ = play_to_the_end(guide, policy, remembered)

    assert turn.finished
    assert turn.shown[-1].kind == "end"
    assert turn.shown[-1].summary is True


@pytest.mark.parametrize("remembered", REMEMBERED)
@pytest.mark.parametrize("policy", POLICIES)
def test_every_statement_is_asked_exactly_once_in_order(
    guide: Guide, policy: Policy, remembered: dict[str, str]
) -> None:
    _, asked = play_to_the_end(guide, policy, remembered)

    rated = [q.item_id for q in asked if q.kind == "rating"]
    assert rated == STATEMENT_IDS
    progress = [
        (q.progress.n, q.progress.total) for q in asked if q.kind == "rating" and q.progress
    ]
    assert progress == [(n, 7) for n in range(1, 8)]


def test_answering_every_question_keeps_a_rating_and_a_note_per_statement(guide: Guide) -> None:
    turn, _ = play_to_the_end(guide, first_option, {})

    expected: dict[str, object] = {"organisation": "evidence"}
    for statement_id in STATEMENT_IDS:
        expected[f"rating@{statement_id}"] = 1
        expected[f"note@{statement_id}"] = "evidence"
    assert turn.state.answers == expected


def test_skipping_every_statement_keeps_no_notes(guide: Guide) -> None:
    turn, _ = play_to_the_end(guide, skip_everything, {"organisation": "Leeds City Council"})

    assert turn.state.answers == {f"rating@{s}": None for s in STATEMENT_IDS}


@pytest.mark.parametrize("statement_id", STATEMENT_IDS)
def test_every_statement_has_a_resource_to_read_next(guide: Guide, statement_id: str) -> None:
    assert guide.content.resources_for_statement(statement_id)


def test_every_outcome_and_indicator_follows_from_a_statement(guide: Guide) -> None:
    indicators = [i for g in guide.content.indicator_groups for i in g.indicators]
    assert [o.id for o in guide.content.outcomes if not o.statements] == []
    assert [i.id for i in indicators if not i.statements] == []


@pytest.mark.parametrize(
    ("item_id", "statement_id"),
    [
        ("experts-by-experience-employed", "experts-by-experience-jobs"),
        ("ascof-1e-paid-employment", "experts-by-experience-jobs"),
        ("skills-for-care-workforce-data", "workforce-data"),
        ("skills-for-care-workforce-data", "sustainable-fees"),  # its pay rates
        ("shared-workforce-values-statement", "provider-partnership"),
        ("workforce-job-satisfaction", "workforce-data"),
    ],
)
def test_outcomes_and_indicators_follow_the_source(
    guide: Guide, item_id: str, statement_id: str
) -> None:
    items = {o.id: o.statements for o in guide.content.outcomes}
    items |= {i.id: i.statements for g in guide.content.indicator_groups for i in g.indicators}
    assert statement_id in items[item_id]
