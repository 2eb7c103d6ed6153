"""One running bot per database: a second `run` on the same file is refused, not let loose.

Two copies on one database would each fetch updates (or one would delete the other's webhook
at start), so people would get answers from both or from neither. The lock is an advisory
``flock`` on a file beside the database: the kernel lets it go when the process ends, even by
``kill -9``, so a crash never leaves the bot locked out.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: no lock, as before
    fcntl = None  # type: ignore[assignment]


class AlreadyRunning(RuntimeError):
    """Another process holds the database's run lock."""

    def __init__(self, database: Path, pid: str) -> None:
        self.database = database
        self.pid = pid
        super().__init__(f"another copy of the bot (process {pid or 'unknown'}) uses {database}")


def lock_path(database: Path) -> Path:
    """Return the lock file kept beside a database."""
    return database.with_name(database.name + ".lock")


@contextmanager
def only_copy(database: Path) -> Iterator[None]:
    """Hold the database's run lock while the bot runs; raise AlreadyRunning if it is taken."""
    if fcntl is None or str(database) == ":memory:":
        yield
        return
    path = lock_path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            raise AlreadyRunning(database, holder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor lets the lock go
