"""Configuration of the processes, from environment variables (documented in the README)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def _path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value) if value else default


@dataclass
class Settings:
    host: str = field(default_factory=lambda: os.environ.get("QP_HOST", "127.0.0.1"))
    rasa_port: int = field(default_factory=lambda: int(os.environ.get("RASA_PORT", "5005")))
    action_port: int = field(default_factory=lambda: int(os.environ.get("ACTION_PORT", "5055")))
    web_port: int = field(default_factory=lambda: int(os.environ.get("WEB_PORT", "8080")))
    rasa_bin: Path = field(
        default_factory=lambda: _path("RASA_BIN", PROJECT_DIR / ".venv-rasa" / "bin" / "rasa")
    )
    model: Path = field(
        default_factory=lambda: _path("RASA_MODEL", PROJECT_DIR / "models" / "assistant.tar.gz")
    )
    tracker_db: Path = field(
        default_factory=lambda: _path("TRACKER_DB", PROJECT_DIR / "var" / "tracker.sqlite")
    )
    # Any SQLAlchemy URL (QP_TRACKER_URL, e.g. PostgreSQL); empty: the SQLite file tracker_db.
    tracker_url_setting: str = field(default_factory=lambda: os.environ.get("QP_TRACKER_URL", ""))
    log_dir: Path = field(default_factory=lambda: _path("QP_LOG_DIR", PROJECT_DIR / "var" / "log"))
    cors: str = field(default_factory=lambda: os.environ.get("QP_CORS_ORIGINS", ""))

    @property
    def tracker_url(self) -> str:
        """Rasa's tracker store, as Rasa, the console, the erasure and the purge reach it."""
        return self.tracker_url_setting or f"sqlite:///{self.tracker_db.resolve()}"

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://{self.host}:{self.action_port}/webhook"
