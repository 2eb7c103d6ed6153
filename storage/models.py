"""Frozen records the store hands out, and the one error it raises for missing rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Evaluation:
    """One sitting-spanning self-assessment by a participant for an organisation."""

    id: int
    participant_id: str
    organisation: str | None
    status: str
    started_at: datetime
    finished_at: datetime | None
    answered: int
    """Statements rated or skipped (a note on its own does not count)."""


@dataclass(frozen=True)
class Answer:
    """The latest answer to one statement within an evaluation."""

    statement_id: str
    rating: int | None
    skipped: bool
    note: str | None
    answered_at: datetime


@dataclass(frozen=True)
class SearchGap:
    """Words people searched for that found nothing, and how often."""

    terms: str
    count: int
    last_seen: datetime


@dataclass(frozen=True)
class ExportRow:
    """One answered statement, as written to the CSV export."""

    evaluation_id: int
    organisation: str | None
    participant: str
    statement_id: str
    rating: int | None
    note: str | None
    answered_at: datetime
    evaluation_status: str
    skipped: bool
    """True when the team chose to skip; False with no rating means a note on its own."""


class NotFoundError(LookupError):
    """A participant or evaluation that the caller named does not exist."""

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(kind, key)
        self.kind = kind
        self.key = key

    def __str__(self) -> str:
        return f"no {self.kind} with id {self.key!r}"
