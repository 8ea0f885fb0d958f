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
    # The action server's own interface: loopback unless it runs on another machine than Rasa.
    action_host: str = field(default_factory=lambda: os.environ.get("QP_ACTION_HOST", "127.0.0.1"))
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
    log_dir: Path = field(default_factory=lambda: _path("QP_LOG_DIR", PROJECT_DIR / "var" / "log"))
    cors: str = field(default_factory=lambda: os.environ.get("QP_CORS_ORIGINS", ""))

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        """The action server as Rasa reaches it (QP_ACTION_URL when it runs elsewhere)."""
        if os.environ.get("QP_ACTION_URL"):
            return os.environ["QP_ACTION_URL"]
        host = "127.0.0.1" if self.action_host in {"0.0.0.0", "::", ""} else self.action_host
        return f"http://{host}:{self.action_port}/webhook"
