"""Self-evaluations: run the flow with the engine and keep every answer in the store.

No Telegram here: the handlers call these verbs and render what comes back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from bot import engine
from bot.engine import Reply, Saved, State, Turn
from bot.loading.guide import NOTE, ORGANISATION, RATING, Guide
from storage import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Position:
    """A participant's place in an evaluation, saved after every move."""

    evaluation_id: int
    state: State
    message_id: int | None = None  # the question message on screen, to tidy its buttons
    active: bool = True  # False while paused: free text is then a search, not an answer

    def to_dict(self) -> dict[str, Any]:
        """Return the position as JSON-ready data."""
        return {
            "evaluation_id": self.evaluation_id,
            "state": self.state.to_dict(),
            "message_id": self.message_id,
            "active": self.active,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Position:
        """Rebuild a position saved with ``to_dict``."""
        return cls(
            evaluation_id=int(data["evaluation_id"]),
            state=State.from_dict(data["state"]),
            message_id=data.get("message_id"),
            active=bool(data.get("active", True)),
        )


@dataclass(frozen=True)
class Progress:
    """How much of an evaluation is answered."""

    organisation: str | None
    answered: int
    total: int


class Evaluations:
    """The self-evaluation verbs: begin, answer, pause, resume."""

    def __init__(self, store: Store, guide: Guide) -> None:
        self.store = store
        self.guide = guide

    def position(self, participant: str) -> Position | None:
        """Return where the participant is, or None (an unreadable position is dropped)."""
        data = self.store.load_position(participant)
        if data is None:
            return None
        try:
            position = Position.from_dict(data)
            if position.state.cursor is not None:
                engine.prompt_at(self.guide.evaluation, self.guide.context, position.state)
        except (engine.FlowError, KeyError, TypeError, ValueError) as error:
            # The flow or content changed under a saved position: the answers are safe in the
            # store, so start the conversation afresh rather than fail on every message.
            log.warning("dropping a saved position that no longer fits the flow: %s", error)
            self.store.clear_position(participant)
            return None
        return position

    def progress(self, position: Position) -> Progress:
        """Return the organisation and how many statements are answered."""
        evaluation = self.store.evaluation(position.evaluation_id)
        return Progress(
            organisation=evaluation.organisation if evaluation else None,
            answered=evaluation.answered if evaluation else 0,
            total=len(self.guide.content.statements),
        )

    def begin(self, participant: str) -> tuple[Position, Turn]:
        """Start a new evaluation (earlier ones stay stored) and return its first screen."""
        organisation = self.store.organisation(participant)
        remembered = {ORGANISATION: organisation} if organisation else {}
        turn = engine.start(self.guide.evaluation, self.guide.context, remembered)
        with self.store.transaction():
            evaluation_id = self.store.start_evaluation(participant, organisation)
            position = Position(evaluation_id, turn.state)
            self._keep(participant, position, turn.saved)
        return position, turn

    def reply(self, participant: str, position: Position, reply: Reply) -> tuple[Position, Turn]:
        """Apply a reply, keep what it saved and where it leads, and return the new turn."""
        turn = engine.answer(self.guide.evaluation, self.guide.context, position.state, reply)
        if turn.problem is not None:
            return position, turn
        moved = replace(position, state=turn.state, active=True)
        with self.store.transaction():
            self._keep(participant, moved, turn.saved)
            if turn.finished:
                self.store.finish_evaluation(position.evaluation_id)
        return moved, turn

    def show_question(
        self, participant: str, position: Position, message_id: int | None
    ) -> Position:
        """Remember which message holds the current question, and mark the evaluation active."""
        moved = replace(position, message_id=message_id, active=True)
        self.store.save_position(participant, moved.to_dict())
        return moved

    def pause(self, participant: str, position: Position) -> Position:
        """Mark the evaluation paused; everything answered is already stored."""
        paused = replace(position, active=False, message_id=None)
        self.store.save_position(participant, paused.to_dict())
        return paused

    def question(self, position: Position) -> engine.Prompt | None:
        """Return the question the position waits on."""
        return engine.prompt_at(self.guide.evaluation, self.guide.context, position.state)

    def _keep(self, participant: str, position: Position, saved: tuple[Saved, ...]) -> None:
        for answer in saved:
            self._record(participant, position.evaluation_id, answer)
        if position.state.cursor is None:
            self.store.clear_position(participant)
        else:
            self.store.save_position(participant, position.to_dict())

    def _record(self, participant: str, evaluation_id: int, answer: Saved) -> None:
        if answer.name == ORGANISATION and isinstance(answer.value, str):
            self.store.set_organisation(participant, answer.value)
            self.store.set_evaluation_organisation(evaluation_id, answer.value)
        elif answer.name == RATING and answer.item_id is not None:
            rating = answer.value if isinstance(answer.value, int) else None
            self.store.record_rating(evaluation_id, answer.item_id, rating)
        elif answer.name == NOTE and answer.item_id is not None:
            self.store.record_note(evaluation_id, answer.item_id, _text(answer.value))


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
