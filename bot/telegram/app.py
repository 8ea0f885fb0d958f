"""Building the bridge and running it, by long polling or behind a webhook."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import Update
from telegram.ext import Application

from bot.telegram.callbacks import CallbackMap
from bot.telegram.handlers import Handlers, bot_commands
from bot.telegram.ordering import PerChatUpdateProcessor
from bot.telegram.pending import PendingQueue
from bot.telegram.rasa import RasaClient
from bot.telegram.relay import Relay
from bot.telegram.request import FloodAwareRequest
from bot.telegram.state import open_state
from bot.telegram.webhook import WebhookServer
from settings import TelegramSettings

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]  # no edits, channels, inline…


class Bridge:
    """The whole bridge: Telegram application, Rasa client, state, retry task."""

    def __init__(self, settings: TelegramSettings) -> None:
        self.settings = settings
        self.state = open_state(settings.state_db)
        callbacks = CallbackMap(self.state)
        callbacks.purge()
        # the REST secret and the conversation key come from bot/keys.py
        self.rasa = RasaClient(settings.rasa_url, settings.rasa_timeout)
        builder = (
            Application.builder()
            .token(settings.token)
            .base_url(settings.bot_api_url)
            .base_file_url(settings.file_api_url)
            .request(FloodAwareRequest())
            .concurrent_updates(PerChatUpdateProcessor())
        )
        if settings.mode == "webhook":
            builder = builder.updater(None)
        self.application = builder.build()
        self.relay = Relay(
            self.application.bot, self.rasa, PendingQueue(self.state), callbacks, settings.retry
        )
        Handlers(self.relay, settings.territory).install(self.application)
        self.ready = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until `stop` is set; then stop cleanly (waiting messages stay queued)."""
        settings = self.settings
        webhook: WebhookServer | None = None
        try:
            async with self.application:  # getMe: fails here on a wrong token
                await self.application.bot.set_my_commands(bot_commands())
                retries = asyncio.create_task(self.relay.run_retries(), name="telegram-retries")
                await self.application.start()
                try:
                    if settings.mode == "webhook":
                        webhook = WebhookServer(
                            self.application,
                            settings.webhook_secret,
                            settings.webhook_path,
                            settings.webhook_listen,
                            settings.webhook_port,
                        )
                        await webhook.start()
                        await self.application.bot.set_webhook(
                            settings.webhook_url,
                            secret_token=settings.webhook_secret,
                            allowed_updates=ALLOWED_UPDATES,
                        )
                    else:
                        await self.application.updater.start_polling(
                            timeout=int(settings.poll_timeout), allowed_updates=ALLOWED_UPDATES
                        )
                    logger.info(
                        "Telegram bridge ready (%s mode, bot @%s)",
                        settings.mode,
                        self.application.bot.username,
                    )
                    self.ready.set()
                    await stop.wait()
                    logger.info("Telegram bridge stopping")
                finally:
                    if webhook:
                        await webhook.stop()
                    if self.application.updater and self.application.updater.running:
                        await self.application.updater.stop()
                    await self.application.stop()
                    retries.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await retries
        finally:
            await self.rasa.close()
            self.state.close()
