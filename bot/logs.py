"""Logging set up once by the entry point, with the bot token scrubbed from every record."""

from __future__ import annotations

import logging
import sys

REDACTED = "[token]"

# httpx logs every request URL at INFO, and Telegram URLs carry the token: keep them quiet.
# APScheduler (the JobQueue) logs every job it runs at INFO: noise in the terminal chat.
QUIET_LOGGERS = ("httpx", "httpcore", "apscheduler")


class RedactToken(logging.Filter):
    """Replace the bot token wherever it appears in a log record's text."""

    def __init__(self, token: str | None) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message (and traceback) without the token; keep the record."""
        if not self.token:
            return True
        message = record.getMessage()
        if self.token in message:
            record.msg = message.replace(self.token, REDACTED)
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            formatted = logging.Formatter().formatException(record.exc_info)
            if self.token in formatted:
                record.exc_text = formatted.replace(self.token, REDACTED)
        return True


def configure(level: str, token: str | None) -> None:
    """Send logs to stderr at ``level``, token redacted, noisy HTTP loggers at WARNING."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactToken(token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
