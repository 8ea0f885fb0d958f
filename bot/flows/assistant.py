"""Talking to the assistant over Rasa's REST channel, and reading its answers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

from bot import keys

WEBHOOK = "/webhooks/rest/webhook"
HEALTH = "/webhooks/rest/"
TURN_TIMEOUT = 60.0  # the first turn after a start loads the models: allow some time


class AssistantError(RuntimeError):
    """The assistant could not be reached or answered with an error (French message)."""


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Answer:
    """Every message the assistant sent back for one user message."""

    messages: tuple[dict[str, Any], ...] = ()

    @property
    def texts(self) -> list[str]:
        return [m["text"] for m in self.messages if isinstance(m.get("text"), str)]

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    @property
    def buttons(self) -> list[Button]:
        return [
            Button(str(b.get("title", "")), str(b.get("payload", "")))
            for m in self.messages
            for b in (m.get("buttons") or [])
        ]

    def excerpt(self, limit: int = 160) -> str:
        """The answer on one line, cut to `limit` characters."""
        flat = re.sub(r"\s+", " ", " / ".join(t.strip() for t in self.texts if t.strip()))
        if not flat:
            return "(aucune réponse)"
        return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def check_reachable(rasa_url: str) -> None:
    """Raise AssistantError unless Rasa's REST channel answers at `rasa_url`."""
    try:
        response = httpx.get(rasa_url.rstrip("/") + HEALTH, timeout=10)
    except httpx.HTTPError as error:
        raise AssistantError(
            f"impossible de joindre l'assistant à {rasa_url} ({error}). "
            "Vérifiez l'adresse, ou lancez « make run », ou omettez --url "
            "pour que les serveurs soient démarrés automatiquement."
        ) from None
    if response.status_code != 200:
        raise AssistantError(
            f"{rasa_url} ne répond pas comme un serveur Rasa avec le canal REST "
            f"(code HTTP {response.status_code} sur {HEALTH})."
        )


class Conversation:
    """One conversation: a sender id of its own, the same metadata on every message."""

    def __init__(
        self,
        client: httpx.Client,
        rasa_url: str,
        sender: str,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.client = client
        self.url = rasa_url.rstrip("/") + WEBHOOK
        self.sender = sender
        self.metadata = metadata or {}

    def send(self, message: str) -> Answer:
        body: dict[str, Any] = {"sender": self.sender, "message": message}
        if self.metadata:
            body["metadata"] = self.metadata
        try:
            response = self.client.post(
                self.url, json=body, headers=keys.rest_headers(), timeout=TURN_TIMEOUT
            )
        except httpx.TimeoutException:
            raise AssistantError(f"l'assistant n'a pas répondu en {TURN_TIMEOUT:.0f} s.") from None
        except httpx.HTTPError as error:
            raise AssistantError(f"l'assistant ne répond plus ({error}).") from None
        if response.status_code != 200:
            raise AssistantError(
                f"l'assistant a répondu par une erreur HTTP {response.status_code}."
            )
        try:
            messages = response.json()
        except ValueError:
            raise AssistantError("la réponse de l'assistant n'est pas du JSON.") from None
        if not isinstance(messages, list):
            raise AssistantError("la réponse de l'assistant n'est pas une liste de messages.")
        return Answer(tuple(m for m in messages if isinstance(m, dict)))
