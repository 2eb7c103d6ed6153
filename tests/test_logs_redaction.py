"""The bot token never reaches the log: not in a message, its arguments, or a traceback."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.logs import QUIET_LOGGERS, REDACTED, RedactToken, configure

TOKEN = "123456789:AAExampleExampleExampleExampleExam"
URL = f"https://api.telegram.org/bot{TOKEN}/getUpdates"


@pytest.fixture
def log_with(request: pytest.FixtureRequest) -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """Return a logger writing to a string through RedactToken(token) as `configure` sets up."""
    token = request.param
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactToken(token))
    logger = logging.getLogger(f"tests.redaction.{id(out)}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    yield logger, out
    logger.removeHandler(handler)


@pytest.mark.parametrize("log_with", [TOKEN], indirect=True)
def test_a_token_in_the_arguments_is_replaced(log_with: tuple[logging.Logger, io.StringIO]) -> None:
    logger, out = log_with

    logger.info("GET %s -> %d (100%% sure)", URL, 200)

    text = out.getvalue()
    assert TOKEN not in text
    assert f"GET https://api.telegram.org/bot{REDACTED}/getUpdates -> 200 (100% sure)" in text


@pytest.mark.parametrize("log_with", [TOKEN], indirect=True)
def test_a_token_in_a_traceback_is_replaced(log_with: tuple[logging.Logger, io.StringIO]) -> None:
    logger, out = log_with

    try:
        raise ConnectionError(f"could not reach {URL}")
    except ConnectionError:
        logger.exception("polling failed")

    text = out.getvalue()
    assert TOKEN not in text
    assert "polling failed" in text
    assert "Traceback (most recent call last)" in text  # the traceback itself is kept
    assert f"ConnectionError: could not reach https://api.telegram.org/bot{REDACTED}/" in text


@pytest.mark.parametrize("log_with", [TOKEN], indirect=True)
def test_a_token_in_an_exception_never_raised_is_replaced(
    log_with: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = log_with
    error = ValueError(f"bad URL {URL}")  # built and logged, never raised: no traceback

    logger.error("request refused", exc_info=error)

    text = out.getvalue()
    assert TOKEN not in text
    assert f"ValueError: bad URL https://api.telegram.org/bot{REDACTED}/getUpdates" in text


@pytest.mark.parametrize("log_with", [TOKEN], indirect=True)
def test_a_traceback_without_the_token_is_logged_whole(
    log_with: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = log_with

    try:
        raise KeyError("statement")
    except KeyError:
        logger.exception("handler failed")

    text = out.getvalue()
    assert "handler failed" in text
    assert "KeyError: 'statement'" in text
    assert REDACTED not in text


@pytest.mark.parametrize("log_with", [None, ""], indirect=True)
def test_without_a_token_every_record_is_still_logged(
    log_with: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = log_with

    logger.warning("started without a token on %s", "the terminal")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logger.exception("failed")

    text = out.getvalue()
    assert "started without a token on the terminal" in text
    assert "RuntimeError: boom" in text


@pytest.mark.parametrize("log_with", [TOKEN], indirect=True)
def test_records_without_the_token_are_logged_unchanged(
    log_with: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = log_with

    logger.info("handled update %s for %s", 42, "Ann")

    assert out.getvalue() == "INFO " + logger.name + ": handled update 42 for Ann\n"


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """Put the root logger and the quiet loggers back as they were after `configure`."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    quiet = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in quiet.items():
        logging.getLogger(name).setLevel(old)


def test_configure_logs_to_stderr_at_the_level_with_the_token_scrubbed(
    restored_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure("INFO", TOKEN)

    logging.getLogger("bot.telegram").info("polling %s", URL)
    logging.getLogger("bot.telegram").debug("not shown at INFO")
    logging.getLogger("httpx").info("HTTP Request: POST %s", URL)  # quiet below WARNING
    logging.getLogger("apscheduler").info("Running job")
    logging.getLogger("httpx").warning("retrying %s", URL)

    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 2
    assert lines[0].endswith(
        f" INFO bot.telegram: polling https://api.telegram.org/bot{REDACTED}/getUpdates"
    )
    assert lines[1].endswith(
        f" WARNING httpx: retrying https://api.telegram.org/bot{REDACTED}/getUpdates"
    )
    assert TOKEN not in err
    assert logging.getLogger().level == logging.INFO
    assert len(logging.getLogger().handlers) == 1  # configured once, not stacked
