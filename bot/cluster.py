"""Several Rasa processes on one machine behind HAProxy: `make run-cluster` (`qp run --cluster`).

N replicas, each a Rasa server and its own action server (bot/runner.py's `Stack`, on the ports
QP_CLUSTER_RASA_PORT + i and QP_CLUSTER_ACTION_PORT + i), share the tracker store
(QP_TRACKER_URL, PostgreSQL) and Rasa's Redis lock store (QP_LOCK_STORE_URL). HAProxy, started
here with a configuration written from the settings (bot/haproxy.py), listens on RASA_PORT in
their place, so the web server, the Telegram bridge and the console reach the cluster exactly
as they reach the single Rasa of `make run`. It keeps each conversation on one replica (REST:
hash of the JSON body's `sender`; socket.io: one WebSocket per visitor, hashed on the address),
and checks each replica's health every second. Ctrl-C stops everything.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bot import keys
from bot.haproxy import write_config
from bot.runner import PURGE_EVERY_SECONDS, Stack, Started, StartError, daily_purge
from bot.web.process import web_command
from settings import Settings, SettingsError, get_settings


def free_port_range(count: int) -> int:
    """The first of `count` consecutive TCP ports free on the loopback interface right now
    (tests and the benchmark run their replicas there, beside anything else running)."""
    for _ in range(200):
        first = random.randint(20000, 60000 - count)
        sockets = []
        try:
            for port in range(first, first + count):
                sock = socket.socket()
                sockets.append(sock)
                sock.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError("no range of free ports found")


def replica_settings(settings: Settings, index: int) -> Settings:
    """The settings of replica `index` (0-based): its own ports and log folder; everything
    else (tracker store, lock store, secrets, RASA_URL = the balancer) shared."""
    cluster = settings.cluster
    servers = settings.servers.model_copy(
        update={
            "rasa_port": cluster.rasa_port + index,
            "action_port": cluster.action_port + index,
            "log_dir": settings.servers.log_dir / f"replica-{index + 1}",
        }
    )
    return settings.model_copy(update={"servers": servers})


def cluster_problem(settings: Settings) -> str | None:
    """Why these settings cannot run several replicas (in French), or None."""
    if settings.cluster.replicas > 1:
        if settings.tracker.url.startswith("sqlite"):
            return (
                "plusieurs processus Rasa doivent partager les conversations dans PostgreSQL : "
                "donnez QP_TRACKER_URL=postgresql+psycopg://utilisateur@hôte:5432/base"
            )
        if not settings.lock_store.shared:
            return (
                "plusieurs processus Rasa doivent partager un verrou par conversation : donnez "
                "QP_LOCK_STORE_URL=redis://127.0.0.1:6379/0"
            )
        broker = settings.event_broker
        if broker.mode == "sql" and broker.url.startswith("sqlite"):
            return (
                "plusieurs processus Rasa ne peuvent pas publier leurs événements dans un même "
                "fichier SQLite : donnez QP_EVENT_BROKER_URL=postgresql+psycopg://… (une base "
                "à part : la table « events » de Rasa y porte le même nom que celle des "
                "conversations), ou QP_EVENT_BROKER=pika, ou QP_EVENT_BROKER=off"
            )
    if haproxy_command(settings) is None:
        return (
            f"HAProxy est introuvable ({settings.cluster.haproxy}) : installez-le "
            "(sudo apt-get install haproxy) ou donnez son chemin dans QP_HAPROXY_BIN"
        )
    return None


def haproxy_command(settings: Settings) -> str | None:
    """HAProxy's executable: QP_HAPROXY_BIN in the PATH, or Debian's /usr/sbin (a user's PATH
    often lacks the sbin folders)."""
    name = settings.cluster.haproxy
    return shutil.which(name) or shutil.which(name, path="/usr/local/sbin:/usr/sbin:/sbin")


@dataclass
class Cluster(Started):
    """The replicas, the balancer and (optionally) the web server for `settings`."""

    settings: Settings = field(default_factory=get_settings)
    with_web: bool = True
    replicas: list[Stack] = field(default_factory=list)
    front: Stack | None = None  # the web server, HAProxy and the Telegram bridge

    @property
    def url(self) -> str:
        """The balancer: where every client reaches Rasa."""
        return self.settings.servers.rasa_url

    @property
    def run_dir(self) -> Path:
        return self.settings.servers.log_dir / "cluster"

    def start(self) -> None:
        problem = cluster_problem(self.settings)
        if problem:
            raise StartError(problem[0].upper() + problem[1:] + ".")
        self.replicas = [
            Stack(replica_settings(self.settings, index), with_observatory=False)
            for index in range(self.settings.cluster.replicas)
        ]
        self.front = Stack(self.settings)
        for replica in self.replicas:
            replica.start()
        if self.settings.event_broker.enabled:  # one consumer of every replica's events
            self.front.start_observatory()
        if self.with_web:
            self.front.spawn("web", web_command())

    def wait_ready(self, timeout: float | None = None) -> None:
        assert self.front is not None
        timeout = self.settings.servers.ready_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        for replica in self.replicas:
            replica.wait_ready(max(1.0, deadline - time.monotonic()))
        config = write_config(self.settings, self.run_dir)
        haproxy = haproxy_command(self.settings) or self.settings.cluster.haproxy
        self.front.spawn("haproxy", [haproxy, "-f", str(config), "-db"])
        checks = {"haproxy": f"{self.url}/webhooks/rest/"}
        if self.with_web:
            checks["web"] = (
                f"http://{self.settings.servers.host}:{self.settings.servers.web_port}/health"
            )
        self.front.wait_for(checks, deadline)

    def start_telegram(self) -> bool:
        assert self.front is not None
        return self.front.start_telegram()

    @property
    def processes(self) -> dict[str, subprocess.Popen]:
        """Every process of the cluster by name (`rasa-1`, `actions-2`, `haproxy`, `web`…)."""
        found = {}
        for number, replica in enumerate(self.replicas, start=1):
            for name, process in replica.processes.items():
                found[f"{name}-{number}"] = process
        if self.front is not None:
            found.update(self.front.processes)
        return found

    def stop(self) -> None:
        if self.front is not None:
            self.front.stop()
        for replica in self.replicas:
            replica.stop()


def run() -> int:
    """`qp run --cluster`: start the cluster, print the addresses, stop it all on Ctrl-C."""
    try:
        settings = get_settings()
    except SettingsError as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 2
    servers, count = settings.servers, settings.cluster.replicas
    problem = cluster_problem(settings)
    if problem:
        print(f"Erreur : {problem[0].upper()}{problem[1:]}.", file=sys.stderr)
        return 2
    cluster = Cluster(settings)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    print(
        f"Démarrage de {count} processus Rasa et d'autant de serveurs d'actions, du serveur web "
        "et de HAProxy (une à trois minutes)…",
        flush=True,
    )
    try:
        cluster.start()
        cluster.wait_ready()
        telegram = cluster.start_telegram()
        first = settings.cluster.rasa_port
        print(
            f"\nL'assistant est prêt ({count} processus Rasa derrière HAProxy).\n"
            f"  Répartiteur (REST et socket.io) : {servers.rasa_url}\n"
            f"      REST : POST {servers.rasa_url}/webhooks/rest/webhook "
            f"(en-tête {keys.REST_SECRET_HEADER})\n"
            f"  Processus Rasa : ports {first} à {first + count - 1}\n"
            f"  Conversations : {masked_url(settings.tracker.url)} ; "
            f"verrou : {masked_url(settings.lock_store.url)}\n"
            f"  Démo du widget web : http://localhost:{servers.web_port}/\n"
            f"  Console des conseillers : http://localhost:{servers.web_port}/console/\n"
            + ("  Telegram : passerelle démarrée\n" if telegram else "")
            + f"  Journaux : {servers.log_dir}\nCtrl-C pour tout arrêter.",
            flush=True,
        )
        next_purge, reported = time.monotonic(), set()
        while True:
            if time.monotonic() >= next_purge:
                daily_purge()
                next_purge = time.monotonic() + PURGE_EVERY_SECONDS
            stopped = {n for n, p in cluster.processes.items() if p.poll() is not None}
            for name in sorted(stopped - reported):
                print(f"Arrêt inattendu de {name} (voir {servers.log_dir}).", file=sys.stderr)
            reported |= stopped
            for number, replica in enumerate(cluster.replicas, start=1):
                if f"actions-{number}" in stopped and f"rasa-{number}" not in stopped:
                    replica.stop()  # its Rasa cannot run actions: let HAProxy route around it
            # a replica may die: HAProxy sends its conversations to the others
            if stopped - {n for n in stopped if n.startswith(("rasa-", "actions-"))} or all(
                name in stopped for name in cluster.processes if name.startswith("rasa-")
            ):
                print("Arrêt de la grappe.", file=sys.stderr)
                return 1
            time.sleep(1)
    except StartError as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nArrêt en cours…", flush=True)
        return 0
    finally:
        cluster.stop()


def masked_url(url: str) -> str:
    """A URL without its password, for printing."""
    with contextlib.suppress(ValueError):
        parts = httpx.URL(url)
        if parts.password:
            return str(parts.copy_with(password="***"))
    return url
