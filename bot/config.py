"""Settings read once from the environment into one frozen object."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

TOKEN_PATTERN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DEFAULT_DB = "workforce-guide.db"


class SettingsError(ValueError):
    """An environment variable is missing or wrong; the message names it and shows an example."""


@dataclass(frozen=True)
class Settings:
    """Everything the bot is configured with. The token is never shown in repr or logs."""

    token: str | None = field(default=None, repr=False)
    base_url: str | None = None
    database: Path = Path(DEFAULT_DB)
    content_dir: Path | None = None
    flows_dir: Path | None = None
    log_level: str = "INFO"
    admins: frozenset[str] = frozenset()  # Telegram user ids who may see every team round

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Read settings from environment variables, failing fast on a bad value."""
        token = environ.get("TELEGRAM_BOT_TOKEN", "").strip() or None
        if token is not None and not TOKEN_PATTERN.match(token):
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN does not look like a bot token from BotFather (expected "
                "digits, a colon, then letters, e.g. 123456789:AAExampleTokenFromBotFather)"
            )
        base_url = environ.get("TELEGRAM_BASE_URL", "").strip() or None
        if base_url is not None and not base_url.startswith(("http://", "https://")):
            raise SettingsError(
                "TELEGRAM_BASE_URL should be a web address, e.g. http://127.0.0.1:8081/bot"
            )
        log_level = environ.get("WORKFORCE_GUIDE_LOG_LEVEL", "INFO").strip().upper()
        if log_level not in LOG_LEVELS:
            raise SettingsError(
                f"WORKFORCE_GUIDE_LOG_LEVEL should be one of {', '.join(LOG_LEVELS)}, e.g. INFO"
            )
        return cls(
            token=token,
            base_url=base_url,
            database=Path(environ.get("WORKFORCE_GUIDE_DB", "").strip() or DEFAULT_DB),
            content_dir=_optional_dir(environ, "WORKFORCE_GUIDE_CONTENT_DIR"),
            flows_dir=_optional_dir(environ, "WORKFORCE_GUIDE_FLOWS_DIR"),
            log_level=log_level,
            admins=_admins(environ),
        )


def _admins(environ: Mapping[str, str]) -> frozenset[str]:
    value = environ.get("WORKFORCE_GUIDE_ADMINS", "").strip()
    ids = [part.strip() for part in value.split(",") if part.strip()]
    if any(not part.isdigit() for part in ids):
        raise SettingsError(
            "WORKFORCE_GUIDE_ADMINS should be Telegram user ids separated by commas, "
            "e.g. 123456789,987654321"
        )
    return frozenset(ids)


def _optional_dir(environ: Mapping[str, str], name: str) -> Path | None:
    value = environ.get(name, "").strip()
    if not value:
        return None
    path = Path(value)
    if not path.is_dir():
        raise SettingsError(
            f"{name} should be an existing folder, e.g. ./my-council/{name.split('_')[-2].lower()}"
        )
    return path
