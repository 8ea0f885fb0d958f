"""Rasa's socket.io and REST channels with the two limits the web chat needs.

Loaded by the Rasa runtime (.venv-rasa, Python 3.10) from credentials.yml
(`rasa_extensions.channels.WebSocketIOInput`, `rasa_extensions.channels.CappedRestInput`);
it imports nothing of ours.

- Allowed origins: Rasa builds its socket.io server with `cors_allowed_origins=[]`, which turns
  engine.io's Origin check off, and `rasa run --cors` does not apply to WebSocket connections.
  `allowed_origins` (a list or a comma-separated string; empty means no check) restores the
  check for every engine.io request, polling and WebSocket alike.
- Message length: a hard bound on what NLU has to process. A user message longer than
  `max_message_chars` (default 10,000) is cut to that length; engine.io also refuses frames
  larger than `max_frame_bytes` (64 KiB). The dialogue's own, lower limit (no_words.py:
  « pouvez-vous raccourcir ») still applies to what passes; the widget stops at 1,000.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

DEFAULT_MAX_MESSAGE_CHARS = 10000
DEFAULT_MAX_FRAME_BYTES = 64 * 1024

Handler = Callable[[UserMessage], Awaitable[Any]]


def parse_origins(value: Any) -> list[str]:
    """Origins from a YAML list or a comma-separated string, without blanks or trailing '/'."""
    items = value if isinstance(value, (list, tuple)) else str(value or "").split(",")
    return [str(item).strip().rstrip("/") for item in items if str(item).strip()]


def capped(on_new_message: Handler, max_chars: int) -> Handler:
    """`on_new_message`, with the text of each user message cut to `max_chars` characters."""

    async def handle(message: UserMessage) -> Any:
        if message.text and len(message.text) > max_chars:
            message.text = message.text[:max_chars]
        return await on_new_message(message)

    return handle


class WebSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel, with an Origin check and a message length cap."""

    allowed_origins: tuple[str, ...] = ()
    max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS
    max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES

    @classmethod
    def name(cls) -> str:
        return "socketio"  # same webhook, same `input_channel` as Rasa's own channel

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        channel = super().from_credentials(credentials)
        channel.allowed_origins = tuple(parse_origins(credentials.get("allowed_origins")))
        channel.max_message_chars = int(
            credentials.get("max_message_chars") or DEFAULT_MAX_MESSAGE_CHARS
        )
        channel.max_frame_bytes = int(credentials.get("max_frame_bytes") or DEFAULT_MAX_FRAME_BYTES)
        return channel

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        blueprint = super().blueprint(capped(on_new_message, self.max_message_chars))
        assert self.sio is not None
        # [] keeps engine.io's check off (Rasa's default); a list turns it on.
        self.sio.eio.cors_allowed_origins = list(self.allowed_origins)
        self.sio.eio.max_http_buffer_size = self.max_frame_bytes
        return blueprint


class CappedRestInput(RestInput):
    """Rasa's REST channel, with the same message length cap."""

    max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS

    @classmethod
    def name(cls) -> str:
        return "rest"  # same URL: /webhooks/rest/webhook

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        channel = cls()
        channel.max_message_chars = int(
            (credentials or {}).get("max_message_chars") or DEFAULT_MAX_MESSAGE_CHARS
        )
        return channel

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        return super().blueprint(capped(on_new_message, self.max_message_chars))
