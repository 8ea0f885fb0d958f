"""Client of Rasa's REST channel (`POST /webhooks/rest/webhook`)."""

from __future__ import annotations

from typing import Any

import httpx

SENDER_PREFIX = "telegram:"
INPUT_CHANNEL = "telegram"


class RasaUnavailableError(Exception):
    """Rasa did not answer (down, restarting, overloaded): try the same message again later."""


class RasaRejectedError(Exception):
    """Rasa refused this message (4xx): sending it again would not help."""


def sender_id(chat_id: int) -> str:
    return f"{SENDER_PREFIX}{chat_id}"


class RasaClient:
    def __init__(self, rasa_url: str, timeout: float = 30.0) -> None:
        self._url = f"{rasa_url.rstrip('/')}/webhooks/rest/webhook"
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=5.0))

    async def send(self, chat_id: int, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        """Hand one user message to Rasa; return the assistant's answers (REST format)."""
        body = {
            "sender": sender_id(chat_id),
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
