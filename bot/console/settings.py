"""Configuration of the console, from environment variables (documented in the README)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
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


LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
HTTP_LOCAL_ENV = "QP_CONSOLE_HTTP_LOCAL"


class ConsoleConfigError(ValueError):
    """The console's configuration is unsafe or invalid (French message)."""


def _secure_cookie() -> bool:
    """The session cookie is `Secure` (sent over HTTPS only) unless QP_CONSOLE_HTTP_LOCAL=1
    says that the console is served in plain HTTP on this machine for development; that is
    refused when the server listens beyond the loopback interface (QP_HOST)."""
    if os.environ.get(HTTP_LOCAL_ENV, "").strip().lower() not in {"1", "true", "oui"}:
        return True
    host = os.environ.get("QP_HOST", "127.0.0.1").strip()
    if host not in LOOPBACK_HOSTS:
        raise ConsoleConfigError(
            f"{HTTP_LOCAL_ENV}=1 (console en HTTP simple, cookie de session sans « Secure ») "
            f"n'est permis que pour un serveur qui n'écoute que sur cette machine ; or "
            f"QP_HOST={host}. Servez la console derrière HTTPS et retirez {HTTP_LOCAL_ENV}."
        )
    return False


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConsoleConfigError(f"{name} doit être un nombre entier (reçu : {value!r})") from None
    if number <= 0:
        raise ConsoleConfigError(f"{name} doit être un nombre positif (reçu : {number})")
    return number


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ConsoleSettings:
    database_url: str = field(default_factory=store.database_url)
    tracker_url: str = field(default_factory=_tracker_url)
    rasa_url: str = field(default_factory=_internal_rasa_url)
    secret: str = field(default_factory=_secret, repr=False)
    # The session cookie is sent over HTTPS only, except in explicit local development.
    secure_cookie: bool = field(default_factory=_secure_cookie)
    # A session ends this long after signing in, whatever the activity …
    session_hours: int = field(default_factory=lambda: _env_int("QP_CONSOLE_SESSION_HOURS", 8))
    # … or after this long without any request.
    idle_minutes: int = field(default_factory=lambda: _env_int("QP_CONSOLE_IDLE_MINUTES", 60))
    # Where the sign-in limits count (shared by every process): Redis, else the catalogue.
    rate_limit_url: str = field(default_factory=lambda: os.environ.get("QP_RATE_LIMIT_URL", ""))
    # Sign-in attempts allowed per window of 15 minutes: per address (IP, or IPv6 /64), per
    # account e-mail, and for the whole console.
    signin_per_ip: int = field(default_factory=lambda: _env_int("QP_SIGNIN_LIMIT_IP", 20))
    signin_per_account: int = field(default_factory=lambda: _env_int("QP_SIGNIN_LIMIT_ACCOUNT", 5))
    signin_global: int = field(default_factory=lambda: _env_int("QP_SIGNIN_LIMIT_GLOBAL", 300))
    # Password checks (Argon2: 64 MiB and ~50 ms each) running at once in this process.
    concurrent_hashes: int = 2
    # The time (UTC); tests give a clock they control.
    clock: Callable[[], datetime] = field(default=utc_now, repr=False, compare=False)
