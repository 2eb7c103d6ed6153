"""Frozen records the store hands out, and the one error it raises for missing rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


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
    round_id: int | None = None
    """The team round this evaluation belongs to; None for a solo evaluation."""
    skipped: int = 0
    """Of the statements answered, how many were skipped."""


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


@dataclass(frozen=True)
class Round:
    """A team self-evaluation: one organisation, a name, the statements it asks."""

    id: int
    organisation: str
    name: str
    statement_ids: tuple[str, ...]
    status: str
    """"open" or "closed"."""
    shared: bool
    """Whether participants may see the team's aggregate results."""
    created_by: str
    created_at: datetime
    closed_at: datetime | None

    @property
    def is_open(self) -> bool:
        """Tell whether people can still join and rate."""
        return self.status == ROUND_OPEN


@dataclass(frozen=True)
class RoundCode:
    """A join code or a one-time organiser invite for a round."""

    code: str
    round_id: int
    purpose: str
    """"join" or "organiser"."""
    created_at: datetime
    retired_at: datetime | None
    """When it was replaced (join) or used (organiser invite); None while it works."""


@dataclass(frozen=True)
class Member:
    """A person's place in a round: their role, the name the team sees, their progress."""

    round_id: int
    participant_id: str
    role: str
    """"organiser" or "participant"."""
    display_name: str
    joined_at: datetime
    reminders: bool
    last_reminded_at: datetime | None
    evaluation_id: int | None
    answered: int
    finished: bool

    @property
    def is_organiser(self) -> bool:
        """Tell whether this member organises the round."""
        return self.role == ORGANISER


@dataclass(frozen=True)
class TeamAnswer:
    """One member's latest answer to one statement of a round."""

    participant_id: str
    display_name: str
    statement_id: str
    rating: int | None
    skipped: bool
    note: str | None
    answered_at: datetime
    evaluation_id: int
    evaluation_status: str


@dataclass(frozen=True)
class AgreedRating:
    """The rating a team agreed for a statement after talking it through, and why."""

    round_id: int
    statement_id: str
    rating: int
    reason: str | None
    agreed_by: str
    agreed_at: datetime


@dataclass(frozen=True)
class Pending:
    """A typed answer the bot is waiting for outside a flow, and what it needs to use it."""

    kind: str
    data: dict[str, Any]


ROUND_OPEN, ROUND_CLOSED = "open", "closed"
ORGANISER, PARTICIPANT = "organiser", "participant"
JOIN, ORGANISER_INVITE = "join", "organiser"


class NotFoundError(LookupError):
    """A participant or evaluation that the caller named does not exist."""

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(kind, key)
        self.kind = kind
        self.key = key

    def __str__(self) -> str:
        return f"no {self.kind} with id {self.key!r}"
