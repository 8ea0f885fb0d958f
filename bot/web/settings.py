"""Configuration of the web server, from environment variables (documented in the README)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot import keys


def parse_origins(value: str) -> tuple[str, ...]:
    """Comma-separated origins ("https://www.ville.fr, http://localhost:8080") as a tuple."""
    return tuple(item.strip().rstrip("/") for item in value.split(",") if item.strip())


def _env_origins() -> tuple[str, ...]:
    return parse_origins(os.environ.get("QP_WEB_ORIGINS") or os.environ.get("QP_CORS_ORIGINS", ""))


def _default_rasa_url() -> str:
    host = os.environ.get("QP_HOST", "127.0.0.1")
    return f"http://{host}:{os.environ.get('RASA_PORT', '5005')}"


@dataclass(frozen=True)
class WebSettings:
    host: str = field(default_factory=lambda: os.environ.get("QP_HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: int(os.environ.get("WEB_PORT", "8080")))
    # The Rasa server as the visitor's browser reaches it (socket.io), not as we do.
    rasa_url: str = field(
        default_factory=lambda: (os.environ.get("QP_WEB_RASA_URL") or _default_rasa_url()).rstrip(
            "/"
        )
    )
    # Websites allowed to embed the widget (besides this server's own demo page).
    origins: tuple[str, ...] = field(default_factory=_env_origins)
    # The pilot territory the demo website preselects (an id of catalog/data/territories.yml).
    demo_territory: str = field(
        default_factory=lambda: os.environ.get("QP_WEB_DEMO_TERRITORY", "roubaix")
    )
    # Signs the widget session ids this server issues (bot/web/sessions.py).
    session_key: str = field(default_factory=keys.widget_session_key, repr=False, compare=False)
    # New widget sessions (conversations) per minute: per client address, and overall.
    sessions_per_minute: int = field(
        default_factory=lambda: int(os.environ.get("QP_WIDGET_SESSIONS_PER_MINUTE", "30"))
    )
    sessions_per_minute_overall: int = field(
        default_factory=lambda: int(os.environ.get("QP_WIDGET_SESSIONS_PER_MINUTE_TOTAL", "600"))
    )

    @property
    def own_origins(self) -> tuple[str, ...]:
        """This server's origins as a local browser writes them (the demo page's origin)."""
        names = {self.host, "localhost", "127.0.0.1"} - {"0.0.0.0", "::"}
        return tuple(f"http://{name}:{self.port}" for name in sorted(names))

    @property
    def socketio_origins(self) -> tuple[str, ...]:
        """Origins the Rasa socket.io channel must accept: the embedding sites and the demo."""
        return tuple(dict.fromkeys(self.origins + self.own_origins))

    @property
    def rasa_websocket_url(self) -> str:
        parts = urlsplit(self.rasa_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        return f"{scheme}://{parts.netloc}"
