"""The flow model: frozen dataclasses loaded from ``flows/*.yaml``.

The comments on each field double as the authoring reference for flow files. Every step has an
``id`` (unique in its flow) and a ``kind``; steps run in the order written unless ``next`` says
otherwise. Texts are templates: ``{name}`` is filled from the answers saved so far, from what the
bot remembers about the user (e.g. ``{organisation}``) and, inside a loop, from the current item
(e.g. ``{title}``). Texts may use Telegram's HTML tags (<b>, <i>); values filled in are escaped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

NEXT_ITEM = "next-item"
"""A reserved ``next`` target inside a loop: go straight to the loop's next item."""


@dataclass(frozen=True)
class Option:
    """A button of a choice step."""

    id: str  # stable id, saved as the answer and sent in button data
    label: str  # the button text
    next: str | None = None  # where this option leads; default: the step's own ``next``


@dataclass(frozen=True)
class Case:
    """One case of a branch: taken when ``var`` is set (or equals ``equals``)."""

    var: str  # an answer name (``save_as``) or a remembered value such as ``organisation``
    next: str  # the step to go to when the case holds
    equals: str | None = None  # when given, the case holds only for this exact value


@dataclass(frozen=True)
class MessageStep:
    """Show a message and carry straight on."""

    KIND: ClassVar[str] = "message"
    id: str
    text: str
    next: str | None = None


@dataclass(frozen=True)
class ChoiceStep:
    """Ask a question answered by tapping one of the options."""

    KIND: ClassVar[str] = "choice"
    id: str
    text: str
    options: tuple[Option, ...]
    save_as: str | None = None  # keep the chosen option id under this name
    next: str | None = None


@dataclass(frozen=True)
class RatingStep:
    """Ask for a rating on a named scale, one button per level."""

    KIND: ClassVar[str] = "rating"
    id: str
    text: str
    scale: str  # a scale id from content/scales.yaml
    save_as: str  # the answer name, e.g. ``rating``
    skippable: bool = False  # offer a Skip button (saved as "skipped")
    next: str | None = None


@dataclass(frozen=True)
class TextStep:
    """Ask for typed text."""

    KIND: ClassVar[str] = "text"
    id: str
    text: str
    save_as: str  # the answer name, e.g. ``note``
    max_length: int = 500  # longer answers are refused with a clear message
    skippable: bool = False  # offer a Skip button
    next: str | None = None


@dataclass(frozen=True)
class LoopStep:
    """Run the inner ``steps`` once for each item of a content list."""

    KIND: ClassVar[str] = "loop"
    id: str
    over: str  # the content list, e.g. ``statements``
    steps: tuple[Step, ...]  # the steps asked for each item; loops do not nest
    progress: str | None = None  # e.g. "Statement {n} of {total}"
    next: str | None = None  # where to go after the last item


@dataclass(frozen=True)
class BranchStep:
    """Go to the first case that holds, otherwise to ``otherwise``."""

    KIND: ClassVar[str] = "branch"
    id: str
    cases: tuple[Case, ...]
    otherwise: str


@dataclass(frozen=True)
class EndStep:
    """Finish the flow with a closing message."""

    KIND: ClassVar[str] = "end"
    id: str
    text: str
    summary: bool = False  # show the summary of answers after the text


Step = MessageStep | ChoiceStep | RatingStep | TextStep | LoopStep | BranchStep | EndStep
InputStep = ChoiceStep | RatingStep | TextStep
STEP_KINDS: dict[str, type[Step]] = {
    cls.KIND: cls
    for cls in (MessageStep, ChoiceStep, RatingStep, TextStep, LoopStep, BranchStep, EndStep)
}


@dataclass(frozen=True)
class Place:
    """Where a step sits: its list of siblings, and the loop around it if any."""

    step: Step
    siblings: tuple[Step, ...]
    position: int
    loop: LoopStep | None


@dataclass(frozen=True)
class Flow:
    """A conversation: an id, a title and its steps."""

    id: str  # stable, used in stored progress
    title: str
    steps: tuple[Step, ...]
    start: str | None = None  # the first step; default: the first one written
    _places: dict[str, Place] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        places: dict[str, Place] = {}
        for position, step in enumerate(self.steps):
            places.setdefault(step.id, Place(step, self.steps, position, None))
            if isinstance(step, LoopStep):
                for inner_position, inner in enumerate(step.steps):
                    places.setdefault(inner.id, Place(inner, step.steps, inner_position, step))
        # Frozen for callers; the index is filled once here, as the dataclass is built.
        object.__setattr__(self, "_places", places)

    @property
    def first_step(self) -> str:
        """Return the id of the step the flow starts at."""
        return self.start or self.steps[0].id

    def place(self, step_id: str) -> Place | None:
        """Return where the step with this id sits, or None if there is none."""
        return self._places.get(step_id)

    def step_ids(self) -> tuple[str, ...]:
        """Return every step id, loop steps' inner steps included."""
        return tuple(self._places)
