"""The webhook endpoint: Telegram POSTs updates here, with the secret given to setWebhook.

A request whose `X-Telegram-Bot-Api-Secret-Token` header is missing or wrong gets 403 before
its body is even read as JSON: it reaches neither the bot nor Rasa. Accepted updates are put on
the application's queue and answered 200 at once (Telegram does not wait for the bot's reply).
The server speaks plain HTTP: a reverse proxy in front of it provides Telegram's HTTPS.
"""

from __future__ import annotations

import hmac
import itertools
import json
import logging

from sanic import Request, Sanic, response
from sanic.server import AsyncioServer
from telegram import Update
from telegram.ext import Application

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1_000_000  # bytes; an update is a few kilobytes
_app_numbers = itertools.count(1)  # Sanic wants a distinct name for each app in a process


def secret_matches(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


class WebhookServer:
    def __init__(
        self, application: Application, secret: str, path: str, host: str, port: int
    ) -> None:
        if not secret:
            raise ValueError("a webhook needs a secret token")
        self.application = application
        self.secret = secret
        self.host, self.port = host, port
        self.app = Sanic(f"qp_telegram_webhook_{next(_app_numbers)}", configure_logging=False)
        self.app.config.REQUEST_MAX_SIZE = MAX_BODY
        self.app.config.TOUCHUP = False  # its code rewriting breaks a second app in a process
        self.app.add_route(self.receive, path, methods=["POST"])
        self._server: AsyncioServer | None = None

    async def receive(self, request: Request) -> response.HTTPResponse:
        if not secret_matches(request.headers.get(SECRET_HEADER), self.secret):
            logger.warning("webhook request refused: wrong or missing secret token")
            return response.text("Forbidden", status=403)
        try:
            update = Update.de_json(json.loads(request.body), self.application.bot)
        except (ValueError, TypeError, KeyError):
            logger.warning("webhook request refused: not a Telegram update")
            return response.text("Bad Request", status=400)
        await self.application.update_queue.put(update)
        return response.empty(status=200)

    async def start(self) -> None:
        self._server = await self.app.create_server(
            host=self.host, port=self.port, return_asyncio_server=True, access_log=False
        )
        if self._server is None:
            raise RuntimeError(f"cannot listen on {self.host}:{self.port}")
        await self._server.startup()
        logger.info("webhook listening on %s:%d", self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.close()
            self._server = None
