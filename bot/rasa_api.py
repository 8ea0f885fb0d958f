"""Client of Rasa's HTTP API (`rasa run --enable-api`), the one way our processes read a
conversation: `GET /conversations/{conversation_id}/tracker?include_events=ALL`, and add an
event to one: `POST /conversations/{conversation_id}/tracker/events` (the web server records
that an aid's official link was opened, catalog/observatory.py; Rasa's event broker carries
the event to the observatory like any other).

Rasa checks a JSON Web Token on every call of its API (`--jwt-secret`, HS256, set by the
runner from QP_RASA_API_KEY, bot/keys.py): the token names the role `admin` and expires after
a few minutes; it travels in the `Authorization` header, never in the URL (so it stays out of
proxies' access logs, unlike Rasa's `?token=`).

Rasa answers a tracker even for an id it never saw (an empty one; it stores nothing): callers
ask only for conversations they know exist (the observatory's list, the console's own test
conversation). An id travels as is in the URL's path (Rasa decodes no escape), so one holding a
character a path cannot carry (space, « ? », « # », « % », non-ASCII) cannot be read; our own
channels never make one (random hex, `telegram:` + hex, `console-…`).
`RasaApiUnavailableError` carries a French message safe to show.
Tests replace Rasa by tests/fake_rasa.py, which serves the same route.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import quote

import httpx

TOKEN_LIFETIME = 300  # seconds
# What a URL path carries as is (RFC 3986 « pchar » and « / »): Rasa's web framework (Sanic)
# matches the raw path and never decodes a percent-escape, so an id must travel unescaped.
PATH_SAFE = "/:@!$&'()*+,;=-._~"
DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=3.0)


class RasaApiUnavailableError(RuntimeError):
    """Rasa's API did not give the conversation; the message is French and safe to show."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def api_token(key: str, now: float | None = None) -> str:
    """A JSON Web Token (HS256) that Rasa started with `--jwt-secret key` accepts for every
    route of its API (role `admin`), valid for TOKEN_LIFETIME seconds."""
    issued = int(time.time() if now is None else now)
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = {
        "user": {"username": "qp", "role": "admin"},
        "iat": issued,
        "exp": issued + TOKEN_LIFETIME,
    }
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(key.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


class RasaApi:
    def __init__(
        self, rasa_url: str, key: str, timeout: httpx.Timeout | float = DEFAULT_TIMEOUT
    ) -> None:
        self.rasa_url = rasa_url.rstrip("/")
        self.key = key
        self.timeout = timeout

    @classmethod
    def from_settings(cls, rasa_url: str | None = None) -> RasaApi:
        """Rasa as the process's settings name it (the console's Rasa URL by default)."""
        from bot import keys
        from settings import get_settings

        return cls(rasa_url or get_settings().console.rasa_url, keys.rasa_api_key())

    def _tracker_url(self, conversation_id: str) -> str:
        path = quote(conversation_id, safe=PATH_SAFE)
        if path != conversation_id:
            raise RasaApiUnavailableError(
                "Cette conversation porte un identifiant (espace, « ? », « # », « % » ou lettre "
                "accentuée) que l'API de Rasa ne sait pas lire : elle ne peut pas être affichée."
            )
        return f"{self.rasa_url}/conversations/{path}/tracker"

    def append(self, conversation_id: str, event: dict[str, Any]) -> None:
        """Add `event` at the end of the conversation (Rasa saves it and publishes it)."""
        try:
            response = httpx.post(
                f"{self._tracker_url(conversation_id)}/events",
                params={"include_events": "NONE"},
                json=event,
                headers={"Authorization": f"Bearer {api_token(self.key)}"},
                timeout=self.timeout,
            )
        except httpx.HTTPError as error:
            raise RasaApiUnavailableError(
                "L'assistant est injoignable pour le moment : l'événement n'a pas été enregistré."
            ) from error
        if response.status_code != 200:
            raise RasaApiUnavailableError(
                f"L'assistant n'a pas enregistré l'événement (code {response.status_code})."
            )

    def events(self, conversation_id: str) -> list[dict[str, Any]]:
        """Every event of the conversation, in order (all sessions, `include_events=ALL`); an
        empty list for a conversation Rasa does not know."""
        url = self._tracker_url(conversation_id)
        try:
            response = httpx.get(
                url,
                params={"include_events": "ALL"},
                headers={"Authorization": f"Bearer {api_token(self.key)}"},
                timeout=self.timeout,
            )
        except httpx.HTTPError as error:
            raise RasaApiUnavailableError(
                "L'assistant est injoignable pour le moment (serveur Rasa arrêté ou en cours de "
                "démarrage) : la conversation ne peut pas être lue. Réessayez dans un instant."
            ) from error
        if response.status_code in (401, 403):
            raise RasaApiUnavailableError(
                "L'assistant a refusé la lecture de la conversation (clé de son API différente "
                "de celle de la console) : vérifiez QP_RASA_API_KEY ou QP_SERVER_SECRET."
            )
        if response.status_code != 200:
            raise RasaApiUnavailableError(
                f"L'assistant n'a pas pu lire la conversation (code {response.status_code}). "
                "Réessayez dans un instant."
            )
        try:
            events = response.json().get("events")
        except (ValueError, AttributeError) as error:
            raise RasaApiUnavailableError(
                "L'assistant a donné une réponse illisible : la conversation ne peut pas être lue."
            ) from error
        return [event for event in events or () if isinstance(event, dict)]
