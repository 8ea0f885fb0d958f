"""Client of Rasa's REST channel (`POST /webhooks/rest/webhook`).

Every call carries the REST channel's shared secret (bot/keys.py). A chat's conversation id is
`telegram:` followed by a keyed hash of its chat id (HMAC-SHA256 with the Telegram conversation
key, 32 hex digits), never the chat id itself: the id shows in the advisors' console and its
audit log, and a chat id (a person's Telegram user id in a private chat) is easy to find.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import httpx

from bot import keys

SENDER_PREFIX = "telegram:"
INPUT_CHANNEL = "telegram"


class RasaUnavailableError(Exception):
    """Rasa did not answer (down, restarting, overloaded): try the same message again later."""


class RasaRejectedError(Exception):
    """Rasa refused this message (4xx): sending it again would not help."""


def sender_id(chat_id: int, key: str) -> str:
    digest = hmac.new(key.encode(), str(chat_id).encode(), hashlib.sha256).hexdigest()
    return f"{SENDER_PREFIX}{digest[:32]}"


class RasaClient:
    def __init__(
        self,
        rasa_url: str,
        timeout: float = 30.0,
        rest_secret: str | None = None,
        conversation_key: str | None = None,
    ) -> None:
        self._url = f"{rasa_url.rstrip('/')}/webhooks/rest/webhook"
        self._key = conversation_key or keys.telegram_id_key()
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=5.0),
            headers={keys.REST_SECRET_HEADER: rest_secret or keys.rest_secret()},
        )

    def sender_id(self, chat_id: int) -> str:
        return sender_id(chat_id, self._key)

    async def send(self, chat_id: int, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        """Hand one user message to Rasa; return the assistant's answers (REST format)."""
        body = {
            "sender": self.sender_id(chat_id),
            "message": text,
            "input_channel": INPUT_CHANNEL,
            "metadata": metadata,
        }
        try:
            response = await self._client.post(self._url, json=body)
        except httpx.HTTPError as error:
            raise RasaUnavailableError(type(error).__name__) from error
        if response.status_code >= 500:
            raise RasaUnavailableError(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise RasaRejectedError(f"HTTP {response.status_code}")
        try:
            answers = response.json()
        except ValueError as error:
            raise RasaUnavailableError("invalid JSON") from error
        if not isinstance(answers, list):
            raise RasaUnavailableError("unexpected answer")
        return [answer for answer in answers if isinstance(answer, dict)]

    async def close(self) -> None:
        await self._client.aclose()
