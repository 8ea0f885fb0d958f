"""`python -m bot.telegram`: run the Telegram bridge, configured by environment variables.

The `telegram` section of the settings: TELEGRAM_BOT_TOKEN (required), RASA_URL,
TELEGRAM_WEBHOOK_URL (webhook mode when set), TELEGRAM_WEBHOOK_SECRET, TELEGRAM_WEBHOOK_LISTEN,
TELEGRAM_WEBHOOK_PORT, TELEGRAM_API_BASE_URL, TELEGRAM_STATE_DB, TELEGRAM_TERRITORY — see the
README.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys

from telegram.error import InvalidToken, NetworkError, TelegramError

from bot import logs
from bot.telegram.app import Bridge
from settings import SettingsError, TelegramSettings, get_settings

logger = logging.getLogger("bot.telegram")
MAX_START_DELAY = 60.0
QUIET_LOGGERS = (
    "httpx",
    "httpcore",
    "sanic.root",
    "sanic.access",
    "sanic.error",
    "sanic.server",
)  # httpx logs URLs, and Telegram's URLs contain the token


def configure_logging(log_format: str = "json") -> None:
    """The other servers' logs (bot/logs.py): JSON lines, or text (QP_LOG_FORMAT)."""
    logs.configure(log_format)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


async def serve(settings: TelegramSettings) -> None:
    """Run until SIGINT or SIGTERM. While Telegram cannot be reached at start-up, try again
    (1 s, 2 s, 4 s… up to a minute) rather than stopping the whole assistant."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    delay = 1.0
    while not stop.is_set():
        try:
            await Bridge(settings).run(stop)
            return
        except NetworkError as error:
            logger.warning(
                "Telegram unreachable at start-up (%s); new attempt in %.0f s",
                type(error).__name__,
                delay,
            )
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, MAX_START_DELAY)


def main() -> int:
    os.environ.setdefault("PTB_TIMEDELTA", "true")  # PTB's future durations; no warnings
    try:
        everything = get_settings()
        configure_logging(everything.observability.log_format)
        settings = everything.telegram.for_the_bridge()
    except SettingsError as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 2
    try:
        asyncio.run(serve(settings))
    except InvalidToken:
        print(
            "Erreur : Telegram refuse le jeton TELEGRAM_BOT_TOKEN. Vérifiez-le auprès de "
            "@BotFather (commande /token).",
            file=sys.stderr,
        )
        return 1
    except TelegramError as error:
        print(f"Erreur : Telegram a refusé la configuration du bot : {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
