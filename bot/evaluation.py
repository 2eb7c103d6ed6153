"""Self-evaluations: run the flow with the engine and keep every answer in the store.

No Telegram here: the handlers call these verbs and render what comes back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from bot import engine
from bot.content_model import Statement
from bot.engine import Reply, Saved, State, Turn
from bot.loading.guide import (
    NOTE,
    ORGANISATION,
    RATING,
    ROUND,
    STATEMENT_COUNT,
    Guide,
)
from storage import Evaluation, Store
from storage.models import Round
from storage.store import EASY_READ, STANDARD

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
    round_name: str | None = None  # set when the evaluation belongs to a team round


class RoundClosedError(Exception):
    """The evaluation belongs to a team round that is closed: answers can no longer change."""


class Evaluations:
    """The self-evaluation verbs: begin, answer, pause, resume, switch between evaluations."""

    def __init__(self, store: Store, guide: Guide) -> None:
        self.store = store
        self.guide = guide
        self._contexts: dict[tuple[str, ...], engine.Context] = {}
        self._statement_ids: dict[int, tuple[str, ...]] = {}
        self._round_ids: dict[int, int | None] = {}
        # Which message shows a person's question, when nothing else has changed since their
        # position was written: participant -> (evaluation id, turn, message id). The id is
        # only known once the question is sent, after the answers are committed; writing it
        # at once would cost every answer a second commit (an fsync), so it is written with
        # the person's next move. After a crash (or a group commit that failed, which undoes
        # a write this forgot the entry for), that one question may keep its buttons; a tap
        # on them is still handled, as any other.
        self._on_screen: dict[str, tuple[int, int, int]] = {}

    def statements(self, evaluation: Evaluation | None) -> tuple[Statement, ...]:
        """Return the statements an evaluation asks: a round's choice, or all of them."""
        round_ = self._round(evaluation)
        if round_ is None:
            return self.guide.content.statements
        wanted = set(round_.statement_ids)
        return tuple(s for s in self.guide.content.statements if s.id in wanted)

    def easy_read(self, participant: str) -> bool:
        """Tell whether the person chose easy read."""
        return self.store.reading(participant) == EASY_READ

    def context(self, evaluation_id: int) -> engine.Context:
        """Return the engine context for an evaluation: its round's statements only."""
        # A round's statements never change once it exists, so an evaluation's are looked up
        # once, not on every question of every update.
        key = self._statement_ids.get(evaluation_id)
        if key is None:
            statements = self.statements(self.store.evaluation(evaluation_id))
            key = self._statement_ids[evaluation_id] = tuple(s.id for s in statements)
        if len(key) == len(self.guide.content.statements):
            return self.guide.context
        if key not in self._contexts:
            base = self.guide.context
            wanted = set(key)
            lists = {
                name: tuple(i for i in items if i.id in wanted)
                for name, items in base.lists.items()
            }
            self._contexts[key] = engine.Context(lists, base.scales)
        return self._contexts[key]

    def _round(self, evaluation: Evaluation | None) -> Round | None:
        if evaluation is None or evaluation.round_id is None:
            return None
        return self.store.round(evaluation.round_id)

    def position(self, participant: str) -> Position | None:
        """Return where the participant is, or None (an unreadable position is dropped)."""
        data = self.store.load_position(participant)
        if data is None:
            return None
        try:
            position = Position.from_dict(data)
            shown = self._on_screen.get(participant)
            if (
                shown is not None
                and position.active
                and shown[:2] == (position.evaluation_id, position.state.turn)
            ):
                position = replace(position, message_id=shown[2])
            if position.state.cursor is not None:
                context = self.context(position.evaluation_id)
                engine.prompt_at(self.guide.flow(position.state.flow_id), context, position.state)
        except (engine.FlowError, KeyError, TypeError, ValueError) as error:
            # The flow or content changed under a saved position: the answers are safe in the
            # store, so start the conversation afresh rather than fail on every message.
            log.warning("dropping a saved position that no longer fits the flow: %s", error)
            self._clear(participant)
            return None
        return position

    def progress(self, position: Position) -> Progress:
        """Return the organisation and how many statements are answered."""
        evaluation = self.store.evaluation(position.evaluation_id)
        round_ = self._round(evaluation)
        return Progress(
            organisation=evaluation.organisation if evaluation else None,
            answered=evaluation.answered if evaluation else 0,
            total=len(self.statements(evaluation)),
            round_name=round_.name if round_ else None,
        )

    def can_continue(self, position: Position) -> bool:
        """Tell whether answers can still be given: not in a closed team round."""
        round_ = self.round_of(position)
        return round_ is None or round_.is_open

    def begin(self, participant: str, round_: Round | None = None) -> tuple[Position, Turn]:
        """Start a new evaluation, alone or in a round, in the person's way of reading."""
        organisation = round_.organisation if round_ else self.store.organisation(participant)
        remembered = {ORGANISATION: organisation} if organisation else {}
        total = len(round_.statement_ids) if round_ else len(self.guide.content.statements)
        remembered[STATEMENT_COUNT] = str(total)
        if round_ is not None:
            remembered[ROUND] = round_.name
        with self.store.transaction():
            self._park_current(participant)
            evaluation_id = self.store.start_evaluation(
                participant, organisation, round_id=round_.id if round_ else None
            )
            # SQLite may reuse the id of an evaluation deleted by /forget: forget what it held.
            self._statement_ids.pop(evaluation_id, None)
            self._round_ids.pop(evaluation_id, None)
            context = self.context(evaluation_id)
            flow = self.guide.evaluation_flow(self.easy_read(participant))
            turn = engine.start(flow, context, remembered)
            position = Position(evaluation_id, turn.state)
            self._keep(participant, position, turn.saved)
        return position, turn

    def switch_to(self, participant: str, evaluation_id: int) -> Position | None:
        """Make one of the person's unfinished evaluations the current one; None if it can't."""
        evaluation = self.store.evaluation(evaluation_id)
        if (
            evaluation is None
            or evaluation.participant_id != participant
            or evaluation.status == "finished"
        ):
            return None
        current = self.position(participant)
        if current is not None and current.evaluation_id == evaluation_id:
            return current
        data = self.store.parked_position(evaluation_id)
        try:
            position = Position.from_dict(data) if data else self._rebuild(evaluation)
            engine.prompt_at(
                self.guide.flow(position.state.flow_id), self.context(evaluation_id), position.state
            )
        except (engine.FlowError, KeyError, TypeError, ValueError):
            position = self._rebuild(evaluation)
        with self.store.transaction():
            self._park_current(participant)
            self.store.drop_parked(evaluation_id)
            position = replace(position, message_id=None, active=True)
            self._save(participant, position)
        return position

    def unfinished(self, participant: str) -> list[Evaluation]:
        """Return the person's evaluations that can still be continued, newest first."""
        kept = []
        for evaluation in self.store.evaluations_for(participant):
            round_ = self._round(evaluation)
            if evaluation.status != "finished" and (round_ is None or round_.is_open):
                kept.append(evaluation)
        return kept

    def round_of(self, position: Position) -> Round | None:
        """Return the team round the position's evaluation belongs to, if any."""
        # An evaluation never changes round, so which one is looked up once, not on every
        # answer (the round itself is read fresh: it may have closed).
        evaluation_id = position.evaluation_id
        if evaluation_id not in self._round_ids:
            evaluation = self.store.evaluation(evaluation_id)
            if evaluation is None:
                return None
            self._round_ids[evaluation_id] = evaluation.round_id
        round_id = self._round_ids[evaluation_id]
        return None if round_id is None else self.store.round(round_id)

    def _park_current(self, participant: str) -> None:
        current = self.position(participant)
        if current is not None:
            self.store.park_position(current.evaluation_id, current.to_dict())

    def _rebuild(self, evaluation: Evaluation) -> Position:
        """Start the flow again for an evaluation, with its stored answers as answers so far."""
        round_ = self._round(evaluation)
        remembered = {ORGANISATION: evaluation.organisation} if evaluation.organisation else {}
        remembered[STATEMENT_COUNT] = str(len(self.statements(evaluation)))
        if round_ is not None:
            remembered[ROUND] = round_.name
        flow = self.guide.evaluation_flow(self.easy_read(evaluation.participant_id))
        turn = engine.start(flow, self.context(evaluation.id), remembered)
        answers: dict[str, str | int | None] = {}
        for answer in self.store.answers_for(evaluation.id).values():
            if answer.rating is not None or answer.skipped:
                answers[engine.answer_key(RATING, answer.statement_id)] = answer.rating
            if answer.note:
                answers[engine.answer_key(NOTE, answer.statement_id)] = answer.note
        return Position(evaluation.id, replace(turn.state, answers=answers))

    def reply(self, participant: str, position: Position, reply: Reply) -> tuple[Position, Turn]:
        """Apply a reply, keep what it saved and where it leads, and return the new turn."""
        round_ = self.round_of(position)
        if round_ is not None and not round_.is_open:
            raise RoundClosedError(round_.name)
        context = self.context(position.evaluation_id)
        turn = engine.answer(
            self.guide.flow(position.state.flow_id), context, position.state, reply
        )
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
        if position.active and message_id is not None:
            # Only the message changed: kept until the next write (see `_on_screen`).
            turn = position.state.turn
            self._on_screen[participant] = (position.evaluation_id, turn, message_id)
        else:
            self._save(participant, moved)
        return moved

    def set_reading(self, participant: str, easy: bool) -> Position | None:
        """Switch the person to easy read or back, the evaluation in hand included."""
        with self.store.transaction():
            self.store.set_reading(participant, EASY_READ if easy else STANDARD)
            position = self.position(participant)
            if position is None:
                return None
            # Both flows use the same step ids, so the place in the conversation carries over.
            flow = self.guide.evaluation_flow(easy)
            moved = replace(position, state=replace(position.state, flow_id=flow.id))
            try:
                engine.prompt_at(flow, self.context(position.evaluation_id), moved.state)
            except engine.FlowError:
                return position  # a council's own flows may differ: keep the one in hand
            self._save(participant, moved)
            return moved

    def pause(self, participant: str, position: Position) -> Position:
        """Mark the evaluation paused; everything answered is already stored."""
        paused = replace(position, active=False, message_id=None)
        self._save(participant, paused)
        return paused

    def question(self, position: Position) -> engine.Prompt | None:
        """Return the question the position waits on."""
        context = self.context(position.evaluation_id)
        return engine.prompt_at(self.guide.flow(position.state.flow_id), context, position.state)

    def _keep(self, participant: str, position: Position, saved: tuple[Saved, ...]) -> None:
        for answer in saved:
            self._record(participant, position.evaluation_id, answer)
        if position.state.cursor is None:
            self._clear(participant)
        else:
            self._save(participant, position)

    def write_on_screen(self) -> None:
        """Write down which message shows each person's question (before a stop)."""
        with self.store.transaction():
            for participant, (_, _, message_id) in list(self._on_screen.items()):
                position = self.position(participant)
                if position is not None and position.message_id == message_id:
                    self._save(participant, position)
        self._on_screen.clear()

    def _save(self, participant: str, position: Position) -> None:
        # What is written carries the message on screen (or says there is none): the store
        # now knows it, so nothing is left to remember.
        self.store.save_position(participant, position.to_dict())
        self._on_screen.pop(participant, None)

    def _clear(self, participant: str) -> None:
        self.store.clear_position(participant)
        self._on_screen.pop(participant, None)

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
