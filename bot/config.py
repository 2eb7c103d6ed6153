"""Settings read once from the environment into one frozen object."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

TOKEN_PATTERN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DEFAULT_DB = "workforce-guide.db"
# Telegram's rule for setWebhook's secret_token: 1-256 of these characters.
WEBHOOK_SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
DEFAULT_WEBHOOK_LISTEN = "127.0.0.1"  # behind a reverse proxy on the same machine
DEFAULT_WEBHOOK_PORT = 8443
TELEGRAM_WEBHOOK_PORTS = (443, 80, 88, 8443)  # the only ports Telegram sends webhooks to
HEALTH_PATH = "/healthz"
MAKE_SECRET = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


@dataclass(frozen=True)
class FloodLimit:
    """How fast one person may send: a burst of updates, refilled at a steady rate."""

    burst: int = 20
    per_second: float = 4.0


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
    # Far above anyone tapping by hand; None turns the limit off (the in-process chat tests,
    # which send faster than any person).
    flood: FloodLimit | None = FloodLimit()
    # Telegram's limit for a bot's messages overall; 0 lifts it (a stand-in that has none).
    sends_per_second: float = 30.0
    # For `run --webhook`: the secret Telegram sends back with each update, where to listen.
    webhook_secret: str | None = field(default=None, repr=False)
    webhook_listen: str = DEFAULT_WEBHOOK_LISTEN
    webhook_port: int = DEFAULT_WEBHOOK_PORT

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
            webhook_secret=_webhook_secret(environ),
            webhook_listen=environ.get("WORKFORCE_GUIDE_WEBHOOK_LISTEN", "").strip()
            or DEFAULT_WEBHOOK_LISTEN,
            webhook_port=_port(
                environ.get("WORKFORCE_GUIDE_WEBHOOK_PORT", ""), "WORKFORCE_GUIDE_WEBHOOK_PORT"
            ),
        )

    def webhook(self, url: str, *, listen: str | None = None, port: int | None = None) -> Webhook:
        """Return what `run --webhook URL` needs, failing fast on a missing or bad value."""
        if not self.token:
            raise SettingsError(
                "run --webhook needs TELEGRAM_BOT_TOKEN, e.g. 123456789:AAExampleTokenFromBotFather"
            )
        if not self.webhook_secret:
            raise SettingsError(
                "run --webhook needs WORKFORCE_GUIDE_WEBHOOK_SECRET, 1 to 256 letters, digits, "
                f"_ or -; make one with: {MAKE_SECRET}"
            )
        parts = urlsplit(url.strip())
        example = "e.g. https://bot.example.org/telegram"
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError(f"--webhook should be a web address, {example}")
        if self.token in url or self.token.partition(":")[2] in url:
            # The address shows up in Telegram's getWebhookInfo and in proxy logs.
            raise SettingsError(f"--webhook must not contain the bot token, {example}")
        if parts.query or parts.fragment:
            raise SettingsError(f"--webhook should have no ?query or #fragment, {example}")
        path = parts.path or "/"
        if path.rstrip("/") == HEALTH_PATH:
            raise SettingsError(f"--webhook cannot end in {HEALTH_PATH}: that is the health check")
        try:
            url_port = parts.port
        except ValueError:
            raise SettingsError(f"--webhook has a port that is not a number, {example}") from None
        if self.base_url is None and (
            parts.scheme != "https" or (url_port or 443) not in TELEGRAM_WEBHOOK_PORTS
        ):
            # A self-hosted Bot API server (TELEGRAM_BASE_URL) is not bound by this rule.
            raise SettingsError(
                "Telegram sends webhooks only to https:// addresses on port 443, 80, 88 or 8443, "
                f"{example}"
            )
        listen = (listen if listen is not None else self.webhook_listen).strip()
        if not listen:
            raise SettingsError("--listen should be an address to listen on, e.g. 127.0.0.1")
        port = self.webhook_port if port is None else _port(str(port), "--port")
        return Webhook(
            url=url.strip(), path=path, secret=self.webhook_secret, listen=listen, port=port
        )


@dataclass(frozen=True)
class Webhook:
    """Where Telegram sends updates (``url``), and where the bot listens for them."""

    url: str
    path: str  # the path part of ``url``, which the bot serves
    secret: str = field(repr=False)  # Telegram sends it back in every request's header
    listen: str = DEFAULT_WEBHOOK_LISTEN
    port: int = DEFAULT_WEBHOOK_PORT


def _webhook_secret(environ: Mapping[str, str]) -> str | None:
    secret = environ.get("WORKFORCE_GUIDE_WEBHOOK_SECRET", "").strip() or None
    if secret is not None and not WEBHOOK_SECRET_PATTERN.match(secret):
        # The message must not repeat the secret: it is printed and may be logged.
        raise SettingsError(
            "WORKFORCE_GUIDE_WEBHOOK_SECRET should be 1 to 256 letters (A-Z, a-z), digits, _ or "
            f"-, as Telegram allows; make one with: {MAKE_SECRET}"
        )
    return secret


def _port(value: str, name: str) -> int:
    value = value.strip()
    if not value:
        return DEFAULT_WEBHOOK_PORT
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise SettingsError(f"{name} should be a port number from 1 to 65535, e.g. 8443")
    return int(value)


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
