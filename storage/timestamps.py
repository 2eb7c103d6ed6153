"""How moments are written to and read from SQLite text columns."""

from __future__ import annotations

from datetime import UTC, datetime


def to_text(moment: datetime) -> str:
    """Write a moment as fixed-width UTC text, which sorts in time order in SQL."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_text(text: str) -> datetime:
    """Read a moment written by ``to_text``."""
    return datetime.fromisoformat(text)


def optional(text: str | None) -> datetime | None:
    """Read a moment that may be missing."""
    return None if text is None else from_text(text)
