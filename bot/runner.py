"""Process orchestration: start the action server and the Rasa server, wait, stop them all.

Used by `qp run` (and so `make run`), by the end-to-end tests and by the benchmark.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field

import httpx

from bot.config import PROJECT_DIR, Settings
from bot.web.process import web_command, web_env
from bot.web.settings import WebSettings

READY_TIMEOUT = float(os.environ.get("QP_READY_TIMEOUT", "300"))


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StartError(RuntimeError):
    """A process did not start; the message says which and where its log is."""


@dataclass
class Stack:
    settings: Settings = field(default_factory=Settings)
    with_web: bool = False  # also the web server (widget, demo page): `qp run` says yes
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    started_at: float = 0.0
    rasa_ready_seconds: float | None = None

    @property
    def web_settings(self) -> WebSettings:
        s = self.settings
        return WebSettings(
            host=s.host,
            port=s.web_port,
            rasa_url=(os.environ.get("QP_WEB_RASA_URL") or s.rasa_url).rstrip("/"),
        )

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(web_env(self.web_settings))
        # credentials.yml: the origins Rasa's socket.io channel accepts (embedding sites + demo)
        env["QP_SOCKETIO_ORIGINS"] = ",".join(self.web_settings.socketio_origins)
        env.update(
            {
                "ACTION_SERVER_URL": self.settings.action_url,
                "TRACKER_DB": str(self.settings.tracker_db),
                "RASA_TELEMETRY_ENABLED": "false",
                "TF_CPP_MIN_LOG_LEVEL": "3",
                "PYTHONUNBUFFERED": "1",
                "SANIC_HOST": self.settings.host,  # the action server's interface
                "RASA_URL": self.settings.rasa_url,  # the Telegram bridge's Rasa address
                "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            }
        )
        return env

    def _spawn(self, name: str, command: list[str]) -> None:
        self.settings.log_dir.mkdir(parents=True, exist_ok=True)
        # The child keeps its own copy of the log file; the parent's is closed once it started.
        with (self.settings.log_dir / f"{name}.log").open("ab") as log:
            self.processes[name] = subprocess.Popen(
                command,
                cwd=PROJECT_DIR,
                env=self._env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # own process group: stopped together with its children

    def start(self) -> None:
        s = self.settings
        if not s.model.exists():
            raise StartError(f"Modèle introuvable ({s.model}) : lancez d'abord « make train ».")
        if not s.rasa_bin.exists():
            raise StartError(f"Rasa introuvable ({s.rasa_bin}) : lancez d'abord « make setup ».")
        s.tracker_db.parent.mkdir(parents=True, exist_ok=True)
        self.started_at = time.monotonic()
        self._spawn(
            "actions",
            [
                sys.executable,
                "-m",
                "rasa_sdk",
                "--actions",
                "actions",
                "--port",
                str(s.action_port),
            ],
        )
        rasa = [
            str(s.rasa_bin),
            "run",
            "--model",
            str(s.model),
            "--port",
            str(s.rasa_port),
            "--interface",
            s.host,
            "--endpoints",
            "endpoints.yml",
            "--credentials",
            "credentials.yml",
        ]
        if s.cors:
            rasa += ["--cors", *s.cors.split(",")]
        self._spawn("rasa", rasa)
        if self.with_web:
            self._spawn("web", web_command())

    def start_telegram(self) -> bool:
        """Start the Telegram bridge (`python -m bot.telegram`) when TELEGRAM_BOT_TOKEN is
        set. Called once Rasa is ready; the bridge reads its settings from the environment."""
        if not os.environ.get("TELEGRAM_BOT_TOKEN"):
            return False
        self._spawn("telegram", [sys.executable, "-m", "bot.telegram"])
        return True

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        s = self.settings
        checks = {
            "actions": f"http://{s.host}:{s.action_port}/health",
            "rasa": f"{s.rasa_url}/webhooks/rest/",
        }
        if self.with_web:
            checks["web"] = f"http://{s.host}:{s.web_port}/health"
        deadline = time.monotonic() + timeout
        pending = dict(checks)
        while pending:
            for name, url in list(pending.items()):
                process = self.processes[name]
                if process.poll() is not None:
                    raise StartError(
                        f"Le processus {name} s'est arrêté (code {process.returncode})"
                        f" ; voir {s.log_dir / (name + '.log')}"
                    )
                try:
                    if httpx.get(url, timeout=2).status_code == 200:
                        del pending[name]
                        if name == "rasa":
                            self.rasa_ready_seconds = time.monotonic() - self.started_at
                except httpx.HTTPError:
                    pass
            if pending and time.monotonic() > deadline:
                raise StartError(
                    f"Délai dépassé en attendant : {', '.join(pending)} ; "
                    f"voir les journaux dans {s.log_dir}"
                )
            if pending:
                time.sleep(0.5)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()

    def __enter__(self) -> Stack:
        try:
            self.start()
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run(train: bool = True) -> int:
    """`qp run`: start everything, print the addresses, stop everything on Ctrl-C."""
    settings = Settings()
    if train:
        code = subprocess.call(["make", "train"], cwd=PROJECT_DIR)
        if code:
            return code
    stack = Stack(settings, with_web=True)
    # Ctrl-C (even when started in the background, where SIGINT is inherited as ignored) and
    # SIGTERM both stop every process started here.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    print("Démarrage du serveur d'actions et du serveur Rasa (environ une minute)…", flush=True)
    try:
        stack.start()
        stack.wait_ready()
        telegram = stack.start_telegram()
        mode = "webhook" if os.environ.get("TELEGRAM_WEBHOOK_URL") else "polling"
        telegram_line = f"  Telegram : passerelle démarrée ({mode})\n" if telegram else ""
        print(
            f"\nL'assistant est prêt.\n"
            f"  Conversation (REST) : POST {settings.rasa_url}/webhooks/rest/webhook\n"
            f"      exemple : curl -s {settings.rasa_url}/webhooks/rest/webhook "
            f'-d \'{{"sender": "moi", "message": "Bonjour"}}\'\n'
            f"  Conversation (socket.io) : {settings.rasa_url}/socket.io\n"
            f"  Démo du widget web (site fictif) : http://localhost:{settings.web_port}/\n"
            f"  Console des conseillers : http://localhost:{settings.web_port}/console/"
            f" (compte : qp console add-account)\n"
            f"  Serveur d'actions : {settings.action_url}\n"
            f"{telegram_line}"
            f"  Journaux : {settings.log_dir}\n"
            f"Ctrl-C pour tout arrêter.",
            flush=True,
        )
        while all(p.poll() is None for p in stack.processes.values()):
            time.sleep(1)
        stopped = [name for name, p in stack.processes.items() if p.poll() is not None]
        print(
            f"Arrêt inattendu de : {', '.join(stopped)} (voir {settings.log_dir}).", file=sys.stderr
        )
        return 1
    except StartError as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nArrêt en cours…", flush=True)
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(run(train=False))
