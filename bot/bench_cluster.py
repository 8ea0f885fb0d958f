"""`make bench-cluster`: the throughput of two Rasa replicas against one, on this machine.

The same cluster as `make run-cluster` (bot/cluster.py: HAProxy, PostgreSQL tracker store,
Redis lock store, one action server per replica) is started with two replicas; the load runs
through the balancer, then once more after the second replica is stopped, which then starts
again; three such pairs by default, and the median of their ratios. The load, each time,
is closed-loop: C conversations at once, each a scripted conversation of about ten turns up to
the recommendation, repeated R rounds. The load generator runs on the same machine and shares
its cores with the servers; the machine's load average before each run is written with the
figures, since other work may share the cores.
The result goes to docs/benchmarks.md, between the `bench:cluster` markers.

The tracker store, lock store and event broker are the settings' (QP_TRACKER_URL must be
PostgreSQL, QP_LOCK_STORE_URL Redis; `make bench-cluster` turns the event broker off unless
QP_EVENT_BROKER is given); the benchmark's conversations are deleted from the tracker store at
the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import httpx

from bot import keys, rasa_store
from bot.bench import EPICERIE, percentile, run_load
from bot.cluster import Cluster, cluster_problem, free_port_range, masked_url
from bot.runner import StartError, free_port
from settings import PROJECT_DIR, Settings, SettingsError, get_settings, settings_with

DOC = PROJECT_DIR / "docs" / "benchmarks.md"
START, END = "<!-- bench:cluster:start -->", "<!-- bench:cluster:end -->"


def load_average() -> str:
    return " / ".join(Path("/proc/loadavg").read_text().split()[:3])


def measure(
    base: Settings, conversations: int, rounds: int, run: str, repetitions: int = 3
) -> list[dict[int, dict]]:
    """Start a cluster of two replicas and warm each up; then, `repetitions` times: run the
    load on both, stop the second replica, let HAProxy see it down, run the same load on the
    first one alone, and start the second again (one cluster start for every measure: a Rasa
    start takes a minute on a slow machine). One replica's throughput varies more from one
    run to the next than two replicas' (8.5 to 13.4 turns/s against 17.0 to 17.5 in five runs
    on 2026-12-03): the report gives every pair and the median ratio."""
    settings = base.model_copy(
        update={
            "servers": base.servers.model_copy(
                update={
                    "rasa_port": free_port(),
                    "web_port": free_port(),
                    "log_dir": Path(tempfile.mkdtemp(prefix="qp-bench-cluster-")),
                }
            ),
            "cluster": base.cluster.model_copy(
                update={
                    "replicas": 2,
                    "rasa_port": free_port_range(2),
                    "action_port": free_port_range(2),
                }
            ),
        }
    )
    pairs: list[dict[int, dict]] = []
    with Cluster(settings, with_web=False) as cluster:
        for index in range(2):
            warm_up(settings, index, run)
        url = f"{cluster.url}/webhooks/rest/webhook"
        for repetition in range(repetitions):
            results: dict[int, dict] = {}
            for replicas in (2, 1):
                if replicas == 1:
                    cluster.replicas[1].stop()
                    time.sleep(10)  # HAProxy's checks mark it down within a few seconds
                print(f"{repetition + 1}/{repetitions} : {replicas} processus Rasa…", flush=True)
                before = load_average()
                result = asyncio.run(
                    run_load(
                        url,
                        conversations,
                        f"{run}-{repetition}-{replicas}",
                        rounds,
                        opening=(EPICERIE,),
                    )
                )
                result["load_before"], result["load_after"] = before, load_average()
                results[replicas] = result
                print(f"  {result['turns']} tours en {result['wall']:.1f} s", flush=True)
            pairs.append(results)
            if repetition + 1 < repetitions:  # the second replica back, warm, seen up
                cluster.replicas[1].start()
                cluster.replicas[1].wait_ready()
                warm_up(settings, 1, f"{run}-{repetition}")
                time.sleep(10)
    return pairs


def warm_up(settings: Settings, index: int, run: str) -> None:
    """A replica's first turn loads its caches: sent to it directly, not measured."""
    httpx.post(
        f"http://127.0.0.1:{settings.cluster.rasa_port + index}/webhooks/rest/webhook",
        json={"sender": f"{run}-warm-{index}", "message": "Bonjour"},
        headers=keys.rest_headers(),
        timeout=300,
    ).raise_for_status()


# Where `make bench` finds this machine's PostgreSQL and Redis when the environment names none
# (the same defaults as `make bench-cluster` in the Makefile).
LOCAL_POSTGRESQL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
LOCAL_REDIS = "redis://127.0.0.1:6379/12"


def baseline_load_on_cluster(tmp: Path) -> tuple[dict[str, float] | None, str]:
    """`make bench`'s third column: the baseline's load (bot/bench.py) on the cluster of `make
    run-cluster` with two replicas (no event broker unless the environment names one they can
    share, as compose.yaml ships it), with its figures, or None and why not. Its conversations
    are deleted afterwards."""
    from bot.bench import measure_bot

    base = get_settings()
    tracker = base.tracker.url if base.tracker.url.startswith("postgresql") else LOCAL_POSTGRESQL
    locks = base.lock_store.url or LOCAL_REDIS
    # Several processes cannot share a SQLite broker: as compose.yaml ships it, the broker is
    # off unless the environment names a shared one (RabbitMQ, or a SQL server).
    broker = base.event_broker
    shared = broker.mode == "pika" or (broker.mode == "sql" and "sqlite" not in broker.url)
    settings = settings_with(
        QP_EVENT_BROKER=broker.mode if shared else "off",
        RASA_PORT=str(free_port()),
        WEB_PORT=str(free_port()),
        TRACKER_DB=str(tmp / "grappe" / "tracker.sqlite"),
        QP_TRACKER_URL=tracker,
        QP_LOCK_STORE_URL=locks,
        QP_CLUSTER_REPLICAS="2",
        QP_CLUSTER_RASA_PORT=str(free_port_range(2)),
        QP_CLUSTER_ACTION_PORT=str(free_port_range(2)),
        QP_LOG_DIR=str(tmp / "grappe" / "log"),
    )
    problem = cluster_problem(settings)
    if problem:
        return None, f"Grappe de deux processus non mesurée : {problem}."
    run = f"bench-grappe-{uuid.uuid4().hex[:8]}"
    try:
        with Cluster(settings, with_web=False) as cluster:
            rasa = [replica.processes["rasa"] for replica in cluster.replicas]
            start = max(replica.rasa_ready_seconds or 0.0 for replica in cluster.replicas)
            for index in range(2):
                warm_up(settings, index, run)
            url = f"{cluster.url}/webhooks/rest/webhook"
            figures = measure_bot(url, [process.pid for process in rasa], start, run)
    except StartError as error:
        return None, f"Grappe de deux processus non mesurée : {error}"
    finally:
        forget(settings, run)
    published = (
        f"événements publiés ({broker.mode}, `{masked_url(broker.url)}`)"
        if shared
        else "sans courtier d'événements, comme `compose.yaml` la livre (le processus seul, "
        "lui, publie chaque événement dans SQLite pour l'observatoire)"
    )
    return figures, (
        f"Grappe : conversations dans `{masked_url(tracker)}`, verrou `{masked_url(locks)}`, "
        f"{published}."
    )


def forget(settings: Settings, run: str) -> None:
    """Delete the benchmark's conversations from the tracker store."""
    engine = rasa_store.tracker_engine(settings.tracker.url)
    if engine is None:
        return
    try:
        rasa_store.forget_conversations(engine, f"{run}-")
    finally:
        engine.dispose()


def cpu_and_memory() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "?",
    )
    return f"{os.cpu_count()} cœurs ({cpu}), Python {platform.python_version()}"


def report(pairs: list[dict[int, dict]], conversations: int, rounds: int) -> str:
    rows, ratios = [], []
    for number, results in enumerate(pairs, start=1):
        for replicas in (2, 1):
            result = results[replicas]
            lat = result["latencies"]
            rows.append(
                f"| {number} | {replicas} | {result['turns']} | {result['wall']:.1f} s | "
                f"{result['turns'] / result['wall']:.2f} tours/s | "
                f"{statistics.median(lat):.0f} ms | {percentile(lat, 0.95):.0f} ms | "
                f"{result['load_before']} → {result['load_after']} |"
            )
        one, two = (results[n]["turns"] / results[n]["wall"] for n in (1, 2))
        ratios.append(two / one)
    ratio = statistics.median(ratios)
    verdict = "atteint" if ratio >= 1.7 else "non atteint"
    each = ", ".join(f"{r:.2f}×" for r in ratios)
    return f"""## Deux processus Rasa contre un (`make bench-cluster`, {date.today().isoformat()})

Machine : {cpu_and_memory()}. Même grappe que `make run-cluster` (HAProxy, conversations
dans PostgreSQL, verrou Redis, un serveur d'actions par processus Rasa), démarrée avec 2
processus Rasa ; {len(pairs)} fois de suite : mesurée avec les deux, puis après l'arrêt du second
(HAProxy envoie alors tout au premier), puis le second est redémarré. Charge en boucle fermée
par le répartiteur : {conversations} conversations simultanées jusqu'à la recommandation,
{rounds} fois par mesure. **Le générateur de charge tourne sur la même machine et partage ses
cœurs** avec Rasa, les serveurs d'actions, HAProxy, PostgreSQL et Redis. Charge moyenne de la
machine (1, 5, 15 min) avant → après chaque mesure : d'autres travaux peuvent s'y ajouter.

| mesure | processus Rasa | tours | durée | débit | latence médiane | p95 | charge de la machine |
|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

Rapport des débits, 2 processus / 1, à chaque mesure : {each} ; **médiane {ratio:.2f}×**
(objectif ≥ 1,7× : {verdict}).
"""


def write_section(body: str) -> None:
    doc = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Mesures de performance\n"
    block = f"{START}\n{body.strip()}\n{END}"
    if START in doc and END in doc:
        doc = doc[: doc.index(START)] + block + doc[doc.index(END) + len(END) :]
    else:
        doc = doc.rstrip() + "\n\n" + block + "\n"
    DOC.write_text(doc, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.bench_cluster", description=__doc__)
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--repetitions", type=int, default=3, help="paires de mesures (2, puis 1)")
    parser.add_argument("--no-write", action="store_true", help="ne pas écrire le document")
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
    except SettingsError as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 2
    two = settings.model_copy(
        update={"cluster": settings.cluster.model_copy(update={"replicas": 2})}
    )
    problem = cluster_problem(two)
    if problem:
        print(f"Erreur : {problem}.", file=sys.stderr)
        return 2
    run = f"bench-cluster-{uuid.uuid4().hex[:8]}"
    try:
        pairs = measure(settings, args.conversations, args.rounds, run, args.repetitions)
    except StartError as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 1
    finally:
        forget(settings, run)
    body = report(pairs, args.conversations, args.rounds)
    print(body)
    if not args.no_write:
        write_section(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
