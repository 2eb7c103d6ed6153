"""Load ``flows/*.yaml`` into ``Flow`` models and check each against the content."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.engine.model import (
    NEXT_ITEM,
    STEP_KINDS,
    BranchStep,
    ChoiceStep,
    EndStep,
    Flow,
    LoopStep,
    MessageStep,
    RatingStep,
    Step,
    TextStep,
)
from bot.loading.content import _shown_path
from bot.loading.problems import ContentError, Problem
from bot.loading.typed import MISSING, Converter, Marks, compose_file

STEP_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
OPTION_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,15}$")  # sent in button data: kept short
MAX_TEXT_LENGTH = 4000


@dataclass(frozen=True)
class FlowEnvironment:
    """What flows may refer to: content lists and their fields, scales, remembered values."""

    lists: Mapping[str, frozenset[str]]  # list name → the names an item fills in
    scales: frozenset[str] | None  # None: content failed to load, so scales are not checked
    remembered: frozenset[str]


def load_flows(directory: Path, env: FlowEnvironment) -> dict[str, Flow]:
    """Load and check every flow file; raise ContentError listing all problems."""
    problems: list[Problem] = []
    flows: dict[str, Flow] = {}
    files = sorted(directory.glob("*.yaml")) if directory.is_dir() else []
    if not files:
        problems.append(Problem(_shown_path(directory), 1, 1, "no flow files (*.yaml) found"))
    keep_alive = []
    for path in files:
        shown = _shown_path(path)
        node = compose_file(path.read_text(encoding="utf-8"), shown, problems)
        if node is None:
            continue
        converter = Converter(shown, kinds=dict(STEP_KINDS))
        flow = converter.convert(node, Flow, "the flow")
        problems.extend(converter.problems)
        keep_alive.append(converter.keep_alive)
        # A step or option dropped for its own problem would make the checks across steps
        # report false problems (a "missing" target, "no end step"): fix the file's own first.
        if flow is MISSING or converter.dropped:
            continue
        if flow.id in flows:
            problems.append(
                converter.marks.problem(flow, "id", f"another file has flow '{flow.id}'")
            )
            continue
        problems.extend(check_flow(flow, converter.marks, env))
        flows[flow.id] = flow
    if problems:
        raise ContentError(problems)
    return flows


def check_flow(flow: Flow, marks: Marks, env: FlowEnvironment) -> list[Problem]:
    """Run every check on one flow."""
    if not flow.steps:
        return [marks.problem(flow, "steps", "the flow has no steps")]
    problems: list[Problem] = []
    problems += _step_ids(flow, marks)
    if problems:
        return problems  # later checks assume ids are sound
    problems += _targets(flow, marks)
    problems += _loops(flow, marks, env)
    problems += _questions(flow, marks, env)
    problems += _templates(flow, marks, env)
    if not problems:
        problems += _ends(flow, marks)
        problems += _unreachable(flow, marks)
    return problems


def _all_steps(flow: Flow) -> Iterator[tuple[Step, LoopStep | None]]:
    for step in flow.steps:
        yield step, None
        if isinstance(step, LoopStep):
            for inner in step.steps:
                yield inner, step


def _step_ids(flow: Flow, marks: Marks) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for step, _ in _all_steps(flow):
        if step.id == NEXT_ITEM:
            problems.append(
                marks.problem(step, "id", f"'{NEXT_ITEM}' is reserved; rename the step")
            )
        elif not STEP_ID.match(step.id):
            problems.append(
                marks.problem(step, "id", f"step id '{step.id}' should be lower-case-with-hyphens")
            )
        if step.id in seen:
            problems.append(marks.problem(step, "id", f"duplicate step id '{step.id}'"))
        seen.add(step.id)
    if flow.start is not None and flow.start not in seen:
        problems.append(marks.problem(flow, "start", f"start step '{flow.start}' does not exist"))
    return problems


def _exits(step: Step) -> Iterator[tuple[object, str | int, str]]:
    """Yield (owner, field, target) for every explicit target of a step."""
    if isinstance(step, BranchStep):
        for case in step.cases:
            yield case, "next", case.next
        yield step, "otherwise", step.otherwise
        return
    if isinstance(step, ChoiceStep):
        for option in step.options:
            if option.next is not None:
                yield option, "next", option.next
    next_target = getattr(step, "next", None)
    if next_target is not None:
        yield step, "next", next_target


def _targets(flow: Flow, marks: Marks) -> list[Problem]:
    problems = []
    for step, loop in _all_steps(flow):
        for owner, key, target in _exits(step):
            place = flow.place(target)
            if target == NEXT_ITEM:
                if loop is None:
                    problems.append(
                        marks.problem(owner, key, f"'{NEXT_ITEM}' only works inside a loop")
                    )
            elif place is None:
                problems.append(marks.problem(owner, key, f"'{target}' is not a step of this flow"))
            elif place.loop is not loop:
                where = "the same loop" if loop is not None else "outside loops; go to the loop"
                problems.append(
                    marks.problem(
                        owner, key, f"'{target}' is not reachable from here: stay in {where}"
                    )
                )
    return problems


def _loops(flow: Flow, marks: Marks, env: FlowEnvironment) -> list[Problem]:
    problems = []
    for step, _ in _all_steps(flow):
        if not isinstance(step, LoopStep):
            continue
        if step.over not in env.lists:
            known = ", ".join(sorted(env.lists))
            problems.append(
                marks.problem(step, "over", f"unknown list '{step.over}' (known: {known})")
            )
        if not step.steps:
            problems.append(marks.problem(step, "steps", "a loop needs at least one step"))
        for inner in step.steps:
            if isinstance(inner, LoopStep):
                problems.append(marks.problem(inner, "kind", "loops cannot be nested"))
            if isinstance(inner, EndStep):
                problems.append(marks.problem(inner, "kind", "an end step cannot be inside a loop"))
    return problems


def _questions(flow: Flow, marks: Marks, env: FlowEnvironment) -> list[Problem]:
    problems = []
    for step, _ in _all_steps(flow):
        if isinstance(step, RatingStep) and env.scales is not None and step.scale not in env.scales:
            known = ", ".join(sorted(env.scales))
            problems.append(
                marks.problem(step, "scale", f"unknown scale '{step.scale}' (known: {known})")
            )
        if isinstance(step, TextStep) and not 1 <= step.max_length <= MAX_TEXT_LENGTH:
            problems.append(
                marks.problem(step, "max_length", f"max_length should be 1 to {MAX_TEXT_LENGTH}")
            )
        if isinstance(step, ChoiceStep):
            if not step.options:
                problems.append(
                    marks.problem(step, "options", "a choice needs at least one option")
                )
            seen: set[str] = set()
            for option in step.options:
                if not OPTION_ID.match(option.id):
                    problems.append(
                        marks.problem(
                            option, "id", f"option id '{option.id}' should be short-lower-case"
                        )
                    )
                if option.id in seen:
                    problems.append(
                        marks.problem(option, "id", f"duplicate option id '{option.id}'")
                    )
                seen.add(option.id)
    return problems


def _templates(flow: Flow, marks: Marks, env: FlowEnvironment) -> list[Problem]:
    problems = []
    saved_outside = {
        s.save_as
        for s, loop in _all_steps(flow)
        if loop is None and isinstance(s, ChoiceStep | RatingStep | TextStep) and s.save_as
    }
    for step, loop in _all_steps(flow):
        known = set(env.remembered) | saved_outside
        if loop is not None:
            known |= set(env.lists.get(loop.over, frozenset())) | {"n", "total"}
            known |= {
                s.save_as
                for s in loop.steps
                if isinstance(s, ChoiceStep | RatingStep | TextStep) and s.save_as
            }
        texts: list[tuple[object, str, str]] = []
        if isinstance(step, MessageStep | ChoiceStep | RatingStep | TextStep | EndStep):
            texts.append((step, "text", step.text))
        if isinstance(step, ChoiceStep):
            texts += [(option, "label", option.label) for option in step.options]
        if isinstance(step, LoopStep) and step.progress:
            loop_known = set(env.lists.get(step.over, frozenset())) | {"n", "total"}
            problems += _template(marks, step, "progress", step.progress, loop_known)
        for owner, key, text in texts:
            problems += _template(marks, owner, key, text, known)
    return problems


def _template(marks: Marks, owner: object, key: str, text: str, known: set[str]) -> list[Problem]:
    try:
        names = [n for _, n, _, _ in string.Formatter().parse(text) if n is not None]
    except ValueError as exc:
        return [marks.problem(owner, key, f"broken {{}} in text: {exc}")]
    problems = []
    for name in names:
        if name not in known:
            listed = ", ".join("{" + k + "}" for k in sorted(known)) or "none here"
            problems.append(
                marks.problem(owner, key, f"unknown placeholder {{{name}}} (can use: {listed})")
            )
    return problems


def _ends(flow: Flow, marks: Marks) -> list[Problem]:
    problems = []
    if not any(isinstance(s, EndStep) for s in flow.steps):
        problems.append(marks.problem(flow, "steps", "the flow has no end step"))
    last = flow.steps[-1] if flow.steps else None
    if last is not None and (
        _falls_through(last) or (isinstance(last, LoopStep) and not last.next)
    ):
        message = f"the flow runs off the end after '{last.id}': add 'next' or an end step"
        problems.append(marks.problem(last, "id", message))
    return problems


def _falls_through(step: Step) -> bool:
    """Tell whether leaving this step can go on to the step written after it."""
    if isinstance(step, BranchStep | EndStep | LoopStep) or getattr(step, "next", None):
        return False
    if isinstance(step, ChoiceStep):
        return any(option.next is None for option in step.options)
    return True


def _after_loop(flow: Flow, loop: LoopStep) -> set[str]:
    if loop.next is not None:
        return {loop.next}
    place = flow.place(loop.id)
    assert place is not None
    following = place.position + 1
    return {place.siblings[following].id} if following < len(place.siblings) else set()


def _successors(flow: Flow, step: Step, loop: LoopStep | None) -> set[str]:
    place = flow.place(step.id)
    assert place is not None
    found = {target for _, _, target in _exits(step) if target != NEXT_ITEM}
    if isinstance(step, LoopStep):
        found |= {step.steps[0].id} if step.steps else set()
        found |= _after_loop(flow, step)  # an empty list goes straight past the loop
    if _falls_through(step) and place.position + 1 < len(place.siblings):
        found.add(place.siblings[place.position + 1].id)
    if loop is not None:
        # Leaving a step in a loop can start the next item or, after the last, leave the loop.
        found.add(loop.steps[0].id)
        found |= _after_loop(flow, loop)
    return found


def _unreachable(flow: Flow, marks: Marks) -> list[Problem]:
    loops = {s.id: loop for s, loop in _all_steps(flow)}
    seen: set[str] = set()
    todo = [flow.first_step]
    while todo:
        step_id = todo.pop()
        if step_id in seen:
            continue
        seen.add(step_id)
        place = flow.place(step_id)
        assert place is not None
        todo.extend(_successors(flow, place.step, loops[step_id]) - seen)
    return [
        marks.problem(step, "id", f"step '{step.id}' can never be reached")
        for step, _ in _all_steps(flow)
        if step.id not in seen
    ]
