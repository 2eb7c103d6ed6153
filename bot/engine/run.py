"""Run a flow: take a state and a reply, return the next state and what to show.

Pure functions over values: no I/O, no clock, no Telegram. The caller persists ``Turn.saved``
and ``Turn.state`` and renders ``Turn.shown``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from bot.engine.model import (
    NEXT_ITEM,
    BranchStep,
    ChoiceStep,
    EndStep,
    Flow,
    InputStep,
    LoopStep,
    MessageStep,
    Option,
    RatingStep,
    Step,
    TextStep,
)

# A flow whose branches loop back on themselves without asking anything would spin forever;
# this many hops without reaching a question means the definition is broken.
MAX_HOPS = 1000

Value = str | int | None


class FlowError(Exception):
    """A flow cannot go on: the definition or the stored state does not fit the content."""


@dataclass(frozen=True)
class Item:
    """One element of a content list a loop runs over."""

    id: str
    params: Mapping[str, str]  # fills the loop's templates, e.g. title and text
    details: tuple[str, ...] = ()  # shown on request ("More detail")


@dataclass(frozen=True)
class Context:
    """What a flow may refer to: content lists to loop over and rating scales."""

    lists: Mapping[str, Sequence[Item]]
    scales: Mapping[str, Sequence[Option]]  # option ids are the level numbers as text


@dataclass(frozen=True)
class Cursor:
    """A step, and the loop item it is asked about when inside a loop."""

    step: str
    index: int | None = None


@dataclass(frozen=True)
class State:
    """Where a conversation is and what has been answered so far."""

    flow_id: str
    cursor: Cursor | None  # None once the flow has ended
    history: tuple[Cursor, ...] = ()  # questions answered, newest last: what Back returns to
    vars: Mapping[str, str] = field(default_factory=dict)  # remembered values, e.g. organisation
    answers: Mapping[str, Value] = field(default_factory=dict)  # by answer key (see answer_key)
    turn: int = 0  # counts moves; a button carries it so a stale one can be recognised

    def to_dict(self) -> dict[str, Any]:
        """Return the state as JSON-ready data."""
        return {
            "flow_id": self.flow_id,
            "cursor": None if self.cursor is None else [self.cursor.step, self.cursor.index],
            "history": [[c.step, c.index] for c in self.history],
            "vars": dict(self.vars),
            "answers": dict(self.answers),
            "turn": self.turn,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> State:
        """Rebuild a state saved with ``to_dict``."""
        try:
            cursor = data["cursor"]
            return cls(
                flow_id=str(data["flow_id"]),
                cursor=None if cursor is None else Cursor(str(cursor[0]), _index(cursor[1])),
                history=tuple(Cursor(str(s), _index(i)) for s, i in data.get("history", [])),
                vars={str(k): str(v) for k, v in data.get("vars", {}).items()},
                answers=dict(data.get("answers", {})),
                turn=int(data.get("turn", 0)),
            )
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise FlowError(f"stored conversation state is not readable: {exc}") from exc


def _index(value: object) -> int | None:
    """Return a stored loop index, refusing anything but a whole number or None."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise ValueError(f"loop index {value!r} is not a whole number")


class Problem(StrEnum):
    """Why a reply was not taken; the caller shows the matching text and asks again."""

    CHOOSE_A_BUTTON = "choose-a-button"
    EMPTY = "empty"
    TOO_LONG = "too-long"
    CANNOT_SKIP = "cannot-skip"
    NOTHING_TO_KEEP = "nothing-to-keep"
    NOTHING_TO_GO_BACK_TO = "nothing-to-go-back-to"
    FINISHED = "finished"


@dataclass(frozen=True)
class Progress:
    """How far through a loop: item ``n`` of ``total``."""

    n: int
    total: int
    template: str


@dataclass(frozen=True)
class Prompt:
    """One thing to show: a message, a question, or the end of the flow."""

    step_id: str
    kind: str  # the step kind: message, choice, rating, text or end
    text: str  # a template; fill it with ``params`` (escaping them)
    params: Mapping[str, str]
    options: tuple[Option, ...] = ()
    item_id: str | None = None
    details: tuple[str, ...] = ()
    progress: Progress | None = None
    scale: str | None = None
    can_back: bool = False
    can_skip: bool = False
    current: Value = None  # the answer already given, when the question is asked again
    has_current: bool = False
    max_length: int | None = None
    summary: bool = False


@dataclass(frozen=True)
class Saved:
    """An answer to keep: ``name`` is the step's ``save_as``, ``value`` None means skipped."""

    name: str
    item_id: str | None
    value: Value


@dataclass(frozen=True)
class Turn:
    """The result of a move: the new state, what to show, what to keep."""

    state: State
    shown: tuple[Prompt, ...]
    saved: tuple[Saved, ...] = ()
    problem: Problem | None = None

    @property
    def finished(self) -> bool:
        """Tell whether the flow has ended."""
        return self.state.cursor is None

    @property
    def question(self) -> Prompt | None:
        """Return the question now waiting for an answer, if any."""
        if self.shown and self.shown[-1].kind in ("choice", "rating", "text"):
            return self.shown[-1]
        return None


@dataclass(frozen=True)
class Choose:
    """The user tapped an option (or a rating level) by its id."""

    option_id: str


@dataclass(frozen=True)
class Type:
    """The user typed text."""

    text: str


@dataclass(frozen=True)
class Skip:
    """The user tapped Skip."""


@dataclass(frozen=True)
class Keep:
    """The user kept the answer they gave before and moved on."""


@dataclass(frozen=True)
class Back:
    """The user wants to change their previous answer."""


Reply = Choose | Type | Skip | Keep | Back


def answer_key(name: str, item_id: str | None) -> str:
    """Return the key an answer is kept under in ``State.answers``."""
    return name if item_id is None else f"{name}@{item_id}"


def start(flow: Flow, context: Context, remembered: Mapping[str, str] | None = None) -> Turn:
    """Begin the flow and return everything up to its first question."""
    state = State(flow_id=flow.id, cursor=None, vars=dict(remembered or {}))
    return _walk(flow, context, state, Cursor(flow.first_step), (), ())


def prompt_at(flow: Flow, context: Context, state: State) -> Prompt | None:
    """Return the question the state is waiting on (to show it again after a pause)."""
    if state.cursor is None:
        return None
    step = _step(flow, state.cursor)
    if not isinstance(step, ChoiceStep | RatingStep | TextStep):
        raise FlowError(f"step '{step.id}' of flow '{flow.id}' is not a question")
    return _question(flow, context, state, state.cursor, step)


def answer(flow: Flow, context: Context, state: State, reply: Reply) -> Turn:
    """Apply the user's reply to the waiting question and move on."""
    if state.cursor is None:
        return Turn(state, (), problem=Problem.FINISHED)
    cursor = state.cursor
    step = _step(flow, cursor)
    if not isinstance(step, ChoiceStep | RatingStep | TextStep):
        raise FlowError(f"step '{step.id}' of flow '{flow.id}' is not a question")

    def refuse(problem: Problem) -> Turn:
        return Turn(state, (_question(flow, context, state, cursor, step),), problem=problem)

    if isinstance(reply, Back):
        if not state.history:
            return refuse(Problem.NOTHING_TO_GO_BACK_TO)
        previous = state.history[-1]
        moved = replace(state, cursor=previous, history=state.history[:-1], turn=state.turn + 1)
        previous_step = _step(flow, previous)
        assert isinstance(previous_step, ChoiceStep | RatingStep | TextStep)
        return Turn(moved, (_question(flow, context, moved, previous, previous_step),))

    item_id = _item_id(flow, context, cursor)
    name = step.save_as
    key = answer_key(name, item_id) if name else None
    target: str | None = step.next
    if isinstance(reply, Keep):
        if key is None or key not in state.answers:
            return refuse(Problem.NOTHING_TO_KEEP)
        if isinstance(step, ChoiceStep):
            # The kept option decides where the conversation goes, as it did the first time.
            kept = next((o for o in step.options if o.id == state.answers[key]), None)
            if kept is None:
                # Saved before an editor removed that option: there is no branch to follow
                # (carrying on could take a path meant for another option, or run off the
                # end), so the person chooses again from what the flow offers now.
                return refuse(Problem.NOTHING_TO_KEEP)
            target = kept.next or target
        return _move_on(flow, context, state, cursor, target, None)
    if isinstance(reply, Skip):
        if isinstance(step, ChoiceStep) or not step.skippable:
            return refuse(Problem.CANNOT_SKIP)
        return _move_on(flow, context, state, cursor, target, Saved(step.save_as, item_id, None))

    options = _options(context, step)
    if isinstance(reply, Type) and isinstance(step, TextStep):
        text = reply.text.strip()
        if not text:
            return refuse(Problem.EMPTY)
        if len(text) > step.max_length:
            return refuse(Problem.TOO_LONG)
        return _move_on(flow, context, state, cursor, target, Saved(step.save_as, item_id, text))
    if isinstance(reply, Type):
        chosen = _option_typed(options, reply.text)
    elif isinstance(reply, Choose):
        chosen = next((o for o in options if o.id == reply.option_id), None)
    else:
        chosen = None
    if chosen is None:
        return refuse(Problem.CHOOSE_A_BUTTON)
    value: Value = int(chosen.id) if isinstance(step, RatingStep) else chosen.id
    saved = Saved(name, item_id, value) if name else None
    return _move_on(flow, context, state, cursor, chosen.next or target, saved)


def _option_typed(options: Sequence[Option], text: str) -> Option | None:
    """Match typed text to an option by its id, its label, or the words after a level number."""
    wanted = " ".join(text.split()).casefold()
    for option in options:
        label = option.label.casefold()
        # "3 — Implementation" can also be typed as "Implementation".
        words = label.split("—", 1)[-1].strip()
        if wanted in (option.id.casefold(), label, words):
            return option
    return None


def _move_on(
    flow: Flow,
    context: Context,
    state: State,
    cursor: Cursor,
    target: str | None,
    saved: Saved | None,
) -> Turn:
    answers = dict(state.answers)
    if saved is not None:
        answers[answer_key(saved.name, saved.item_id)] = saved.value
    moved = replace(state, answers=answers, history=(*state.history, cursor), turn=state.turn + 1)
    following = _following(flow, context, cursor, target)
    return _walk(flow, context, moved, following, (), () if saved is None else (saved,))


def _walk(
    flow: Flow,
    context: Context,
    state: State,
    cursor: Cursor | None,
    shown: tuple[Prompt, ...],
    saved: tuple[Saved, ...],
) -> Turn:
    """Pass through messages, branches and loop entries until a question or the end."""
    for _ in range(MAX_HOPS):
        if cursor is None:
            return Turn(replace(state, cursor=None), shown, saved)
        step = _step(flow, cursor)
        if isinstance(step, ChoiceStep | RatingStep | TextStep):
            waiting = replace(state, cursor=cursor)
            return Turn(waiting, (*shown, _question(flow, context, waiting, cursor, step)), saved)
        if isinstance(step, EndStep):
            end = Prompt(
                step.id,
                "end",
                step.text,
                _params(flow, context, state, cursor),
                summary=step.summary,
            )
            return Turn(replace(state, cursor=None), (*shown, end), saved)
        if isinstance(step, MessageStep):
            params = _params(flow, context, state, cursor)
            shown = (*shown, Prompt(step.id, "message", step.text, params))
            cursor = _following(flow, context, cursor, step.next)
        elif isinstance(step, BranchStep):
            target = _branch_target(flow, context, state, cursor, step)
            cursor = _following(flow, context, cursor, target)
        elif isinstance(step, LoopStep):
            items = _items(context, step)
            if items and step.steps:
                cursor = Cursor(step.steps[0].id, 0)
            else:
                cursor = _following(flow, context, Cursor(step.id), step.next)
    raise FlowError(f"flow '{flow.id}' goes round without asking anything")


def _following(flow: Flow, context: Context, cursor: Cursor, target: str | None) -> Cursor | None:
    """Return the cursor after ``cursor`` when leaving it towards ``target`` (or onward)."""
    place = flow.place(cursor.step)
    if place is None:
        raise FlowError(f"flow '{flow.id}' has no step '{cursor.step}'")
    if target is not None and target != NEXT_ITEM:
        target_place = flow.place(target)
        if target_place is None:
            raise FlowError(f"flow '{flow.id}' has no step '{target}'")
        inside_same_loop = target_place.loop is not None and target_place.loop is place.loop
        return Cursor(target, cursor.index if inside_same_loop else None)
    if target is None and place.position + 1 < len(place.siblings):
        return Cursor(place.siblings[place.position + 1].id, cursor.index)
    if place.loop is not None:
        index = (cursor.index or 0) + 1
        if index < len(_items(context, place.loop)):
            return Cursor(place.loop.steps[0].id, index)
        return _following(flow, context, Cursor(place.loop.id), place.loop.next)
    return None


def _branch_target(
    flow: Flow, context: Context, state: State, cursor: Cursor, step: BranchStep
) -> str:
    values = _values(flow, context, state, cursor)
    for case in step.cases:
        value = values.get(case.var)
        holds = value not in (None, "") if case.equals is None else str(value) == case.equals
        if holds:
            return case.next
    return step.otherwise


def _question(
    flow: Flow, context: Context, state: State, cursor: Cursor, step: InputStep
) -> Prompt:
    place = flow.place(step.id)
    assert place is not None
    item = _item(context, place.loop, cursor) if place.loop else None
    progress = None
    if place.loop is not None and place.loop.progress and cursor.index is not None:
        total = len(_items(context, place.loop))
        progress = Progress(cursor.index + 1, total, place.loop.progress)
    key = answer_key(step.save_as, item.id if item else None) if step.save_as else None
    has_current = key is not None and key in state.answers
    return Prompt(
        step_id=step.id,
        kind=step.KIND,
        text=step.text,
        params=_params(flow, context, state, cursor),
        options=_options(context, step),
        item_id=item.id if item else None,
        details=item.details if item else (),
        progress=progress,
        scale=step.scale if isinstance(step, RatingStep) else None,
        can_back=bool(state.history),
        can_skip=not isinstance(step, ChoiceStep) and step.skippable,
        current=state.answers.get(key) if key else None,
        has_current=has_current,
        max_length=step.max_length if isinstance(step, TextStep) else None,
    )


def _options(context: Context, step: InputStep) -> tuple[Option, ...]:
    if isinstance(step, ChoiceStep):
        return step.options
    if isinstance(step, RatingStep):
        scale = context.scales.get(step.scale)
        if scale is None:
            raise FlowError(f"step '{step.id}' uses unknown scale '{step.scale}'")
        return tuple(scale)
    return ()


def _params(flow: Flow, context: Context, state: State, cursor: Cursor) -> dict[str, str]:
    return {
        k: "" if v is None else str(v) for k, v in _values(flow, context, state, cursor).items()
    }


def _values(flow: Flow, context: Context, state: State, cursor: Cursor) -> dict[str, Value]:
    """Return the names a template or branch can use at this cursor."""
    values: dict[str, Value] = dict(state.vars)
    values.update({k: v for k, v in state.answers.items() if "@" not in k})
    place = flow.place(cursor.step)
    if place is not None and place.loop is not None:
        item = _item(context, place.loop, cursor)
        values.update(item.params)
        items = _items(context, place.loop)
        values["n"] = str((cursor.index or 0) + 1)
        values["total"] = str(len(items))
        suffix = f"@{item.id}"
        values.update(
            {k[: -len(suffix)]: v for k, v in state.answers.items() if k.endswith(suffix)}
        )
    return values


def _items(context: Context, loop: LoopStep) -> Sequence[Item]:
    items = context.lists.get(loop.over)
    if items is None:
        raise FlowError(f"loop '{loop.id}' runs over unknown list '{loop.over}'")
    return items


def _item(context: Context, loop: LoopStep, cursor: Cursor) -> Item:
    items = _items(context, loop)
    if cursor.index is None or not 0 <= cursor.index < len(items):
        raise FlowError(f"loop '{loop.id}' has no item {cursor.index}")
    return items[cursor.index]


def _item_id(flow: Flow, context: Context, cursor: Cursor) -> str | None:
    place = flow.place(cursor.step)
    if place is None or place.loop is None:
        return None
    return _item(context, place.loop, cursor).id


def _step(flow: Flow, cursor: Cursor) -> Step:
    place = flow.place(cursor.step)
    if place is None:
        raise FlowError(f"flow '{flow.id}' has no step '{cursor.step}'")
    return place.step
