"""Configuration of the console, from environment variables (documented in the README)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import PROJECT_DIR
from catalog import store

SECRET_FILE = PROJECT_DIR / "var" / "console-secret"


def _tracker_url() -> str:
    """Rasa's tracker store, read-only: QP_TRACKER_URL (any SQLAlchemy URL, e.g. PostgreSQL),
    else the SQLite file TRACKER_DB that endpoints.yml gives Rasa."""
    if os.environ.get("QP_TRACKER_URL"):
        return os.environ["QP_TRACKER_URL"]
    path = os.environ.get("TRACKER_DB") or str(PROJECT_DIR / "var" / "tracker.sqlite")
    return f"sqlite:///{Path(path).resolve()}"


def _secret() -> str:
    """QP_CONSOLE_SECRET signs the session cookies; without it, a random secret is created
    once in var/console-secret (readable by its owner only) so that sessions survive restarts."""
    if os.environ.get("QP_CONSOLE_SECRET"):
        return os.environ["QP_CONSOLE_SECRET"]
    if not SECRET_FILE.exists():
        SECRET_FILE.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(SECRET_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return SECRET_FILE.read_text().strip()


def _internal_rasa_url() -> str:
    """Rasa as this server reaches it (the debug chat talks to its REST channel)."""
    if os.environ.get("RASA_URL"):
        return os.environ["RASA_URL"].rstrip("/")
    host = os.environ.get("QP_HOST", "127.0.0.1")
    return f"http://{host}:{os.environ.get('RASA_PORT', '5005')}"


@dataclass(frozen=True)
class ConsoleSettings:
    database_url: str = field(default_factory=store.database_url)
    tracker_url: str = field(default_factory=_tracker_url)
    rasa_url: str = field(default_factory=_internal_rasa_url)
    secret: str = field(default_factory=_secret, repr=False)
    # Set QP_CONSOLE_SECURE_COOKIE=1 behind HTTPS: the session cookie is then sent over HTTPS only.
    secure_cookie: bool = field(
        default_factory=lambda: (
            os.environ.get("QP_CONSOLE_SECURE_COOKIE", "") in {"1", "true", "oui"}
        )
    )
    session_hours: int = field(
        default_factory=lambda: int(os.environ.get("QP_CONSOLE_SESSION_HOURS", "8"))
    )
