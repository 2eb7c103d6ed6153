"""Team rounds: who may do what, the team's results, agreed ratings, and the round's exports.

No Telegram here: the team handlers call these verbs and render what comes back. Every verb
that shows or changes a round takes the person asking and re-checks their role in the store.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import partial

from bot.charts import ChartRow, team_chart
from bot.content_model import Content, Statement
from storage import Store
from storage.export import format_timestamp, table_csv_bytes
from storage.models import AgreedRating, Member, Round, TeamAnswer
from storage.rounds import CODE_LENGTH

FLAG_SPREAD = 2  # raters this many levels apart or more should talk it through
# Fewer raters than this, and a shared median and spread, read beside one's own rating, would
# give away what the others gave: those statements show only an agreed rating.
MIN_SHARED_RATERS = 4
REMINDER_EVERY = timedelta(days=1)  # at most one reminder a day per person
ROUND_NAME_MAX = 80
DISPLAY_NAME_MAX = 40
ORGANISATION_MAX = 120
REASON_MAX = 1000

RATINGS_COLUMNS = (
    "round_id",
    "round_name",
    "organisation",
    "participant",
    "name",
    "role",
    "statement_id",
    "statement_title",
    "rating",
    "rating_label",
    "note",
    "answered_at",
    "evaluation_status",
)
SUMMARY_COLUMNS = (
    "round_id",
    "round_name",
    "organisation",
    "statement_id",
    "statement_title",
    "raters",
    "median",
    "lowest",
    "highest",
    "flagged",
    "agreed_rating",
    "agreed_label",
    "agreed_reason",
    "team_position",
    "team_position_source",
)


class Role(StrEnum):
    """What a person may do in a round."""

    ADMIN = "admin"  # named in WORKFORCE_GUIDE_ADMINS: sees every round
    ORGANISER = "organiser"
    PARTICIPANT = "participant"


class CodeCheck(StrEnum):
    """What a join code or organiser invite turned out to be."""

    JOIN = "join"
    ORGANISER = "organiser"
    UNKNOWN = "unknown"
    REPLACED = "replaced"
    USED = "used"
    CLOSED = "closed"


@dataclass(frozen=True)
class CodeResult:
    """The outcome of checking a code, with its round when there is one."""

    check: CodeCheck
    round: Round | None = None
    code: str = ""


@dataclass(frozen=True)
class StatementResult:
    """The team's picture of one statement: who rated what, the notes, any agreed rating."""

    statement: Statement
    ratings: tuple[tuple[str, int], ...]  # (display name, rating), in the order members joined
    notes: tuple[tuple[str, str], ...]  # (display name, note)
    agreed: AgreedRating | None

    @property
    def raters(self) -> int:
        """Return how many people rated it (skips do not count)."""
        return len(self.ratings)

    @property
    def median(self) -> float | None:
        """Return the median rating, or None when nobody rated it."""
        values = [r for _, r in self.ratings]
        return float(statistics.median(values)) if values else None

    @property
    def lowest(self) -> int | None:
        """Return the lowest rating given."""
        return min((r for _, r in self.ratings), default=None)

    @property
    def highest(self) -> int | None:
        """Return the highest rating given."""
        return max((r for _, r in self.ratings), default=None)

    @property
    def flagged(self) -> bool:
        """Tell whether raters are far enough apart to talk about it."""
        if self.lowest is None or self.highest is None:
            return False
        return self.highest - self.lowest >= FLAG_SPREAD

    @property
    def position(self) -> float | None:
        """Return where the team stands: the agreed rating if any, else the median."""
        return float(self.agreed.rating) if self.agreed is not None else self.median

    @property
    def position_source(self) -> str:
        """Return "agreed", "median", or "" when there is nothing to report yet."""
        if self.agreed is not None:
            return "agreed"
        return "median" if self.ratings else ""


def format_level(value: float | None) -> str:
    """Write a median as people read it: 3, 2.5."""
    if value is None:
        return ""
    return str(int(value)) if value == int(value) else f"{value:.1f}"


def statement_results(
    content: Content,
    round_: Round,
    answers: Sequence[TeamAnswer],
    agreed: dict[str, AgreedRating],
) -> list[StatementResult]:
    """Gather each of the round's statements' ratings, notes and agreed rating, in order."""
    results = []
    for statement_id in round_.statement_ids:
        statement = content.statement(statement_id)
        if statement is None:  # a statement removed from content since the round began
            continue
        mine = [a for a in answers if a.statement_id == statement_id]
        results.append(
            StatementResult(
                statement=statement,
                ratings=tuple((a.display_name, a.rating) for a in mine if a.rating is not None),
                notes=tuple((a.display_name, a.note) for a in mine if a.note),
                agreed=agreed.get(statement_id),
            )
        )
    return results


def talk_first(results: Sequence[StatementResult]) -> list[StatementResult]:
    """Order results so the statements to talk about come first, otherwise as asked."""
    return sorted(results, key=lambda r: not r.flagged)


_CODE_LOOKALIKES = str.maketrans({"i": "1", "l": "1", "o": "0"})


def normalise_code(text: str) -> str:
    """Read a code as typed: any case, with spaces or dashes, o for 0 and i or l for 1."""
    kept = "".join(ch for ch in text.lower() if ch.isascii() and ch.isalnum())
    return kept.translate(_CODE_LOOKALIKES)


def looks_like_code(text: str) -> bool:
    """Tell whether a message could be a round code on its own (to try it before a search)."""
    # 16 characters, perhaps grouped with dashes or spaces: at most 24 as typed.
    return len(text.strip()) <= 24 and len(normalise_code(text)) == CODE_LENGTH


def show_code(code: str) -> str:
    """Write a code in groups of four, easier to read out and type: k7m2-x9qp-4trz-wd8h."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def default_round_name(now: datetime) -> str:
    """Return a sensible round name for this month."""
    return f"Workforce self-evaluation, {now:%B %Y}"


class Teams:
    """The team round verbs, each re-checking the asker's role in the store."""

    def __init__(self, store: Store, content: Content, admins: frozenset[str]) -> None:
        self.store = store
        self.content = content
        self.admins = admins

    def role(self, round_id: int, participant_id: str) -> Role | None:
        """Return the person's role in the round from the store; None if they have none."""
        round_ = self.store.round(round_id)
        if round_ is None:
            return None
        member = self.store.member(round_id, participant_id)
        if member is not None and member.is_organiser:
            return Role.ORGANISER
        if self.is_admin(participant_id):
            return Role.ADMIN
        return Role.PARTICIPANT if member is not None else None

    def is_admin(self, participant_id: str) -> bool:
        """Tell whether the person is one of the service's administrators."""
        return (self.store.user_key(participant_id) or "") in self.admins

    def can_manage(self, round_id: int, participant_id: str) -> bool:
        """Tell whether the person may see the round's results and run it."""
        return self.role(round_id, participant_id) in (Role.ORGANISER, Role.ADMIN)

    def visible_rounds(self, participant_id: str) -> list[Round]:
        """Return the rounds the person may open: their own, or every one for an admin."""
        if self.is_admin(participant_id):
            return self.store.rounds()
        return self.store.rounds_of(participant_id)

    def check_code(self, code: str) -> CodeResult:
        """Tell what a code opens, refusing made-up, replaced, used and closed ones."""
        code = normalise_code(code)
        found = self.store.find_code(code) if code else None
        if found is None:
            return CodeResult(CodeCheck.UNKNOWN, code=code)
        round_ = self.store.round(found.round_id)
        if round_ is None:
            return CodeResult(CodeCheck.UNKNOWN, code=code)
        if found.retired_at is not None:
            check = CodeCheck.USED if found.purpose == "organiser" else CodeCheck.REPLACED
            return CodeResult(check, round_, code)
        if not round_.is_open:
            return CodeResult(CodeCheck.CLOSED, round_, code)
        kind = CodeCheck.ORGANISER if found.purpose == "organiser" else CodeCheck.JOIN
        return CodeResult(kind, round_, code)

    def unique_name(self, participant_id: str, organisation: str, name: str) -> str:
        """Return the round name, numbered if the person already runs one so named."""
        taken = {
            r.name for r in self.store.rounds_of(participant_id) if r.organisation == organisation
        }
        candidate, n = name, 1
        while candidate in taken:
            n += 1
            candidate = f"{name} ({n})"
        return candidate

    def organisers(self, round_id: int) -> list[Member]:
        """Return the round's organisers."""
        return [m for m in self.store.members(round_id) if m.is_organiser]

    def results(self, round_: Round) -> list[StatementResult]:
        """Return the team's results for every statement of the round."""
        return statement_results(
            self.content,
            round_,
            self.store.team_answers(round_.id),
            self.store.agreed_ratings(round_.id),
        )

    def still_rating(self, round_id: int) -> list[Member]:
        """Return the members who joined to rate and have not finished."""
        return [m for m in self.store.members(round_id) if not m.finished and _rating(m)]

    def reminder_due(self, member: Member, now: datetime) -> bool:
        """Tell whether a reminder may go to this member now."""
        if not member.reminders or member.finished:
            return False
        last = member.last_reminded_at
        return last is None or last <= now - REMINDER_EVERY

    def chart(self, round_: Round) -> bytes | None:
        """Draw the round's chart as PNG bytes, or None when nobody has rated yet."""
        drawing = self.chart_drawing(round_)
        return None if drawing is None else drawing()

    def chart_drawing(self, round_: Round) -> Callable[[], bytes] | None:
        """Read what the round's chart shows now; return the drawing of it, still to be done.

        The reading is quick and uses the store; the drawing takes about a second and touches
        nothing shared, so a caller can run it away from the event loop.
        """
        results = self.results(round_)
        if not any(r.ratings for r in results):
            return None
        raters = len({name for r in results for name, _ in r.ratings})
        rows = [
            ChartRow(
                title=r.statement.title,
                ratings=tuple(rating for _, rating in r.ratings),
                median=r.median,
                agreed=r.agreed.rating if r.agreed else None,
                flagged=r.flagged,
            )
            for r in results
        ]
        levels = [label for _, label in sorted(self.content.rating_labels().items())]
        subtitle = f"{round_.organisation} · {raters} people rated · {today(self.store.now())}"
        return partial(team_chart, rows, levels, title=round_.name, subtitle=subtitle)

    def ratings_csv(self, round_: Round) -> bytes:
        """Return the round's answers, a row per person and statement, as CSV bytes."""
        members = {m.participant_id: m for m in self.store.members(round_.id)}
        titles, labels = self.content.statement_titles(), self.content.rating_labels()
        rows = []
        for answer in self.store.team_answers(round_.id):
            member = members.get(answer.participant_id)
            if answer.rating is not None:
                label = labels.get(answer.rating, "")
            else:
                label = "Skipped" if answer.skipped else ""
            rows.append(
                (
                    round_.id,
                    round_.name,
                    round_.organisation,
                    answer.participant_id,
                    answer.display_name,
                    member.role if member else "",
                    answer.statement_id,
                    titles.get(answer.statement_id, ""),
                    "" if answer.rating is None else answer.rating,
                    label,
                    answer.note or "",
                    format_timestamp(answer.answered_at),
                    answer.evaluation_status,
                )
            )
        return table_csv_bytes(RATINGS_COLUMNS, rows)

    def summary_csv(self, round_: Round) -> bytes:
        """Return the round's per-statement summary as CSV bytes."""
        labels = self.content.rating_labels()
        rows = []
        for result in self.results(round_):
            agreed = result.agreed
            rows.append(
                (
                    round_.id,
                    round_.name,
                    round_.organisation,
                    result.statement.id,
                    result.statement.title,
                    result.raters,
                    format_level(result.median),
                    "" if result.lowest is None else result.lowest,
                    "" if result.highest is None else result.highest,
                    "yes" if result.flagged else "no",
                    "" if agreed is None else agreed.rating,
                    "" if agreed is None else labels.get(agreed.rating, ""),
                    "" if agreed is None else agreed.reason or "",
                    format_level(result.position),
                    result.position_source,
                )
            )
        return table_csv_bytes(SUMMARY_COLUMNS, rows)


def _rating(member: Member) -> bool:
    """Tell whether a member takes part in rating (joined, or an organiser who started)."""
    return member.role == "participant" or member.evaluation_id is not None


def today(now: datetime | None = None) -> str:
    """Return today's date as the chart and file names show it."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{moment.day} {moment:%B %Y}"
