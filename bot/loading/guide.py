"""The whole guide: checked content, checked flows and what the engine needs to run them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.content_model import Content, ScalePoint, Statement
from bot.engine import Context, Flow, Item, Option
from bot.engine.model import LoopStep, RatingStep, TextStep
from bot.loading.content import load_content
from bot.loading.flows import FlowEnvironment, load_flows
from bot.loading.problems import ContentError, Problem
from bot.texts import Texts

EVALUATION_FLOW = "self-evaluation"
EASY_READ_FLOW = "self-evaluation-easy-read"  # the same questions in easy-read words
STATEMENTS = "statements"
EASY_STATEMENTS = "statements-easy-read"  # the statements' easy-read titles and texts
EASY_SCALE_SUFFIX = "-easy-read"  # a scale's easy-read labels: "self-evaluation-easy-read"
# "short" is the plain summary line alone: a question too long for a phone shows it instead.
STATEMENT_FIELDS = frozenset({"title", "text", "signs", "short", "full"})
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

    def evaluation_flow(self, easy: bool) -> Flow:
        """Return the self-evaluation in standard words, or in easy read when there is one."""
        return self.flows.get(EASY_READ_FLOW, self.evaluation) if easy else self.evaluation

    def flow(self, flow_id: str) -> Flow:
        """Return a flow by id (a saved position names its flow), the standard one if gone."""
        return self.flows.get(flow_id, self.evaluation)


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
    scale_ids = {s.id for s in content.scales} if content else set()
    env = FlowEnvironment(
        lists={STATEMENTS: STATEMENT_FIELDS, EASY_STATEMENTS: STATEMENT_FIELDS},
        scales=frozenset(scale_ids | {s + EASY_SCALE_SUFFIX for s in scale_ids})
        if content
        else None,
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
    signs_label = content.texts.get("eval.signs", "{signs}")
    signs = {s.id: _signs(content, s.id, signs_label) for s in content.statements}
    statements = tuple(
        Item(
            s.id,
            {
                "title": s.title,
                "text": statement_text(s),
                "short": s.plain,
                "full": s.text,
                "signs": signs[s.id],
            },
            s.sub_points,
        )
        for s in content.statements
    )
    easy = tuple(
        Item(
            s.id,
            {
                "title": s.easy_title or s.title,
                "text": s.easy_read or s.text,
                "short": "",
                "full": s.easy_read or s.text,
                "signs": "",
            },
        )
        for s in content.statements
    )
    scales: dict[str, tuple[Option, ...]] = {}
    for scale in content.scales:
        scales[scale.id] = tuple(
            Option(str(p.value), option_label.format(value=p.value, label=p.label))
            for p in scale.points
        )
        scales[scale.id + EASY_SCALE_SUFFIX] = tuple(
            Option(str(p.value), easy_option(p)) for p in scale.points
        )
    return Context(lists={STATEMENTS: statements, EASY_STATEMENTS: easy}, scales=scales)


def _signs(content: Content, statement_id: str, label: str) -> str:
    """Say what would show a statement's good practice is working: the indicators for it."""
    signs = content.signs_for_statement(statement_id)
    return label.format(signs=signs) if signs else ""


def statement_text(statement: Statement) -> str:
    """Return what a question shows of a statement: its plain summary line, then the text."""
    if not statement.plain:
        return statement.text
    return f"{statement.plain}\n\n{statement.text}"


def easy_option(point: ScalePoint) -> str:
    """Return a level as an easy-read button: its symbol, number and short phrase."""
    phrase = point.easy_read or point.label
    return f"{point.symbol} {point.value} {phrase}".strip()


def _evaluation_flow_contract(flows: Mapping[str, Flow], flows_dir: Path) -> list[Problem]:
    """Check the self-evaluation flows save what the store expects."""
    where = str(flows_dir)
    if EVALUATION_FLOW not in flows:
        return [Problem(where, 1, 1, f"no flow has id '{EVALUATION_FLOW}'; the bot needs it")]
    problems = _saves_answers(flows[EVALUATION_FLOW], STATEMENTS, where)
    if EASY_READ_FLOW in flows:  # optional: without it, easy read uses the standard flow
        problems += _saves_answers(flows[EASY_READ_FLOW], EASY_STATEMENTS, where)
    return problems


def _saves_answers(flow: Flow, statements: str, where: str) -> list[Problem]:
    loops = [s for s in flow.steps if isinstance(s, LoopStep) and s.over == statements]
    inner = [s for loop in loops for s in loop.steps]
    saved = {
        (type(s).__name__, s.save_as)
        for s in (*flow.steps, *inner)
        if isinstance(s, RatingStep | TextStep)
    }
    wanted = {
        ("TextStep", ORGANISATION): "a text step with save_as: organisation",
        ("RatingStep", RATING): f"a rating step with save_as: rating inside the {statements} loop",
    }
    return [
        Problem(where, 1, 1, f"flow '{flow.id}' needs {description}")
        for key, description in wanted.items()
        if key not in saved
    ]
