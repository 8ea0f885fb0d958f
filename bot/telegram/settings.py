"""Configuration of the Telegram bridge, from environment variables (documented in the README)."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bot.config import PROJECT_DIR, Settings
from catalog.profile import TERRITORY_IDS

DEFAULT_API_BASE_URL = "https://api.telegram.org"
SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what setWebhook accepts as secret_token


class ConfigError(ValueError):
    """The environment does not describe a usable bridge; the message says what to fix."""


@dataclass(frozen=True)
class RetryPolicy:
    """How the bridge retries messages Rasa could not take."""

    initial_delay: float = 1.0  # seconds before the first retry
    max_delay: float = 60.0  # the delay doubles up to this
    max_age: float = 24 * 3600.0  # a message older than this is given up (user asked to resend)


@dataclass(frozen=True)
class TelegramSettings:
    token: str
    rasa_url: str
    state_db: Path
    api_base_url: str = DEFAULT_API_BASE_URL
    webhook_url: str | None = None  # public HTTPS address: webhook mode when set
    webhook_secret: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    poll_timeout: float = 10.0  # long-polling wait of getUpdates, in seconds
    rasa_timeout: float = 30.0
    retry: RetryPolicy = RetryPolicy()
    # A territory's own bot: its conversations are filed under that territory (message
    # metadata, as the web widget does), before any commune is given.
    territory: str | None = None

    @property
    def mode(self) -> str:
        return "webhook" if self.webhook_url else "polling"

    @property
    def webhook_path(self) -> str:
        """The path Telegram posts to: the path of the public URL (a proxy forwards it as is)."""
        return urlsplit(self.webhook_url or "").path or "/"

    @property
    def bot_api_url(self) -> str:
        return f"{self.api_base_url.rstrip('/')}/bot"

    @property
    def file_api_url(self) -> str:
        return f"{self.api_base_url.rstrip('/')}/file/bot"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TelegramSettings:
        env = os.environ if env is None else env
        token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
        if not token:
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN n'est pas défini : créez un bot avec "
                "@BotFather et copiez son jeton dans cette variable."
            )
        webhook_url = env.get("TELEGRAM_WEBHOOK_URL", "").strip() or None
        secret = env.get("TELEGRAM_WEBHOOK_SECRET", "").strip()
        if webhook_url and not secret:
            secret = secrets.token_urlsafe(32)  # a new one at each start, given to setWebhook
        if secret and not SECRET_PATTERN.fullmatch(secret):
            raise ConfigError(
                "TELEGRAM_WEBHOOK_SECRET doit compter 1 à 256 caractères parmi "
                "A-Z, a-z, 0-9, « _ » et « - »."
            )
        try:
            port = int(env.get("TELEGRAM_WEBHOOK_PORT", "8443"))
        except ValueError:
            raise ConfigError("TELEGRAM_WEBHOOK_PORT doit être un numéro de port.") from None
        state_db = env.get("TELEGRAM_STATE_DB")
        territory = env.get("TELEGRAM_TERRITORY", "").strip().lower() or None
        if territory and territory not in TERRITORY_IDS:
            raise ConfigError(
                f"TELEGRAM_TERRITORY « {territory} » n'est pas un territoire : "
                f"{', '.join(TERRITORY_IDS)}."
            )
        return cls(
            token=token,
            rasa_url=(env.get("RASA_URL") or Settings().rasa_url).rstrip("/"),
            state_db=Path(state_db) if state_db else PROJECT_DIR / "var" / "telegram.sqlite",
            api_base_url=env.get("TELEGRAM_API_BASE_URL", "").strip() or DEFAULT_API_BASE_URL,
            webhook_url=webhook_url,
            webhook_secret=secret,
            webhook_listen=env.get("TELEGRAM_WEBHOOK_LISTEN", "").strip() or "127.0.0.1",
            webhook_port=port,
            territory=territory,
        )
