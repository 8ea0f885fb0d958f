"""The web server as a child process (`python -m bot.web`): for the runner, tests, screenshots."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from settings import PROJECT_DIR, WebSettings, child_environment


def web_env(settings: WebSettings) -> dict[str, str]:
    """The environment that makes the child's `get_settings().web` equal to `settings`."""
    return {
        "QP_HOST": settings.host,
        "WEB_PORT": str(settings.port),
        "QP_WEB_RASA_URL": settings.rasa_url,
        "QP_WEB_ORIGINS": ",".join(settings.origins),
        "QP_WEB_DEMO_TERRITORY": settings.demo_territory,
        "QP_PUBLIC_URL": settings.public_url,  # the action server writes the fiches' links
        "QP_WIDGET_SESSIONS_PER_MINUTE": str(settings.sessions_per_minute),
        "QP_WIDGET_SESSIONS_PER_MINUTE_TOTAL": str(settings.sessions_per_minute_overall),
    }


def web_command() -> list[str]:
    return [sys.executable, "-m", "bot.web"]


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"le serveur web s'est arrêté (code {process.returncode})")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"le serveur web ne répond pas sur {url}")
        time.sleep(0.2)


class WebServer:
    """Context manager: start the web server, wait until it answers, stop it on exit."""

    def __init__(self, settings: WebSettings, log_file: Path) -> None:
        self.settings = settings
        self.log_file = log_file
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.port}"

    def __enter__(self) -> WebServer:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                web_command(),
                cwd=PROJECT_DIR,
                env=child_environment(web_env(self.settings)),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_healthy(f"{self.url}/health", self.process)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
