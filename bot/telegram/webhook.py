"""Webhook mode: Telegram POSTs each update here, and hears 200 only once it is in the store.

python-telegram-bot's own webhook server (``Updater.start_webhook``) puts an update on the
queue without keeping it, so a stop between its 200 and the handling would lose the update.
This small tornado app (tornado is python-telegram-bot's own webhook dependency) keeps the
same promise as polling (see `bot/telegram/durable.py`): the raw update is committed to the
inbox, or set aside if it cannot be read, before the 200; then it goes on the application's
update queue, where `DurableApplication.process_update` handles it once. ``GET /healthz``
answers 200 while the bot runs and its database reads, else 503, for a load balancer.

On SIGTERM or SIGINT it stops listening, lets the requests under way finish, handles every
update already queued (``Application.stop`` waits for the queue to empty), and closes the
store. Whatever was acknowledged and not handled by then is still in the inbox, and is
handled first at the next start (``post_init``).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import signal
import time
from http import HTTPStatus
from types import TracebackType
from typing import Any

import tornado.web
from telegram import Update
from telegram.ext import ExtBot
from tornado.httpserver import HTTPServer

from bot.config import HEALTH_PATH, Webhook
from bot.logs import RedactToken
from bot.telegram.durable import DurableApplication, keep_updates
from storage.backup import store_readable

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1024 * 1024  # an update is a few kilobytes; a bigger body is refused unread
DRAIN_SECONDS = 5.0  # at a stop, requests already under way get this long to finish
CLOSE_SECONDS = 2.0  # then idle keep-alive connections get this long to close
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
REFUSAL_LOG_EVERY = 60.0  # seconds: refused requests are logged at most this often (a flood)


class WebhookError(RuntimeError):
    """The webhook could not be served (e.g. its port is taken); the message says why."""


class UpdateReceiver:
    """Take one update from a webhook request: check the secret, keep it, queue it."""

    def __init__(self, application: DurableApplication, secret: str) -> None:
        self.application = application
        self._secret = secret.encode()
        self.in_flight = 0  # requests being answered now (a stop waits for them)
        self.refused = 0  # requests refused for a missing or wrong secret, since the start
        self._refusal_logged_at: float | None = None

    async def receive(self, secret: str | None, body: bytes) -> HTTPStatus:
        """Keep and queue the update in ``body``; return the HTTP status to answer with."""
        # compare_digest takes as long whatever the guess, so timing tells an attacker nothing.
        given = (secret or "").encode("utf-8", "surrogateescape")
        if secret is None or not hmac.compare_digest(given, self._secret):
            self._note_refusal()
            return HTTPStatus.FORBIDDEN
        try:
            raw: Any = json.loads(body)
        except ValueError:
            log.warning("refused a webhook request whose body is not JSON")
            return HTTPStatus.BAD_REQUEST
        store = self.application.store
        if store is None:
            return HTTPStatus.SERVICE_UNAVAILABLE
        try:
            handed_on = keep_updates(store, [raw], self.application.commits)
        except Exception:
            # Not kept, so not acknowledged: Telegram sends it again later.
            log.exception("could not keep an update from the webhook")
            return HTTPStatus.SERVICE_UNAVAILABLE
        if not handed_on:
            return HTTPStatus.BAD_REQUEST  # not an update (no whole-number update_id)
        bot = self.application.bot
        update = Update.de_json(handed_on[0], bot)
        if isinstance(bot, ExtBot):
            bot.insert_callback_data(update)  # as python-telegram-bot's own webhook does
        await self.application.update_queue.put(update)
        return HTTPStatus.OK

    def _note_refusal(self) -> None:
        self.refused += 1
        now = time.monotonic()
        if self._refusal_logged_at is None or now - self._refusal_logged_at >= REFUSAL_LOG_EVERY:
            self._refusal_logged_at = now
            log.warning(
                "refused a webhook request without the right secret token (%s so far); if "
                "this goes on, check WORKFORCE_GUIDE_WEBHOOK_SECRET and who can reach the port",
                self.refused,
            )

    def healthy(self) -> bool:
        """Tell whether the bot is running and its database answers a read."""
        store = self.application.store
        return self.application.running and store is not None and store_readable(store)

    async def drained(self, timeout: float) -> bool:
        """Wait (up to ``timeout`` seconds) for the requests under way; tell if they finished."""
        deadline = time.monotonic() + timeout
        while self.in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return not self.in_flight


class _JsonHandler(tornado.web.RequestHandler):
    """Answer in JSON, errors included, and never log a request's headers (the secret)."""

    receiver: UpdateReceiver

    def initialize(self, receiver: UpdateReceiver) -> None:
        self.receiver = receiver

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.finish({"ok": False, "error": HTTPStatus(status_code).phrase})

    def log_exception(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Tornado's own version logs the request, and a request carries the secret header.
        if isinstance(value, tornado.web.HTTPError):
            return  # a refusal (404, 405, 413): the access line at DEBUG says enough
        where = f"{self.request.method} {self.request.path}"
        log.error("error while answering %s", where, exc_info=value)


class _UpdateHandler(_JsonHandler):
    SUPPORTED_METHODS = ("POST",)

    async def post(self) -> None:
        self.receiver.in_flight += 1
        try:
            status = await self.receiver.receive(
                self.request.headers.get(SECRET_HEADER), self.request.body
            )
            self.set_status(status)
            await self.finish({"ok": status == HTTPStatus.OK})
        finally:
            self.receiver.in_flight -= 1


class _HealthHandler(_JsonHandler):
    SUPPORTED_METHODS = ("GET",)

    def get(self) -> None:
        ok = self.receiver.healthy()
        self.set_status(HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE)
        self.finish({"ok": ok})


class _NotFoundHandler(_JsonHandler):
    def prepare(self) -> None:
        raise tornado.web.HTTPError(HTTPStatus.NOT_FOUND)


def _log_request(handler: tornado.web.RequestHandler) -> None:
    # Tornado logs every request at INFO by default: one line per update is noise, so DEBUG.
    log.debug(
        "%s %s %s %.1f ms",
        handler.get_status(),
        handler.request.method,
        handler.request.path,
        1000 * handler.request.request_time(),
    )


def web_app(receiver: UpdateReceiver, path: str) -> tornado.web.Application:
    """Return the tornado app: updates at ``path``, the health check at /healthz."""
    shared = {"receiver": receiver}
    return tornado.web.Application(
        [
            (HEALTH_PATH, _HealthHandler, shared),
            (re.escape(path), _UpdateHandler, shared),  # the path as it is, not a pattern
        ],
        default_handler_class=_NotFoundHandler,
        default_handler_args=shared,
        log_function=_log_request,
    )


async def serve(application: DurableApplication, webhook: Webhook, stop: asyncio.Event) -> None:
    """Run the bot on ``webhook`` until ``stop`` is set, then stop without losing an update."""
    receiver = UpdateReceiver(application, webhook.secret)
    server = HTTPServer(web_app(receiver, webhook.path), max_body_size=MAX_BODY_BYTES)
    try:
        await application.initialize()
        if application.post_init is not None:
            await application.post_init(application)  # handles what was left at the last stop
        await application.start()
        try:
            if not stop.is_set():
                await _listen(application, server, receiver, webhook, stop)
        finally:
            await application.stop()  # handles every update already on the queue
            if application.post_stop is not None:
                await application.post_stop(application)
    finally:
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)  # closes the store


async def _listen(
    application: DurableApplication,
    server: HTTPServer,
    receiver: UpdateReceiver,
    webhook: Webhook,
    stop: asyncio.Event,
) -> None:
    try:
        server.listen(webhook.port, address=webhook.listen)
    except OSError as error:
        raise WebhookError(
            f"Could not listen on {webhook.listen} port {webhook.port}: "
            f"{error.strerror or error}. Choose another with --port."
        ) from error
    try:
        # The server listens before Telegram is told where to send: nothing is sent to no one.
        await application.bot.set_webhook(
            webhook.url,
            secret_token=webhook.secret,
            allowed_updates=Update.ALL_TYPES,
            drop_pending_updates=False,
        )
        log.info(
            "receiving updates at %s (listening on %s port %s)",
            webhook.url,
            webhook.listen,
            webhook.port,
        )
        await stop.wait()
        log.info("stopping: no new requests; finishing the updates in hand")
    finally:
        server.stop()
        if not await receiver.drained(DRAIN_SECONDS):
            log.warning("stopped with %s request(s) unanswered", receiver.in_flight)
        try:
            await asyncio.wait_for(server.close_all_connections(), CLOSE_SECONDS)
        except TimeoutError:
            log.warning("some connections did not close in time")


def run_webhook(application: DurableApplication, webhook: Webhook) -> None:
    """Serve the bot on a webhook until SIGTERM or SIGINT, then stop gracefully."""
    # The secret is as good as a password for sending the bot updates: keep it out of the logs
    # (python-telegram-bot logs setWebhook's parameters at DEBUG).
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactToken(webhook.secret))
    asyncio.run(_run_until_signalled(application, webhook))


async def _run_until_signalled(application: DurableApplication, webhook: Webhook) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal(number: int) -> None:
        if stop.is_set():
            log.info("already stopping (%s)", signal.Signals(number).name)
        stop.set()

    for number in STOP_SIGNALS:
        loop.add_signal_handler(number, on_signal, number)
    try:
        await serve(application, webhook, stop)
    finally:
        for number in STOP_SIGNALS:
            loop.remove_signal_handler(number)
