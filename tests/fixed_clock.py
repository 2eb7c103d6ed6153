"""A clock the storage tests set by hand, so timestamps can be asserted exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

START = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


class FixedClock:
    """Return the same moment until told to move."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta = timedelta(minutes=1)) -> None:
        """Move the clock forward."""
        self.now += by
