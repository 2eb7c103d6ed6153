"""The whole guide: checked content, checked flows and what the engine needs to run them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.content_model import Content
from bot.engine import Context, Flow, Item, Option
from bot.engine.model import LoopStep, RatingStep, TextStep
from bot.loading.content import load_content
from bot.loading.flows import FlowEnvironment, load_flows
from bot.loading.problems import ContentError, Problem
from bot.texts import Texts

EVALUATION_FLOW = "self-evaluation"
STATEMENTS = "statements"
STATEMENT_FIELDS = frozenset({"title", "text"})
# The names the self-evaluation's answers are kept under; the store is written from these.
ORGANISATION, RATING, NOTE = "organisation", "rating", "note"
# What the bot fills in before a flow starts: the organisation remembered (or the round's),
# the team round's name (only in a round) and how many statements this evaluation asks.
ROUND, STATEMENT_COUNT = "round", "statement_count"
REMEMBERED = frozenset({ORGANISATION, ROUND, STATEMENT_COUNT})


def packaged_dir(name: str) -> Path:
    """Return the shipped ``content`` or ``flows`` folder (beside the ``bot`` package)."""
    return Path(__file__).resolve().parent.parent.parent / name


@dataclass(frozen=True)
class Guide:
    """Checked content and flows, plus the engine context built from them."""

    content: Content
    flows: Mapping[str, Flow]
    context: Context
    texts: Texts

    @property
    def evaluation(self) -> Flow:
        """Return the self-evaluation flow."""
        return self.flows[EVALUATION_FLOW]


def load_guide(content_dir: Path | None = None, flows_dir: Path | None = None) -> Guide:
    """Load content and flows; raise ContentError listing every problem in both."""
    content_dir = content_dir or packaged_dir("content")
    flows_dir = flows_dir or packaged_dir("flows")
    problems: list[Problem] = []
    content: Content | None = None
    try:
        content = load_content(content_dir)
    except ContentError as error:
        problems.extend(error.problems)
    env = FlowEnvironment(
        lists={STATEMENTS: STATEMENT_FIELDS},
        scales=frozenset(s.id for s in content.scales) if content else None,
        remembered=REMEMBERED,
    )
    flows: dict[str, Flow] = {}
    try:
        flows = load_flows(flows_dir, env)
    except ContentError as error:
        problems.extend(error.problems)
    if not problems:
        problems.extend(_evaluation_flow_contract(flows, flows_dir))
    if problems or content is None:
        raise ContentError(problems)
    return Guide(content, flows, engine_context(content), Texts(content.texts))


def engine_context(content: Content) -> Context:
    """Build what the engine needs from the content: statements to loop over, rating scales."""
    option_label = content.texts.get("rating.option", "{value} — {label}")
    statements = tuple(
        Item(s.id, {"title": s.title, "text": s.text}, s.sub_points) for s in content.statements
    )
    scales = {
        scale.id: tuple(
            Option(str(p.value), option_label.format(value=p.value, label=p.label))
            for p in scale.points
        )
        for scale in content.scales
    }
    return Context(lists={STATEMENTS: statements}, scales=scales)


def _evaluation_flow_contract(flows: Mapping[str, Flow], flows_dir: Path) -> list[Problem]:
    """Check the self-evaluation flow saves what the store expects."""
    where = str(flows_dir)
    flow = flows.get(EVALUATION_FLOW)
    if flow is None:
        return [Problem(where, 1, 1, f"no flow has id '{EVALUATION_FLOW}'; the bot needs it")]
    loops = [s for s in flow.steps if isinstance(s, LoopStep) and s.over == STATEMENTS]
    inner = [s for loop in loops for s in loop.steps]
    saved = {
        (type(s).__name__, s.save_as)
        for s in (*flow.steps, *inner)
        if isinstance(s, RatingStep | TextStep)
    }
    problems = []
    wanted = {
        ("TextStep", ORGANISATION): "a text step with save_as: organisation",
        ("RatingStep", RATING): "a rating step with save_as: rating inside the statements loop",
    }
    for key, description in wanted.items():
        if key not in saved:
            problems.append(Problem(where, 1, 1, f"flow '{EVALUATION_FLOW}' needs {description}"))
    return problems
