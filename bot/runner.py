"""Process orchestration: start the action server, the Rasa server and the observatory's
consumer of Rasa's events (bot/observatory/), wait, stop them all.

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
from typing import Self

import httpx

from bot import keys
from bot.web.process import web_command, web_env
from catalog.profile import OUTSIDE_TERRITORIES, TERRITORY_IDS
from settings import (
    PROJECT_DIR,
    Settings,
    SettingsError,
    WebSettings,
    child_environment,
    get_settings,
)

PURGE_EVERY_SECONDS = 24 * 3600  # `qp purge` and `qp notify digest` at start, then daily


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StartError(RuntimeError):
    """A process did not start; the message says which and where its log is."""


class Started:
    """What starts processes, used as a context manager: entering starts them and waits until
    they answer; leaving, or failing to start, stops them all."""

    def start(self) -> None:
        raise NotImplementedError

    def wait_ready(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        try:
            self.start()
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class Stack(Started):
    """The processes of the assistant for `settings`; each child reads the same settings
    from the environment the stack gives it."""

    settings: Settings = field(default_factory=get_settings)
    with_web: bool = False  # also the web server (widget, demo page): `qp run` says yes
    # the observatory's consumer of Rasa's events (when the broker is on); a cluster starts one
    # for all its replicas (bot/cluster.py)
    with_observatory: bool = True
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    started_at: float = 0.0
    rasa_ready_seconds: float | None = None

    @property
    def web_settings(self) -> WebSettings:
        return self.settings.web

    def _env(self) -> dict[str, str]:
        return child_environment(self.shared_values())

    def shared_values(self) -> dict[str, str]:
        """What every child must share with us: the settings it reads, and the values Rasa's
        YAML files interpolate (printed by `qp run --print-env` for compose.yaml's Rasa)."""
        s = self.settings
        return {
            **web_env(s.web),
            # credentials.yml: the origins Rasa's socket.io channel accepts (embedding
            # sites + demo); endpoints.yml: the action server and the tracker store.
            "QP_SOCKETIO_ORIGINS": ",".join(s.web.socketio_origins),
            # credentials.yml and endpoints.yml: the channel secrets, the action server
            # token (bot/keys.py) and the territories a message's metadata may name (the
            # 14, or « hors_territoire » for a site outside them: the contract's values)
            **keys.environment(),
            "QP_TERRITORY_IDS": ",".join((*TERRITORY_IDS, OUTSIDE_TERRITORIES)),
            "ACTION_SERVER_URL": s.servers.action_url,
            "TRACKER_DB": str(s.tracker.db),
            # the same catalogue, tracker store and Rasa for the actions, console, bridge
            "DATABASE_URL": s.catalog.database_url,
            "QP_TRACKER_URL": s.tracker.url,
            # endpoints.yml: where Rasa publishes its events, which the observatory reads
            "QP_EVENT_BROKER": s.event_broker.mode,
            "QP_EVENT_BROKER_URL": s.event_broker.url,
            "QP_EVENT_BROKER_QUEUE": s.event_broker.queue,
            # endpoints.yml's lock store: in memory (one Rasa process) or Redis (several),
            # and how long a dead process's lock holds a conversation (read by Rasa)
            **s.lock_store.endpoint_values(),
            "TICKET_LOCK_LIFETIME": str(s.lock_store.lifetime),
            "RASA_URL": s.rasa.url,
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "PYTHONUNBUFFERED": "1",
            "QP_ACTION_HOST": s.servers.action_host,  # the action server's interface
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        }

    def spawn(self, name: str, command: list[str]) -> None:
        log_dir = self.settings.servers.log_dir
        log_dir.mkdir(parents=True, exist_ok=True)
        # The child keeps its own copy of the log file; the parent's is closed once it started.
        with (log_dir / f"{name}.log").open("ab") as log:
            self.processes[name] = subprocess.Popen(
                command,
                cwd=PROJECT_DIR,
                env=self._env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # own process group: stopped together with its children

    def start(self) -> None:
        s, rasa = self.settings.servers, self.settings.rasa
        if not rasa.model.exists():
            raise StartError(f"Modèle introuvable ({rasa.model}) : lancez d'abord « make train ».")
        if not rasa.bin.exists():
            raise StartError(f"Rasa introuvable ({rasa.bin}) : lancez d'abord « make setup ».")
        self.settings.tracker.db.parent.mkdir(parents=True, exist_ok=True)
        self.started_at = time.monotonic()
        self.spawn(
            "actions",
            [
                sys.executable,
                "-m",
                "bot.action_server",
                "--host",
                s.action_host,
                "--port",
                str(s.action_port),
            ],
        )
        self.spawn("rasa", self.rasa_command())
        if self.settings.event_broker.enabled and self.with_observatory:
            self.start_observatory()
        if self.with_web:
            self.spawn("web", web_command())

    def rasa_command(self) -> list[str]:
        """`rasa run` with our model, ports, endpoints, channels and API key."""
        s, rasa = self.settings.servers, self.settings.rasa
        command = [
            str(rasa.bin),
            "run",
            "--model",
            str(rasa.model),
            "--port",
            str(s.rasa_port),
            "--interface",
            s.host,
            "--endpoints",
            "endpoints.yml",
            "--credentials",
            "credentials.yml",
            # the HTTP API, through which the console reads conversations (bot/rasa_api.py):
            # every route demands a JSON Web Token signed with the derived key (bot/keys.py).
            # One argument with « = »: a derived key may begin with « - », which argparse
            # would otherwise read as the next option.
            "--enable-api",
            f"--jwt-secret={keys.rasa_api_key()}",
        ]
        if rasa.cors_origins:
            command += ["--cors", *rasa.cors_origins]
        return command

    def start_observatory(self) -> None:
        self.spawn("observatory", [sys.executable, "-m", "bot.observatory"])

    def start_telegram(self) -> bool:
        """Start the Telegram bridge (`python -m bot.telegram`) when TELEGRAM_BOT_TOKEN is
        set. Called once Rasa is ready; the bridge reads its settings from the environment."""
        if not self.settings.telegram.token:
            return False
        self.spawn("telegram", [sys.executable, "-m", "bot.telegram"])
        return True

    def wait_ready(self, timeout: float | None = None) -> None:
        s = self.settings.servers
        timeout = s.ready_timeout if timeout is None else timeout
        checks = {
            "actions": s.action_url.removesuffix("/webhook") + "/health",
            "rasa": f"{s.rasa_url}/webhooks/rest/",
        }
        if self.with_web:
            checks["web"] = f"http://{s.host}:{s.web_port}/health"
        self.wait_for(checks, time.monotonic() + timeout)

    def wait_for(self, checks: dict[str, str], deadline: float) -> None:
        """Wait until each started process named in `checks` answers 200 at its URL."""
        s = self.settings.servers
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


def daily_purge() -> None:
    """Personal data past its period deleted, erasures finished (`qp purge`); a failure is
    told and the assistant keeps running."""
    from bot.purge import run_purge

    try:
        run_purge()
    except Exception as error:  # noqa: BLE001 - never stop the assistant for the purge
        print(f"La purge n'a pas pu se faire ({type(error).__name__}).", file=sys.stderr)


def send_notifications() -> None:
    """The advisors' e-mails that are due (`qp notify send`); a failure is told, kept in the
    outbox for the next round, and the assistant keeps running."""
    from bot.notify import send_now

    try:
        send_now()
    except Exception as error:  # noqa: BLE001 - never stop the assistant for an e-mail
        print(f"Les e-mails aux conseillers n'ont pas pu partir ({type(error).__name__}).",
              file=sys.stderr)  # fmt: skip


def daily_digest() -> None:
    """The daily digests of the accounts that chose them (`qp notify digest`)."""
    from bot.notify import digest_now

    try:
        digest_now()
    except Exception as error:  # noqa: BLE001 - never stop the assistant for an e-mail
        print(f"La synthèse quotidienne n'a pas pu être préparée ({type(error).__name__}).",
              file=sys.stderr)  # fmt: skip


def run(train: bool = True) -> int:
    """`qp run`: start everything, print the addresses, stop everything on Ctrl-C."""
    try:
        settings = get_settings()
    except SettingsError as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 2
    servers = settings.servers
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
        mode = settings.telegram.mode
        telegram_line = f"  Telegram : passerelle démarrée ({mode})\n" if telegram else ""
        print(
            f"\nL'assistant est prêt.\n"
            f"  Conversation (REST) : POST {servers.rasa_url}/webhooks/rest/webhook\n"
            f"      (réservé à nos outils : en-tête {keys.REST_SECRET_HEADER}, "
            f"voir docs/architecture.md)\n"
            f"  Conversation (socket.io) : {servers.rasa_url}/socket.io\n"
            f"  Démo du widget web (site fictif) : http://localhost:{servers.web_port}/\n"
            f"  Console des conseillers : http://localhost:{servers.web_port}/console/"
            f" (compte : qp console add-account)\n"
            f"  Serveur d'actions : {servers.action_url}\n"
            f"{telegram_line}"
            f"  Journaux : {servers.log_dir}\n"
            f"Ctrl-C pour tout arrêter.",
            flush=True,
        )
        next_purge = next_send = time.monotonic()
        while all(p.poll() is None for p in stack.processes.values()):
            if time.monotonic() >= next_purge:
                daily_purge()
                daily_digest()  # the digest covers the day since the last one
                next_purge = time.monotonic() + PURGE_EVERY_SECONDS
            if settings.notify.enabled and time.monotonic() >= next_send:
                send_notifications()
                next_send = time.monotonic() + settings.notify.send_every_seconds
            time.sleep(1)
        stopped = [name for name, p in stack.processes.items() if p.poll() is not None]
        print(
            f"Arrêt inattendu de : {', '.join(stopped)} (voir {servers.log_dir}).", file=sys.stderr
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
