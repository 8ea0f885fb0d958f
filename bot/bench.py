"""`make bench`: measures written to docs/benchmarks.md.

- `catalog`: `qp recommend`'s engine in-process over the whole catalogue (median, p95);
- `rest`: first the side by side (`comparaison`): the stock Rasa probe bot (bot/stock_probe.py)
  and ours, one after the other in the same run, under the same closed-loop load over REST
  (the baseline's three messages: 1 conversation, then 20 at once), their start time and Rasa's
  resident memory, and the ratio; then our full scenario to the recommendation (`rest`);
- `console` (after `rest`, from the conversations it stored): the advisors' console reading
  Rasa's tracker store, its conversations copied up to a few thousand.

Everything runs on this machine (loopback only), with bounded loops.
"""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx

from bot import keys, stock_probe
from bot.runner import Stack, free_port
from catalog.dialogue import asked_fields, joint_questions, question
from settings import PROJECT_DIR, Settings, settings_with

DOC = PROJECT_DIR / "docs" / "benchmarks.md"
ANSWERS = {  # the job seeker of the benchmarks, answering each question the assistant asks
    "implante_qpv": "oui, les deux",  # also answers « your business or your home? » (JOINT)
    "habite_qpv": "oui",
    "indemnise_are": "non",
    "besoins": '/informer{"besoin":"financement"}',
    "effectif": "0 salarié",
    "franchise": "non",
    "femme": "je ne sais pas",
    "age": "29",
    "anciennete_annees": "0 an",
    "montant": "10000 €",
    "commune": "Roubaix",
    "code_postal": "59100",
    "secteur": '/informer{"secteur":"commerce"}',
    "statut": '/informer{"statut":"demandeur_emploi"}',
    "stade": '/informer{"stade":"creation"}',
}
QUESTIONS = {question(name)[0]: name for name in asked_fields()} | {
    joint.text: joint.fields[0] for joint in joint_questions()
}
MAX_TURNS = 14
EPICERIE = "je veux ouvrir une épicerie à Roubaix, je suis au chômage"


async def conversation(
    client: httpx.AsyncClient,
    url: str,
    sender: str,
    latencies: list[float],
    opening: tuple[str, ...] = ("Bonjour", EPICERIE),
) -> int:
    """One scripted conversation to the recommendation: the `opening` messages, then the
    answer to each question asked; returns the number of turns. Latencies in milliseconds."""
    pending = list(opening)
    message, turns = pending.pop(0), 0
    while turns < MAX_TURNS:
        start = time.perf_counter()
        response = await client.post(url, json={"sender": sender, "message": message})
        latencies.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
        turns += 1
        texts = [m.get("text", "") for m in response.json()]
        if any(t.startswith("Voici les aides") for t in texts):
            return turns
        asked = [QUESTIONS[t] for t in texts if t in QUESTIONS]
        if pending:
            message = pending.pop(0)
        elif asked and asked[0] in ANSWERS:
            message = ANSWERS[asked[0]]
        else:
            raise RuntimeError(f"conversation bloquée : {texts}")
    raise RuntimeError(f"pas de recommandation après {MAX_TURNS} tours")


async def run_load(
    url: str,
    conversations: int,
    prefix: str,
    rounds: int = 1,
    opening: tuple[str, ...] = ("Bonjour", EPICERIE),
) -> dict:
    """`conversations` scripted conversations at once, `rounds` times in a row."""
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=conversations + 5)
    async with httpx.AsyncClient(timeout=300, headers=keys.rest_headers(), limits=limits) as client:
        start = time.perf_counter()
        turns = 0
        for round_ in range(rounds):
            done = await asyncio.gather(
                *(
                    conversation(client, url, f"{prefix}-{round_}-{i}", latencies, opening)
                    for i in range(conversations)
                )
            )
            turns += sum(done)
        wall = time.perf_counter() - start
    return {"turns": turns, "wall": wall, "latencies": latencies}


# The load of ../shared/baseline/README.md, the same for both bots: each conversation cycles
# through these messages, sending the next one when the reply arrives.
BASELINE_MESSAGES = (
    "bonjour",
    "je cherche une aide pour créer mon entreprise à Roubaix",
    "merci au revoir",
)
SINGLE_CYCLES = 10  # 1 conversation: 30 measured turns
PARALLEL = 20
PARALLEL_CYCLES = 3  # 20 conversations: 180 measured turns


async def cycling(
    client: httpx.AsyncClient, url: str, sender: str, cycles: int, latencies: list[float]
) -> int:
    for _ in range(cycles):
        for message in BASELINE_MESSAGES:
            start = time.perf_counter()
            response = await client.post(url, json={"sender": sender, "message": message})
            latencies.append((time.perf_counter() - start) * 1000)
            response.raise_for_status()
    return cycles * len(BASELINE_MESSAGES)


async def same_load(url: str, conversations: int, cycles: int, prefix: str) -> dict:
    """`conversations` closed-loop conversations of `cycles` cycles at once."""
    latencies: list[float] = []
    async with httpx.AsyncClient(timeout=300, headers=keys.rest_headers()) as client:
        start = time.perf_counter()
        turns = await asyncio.gather(
            *(
                cycling(client, url, f"{prefix}-{i}", cycles, latencies)
                for i in range(conversations)
            )
        )
        wall = time.perf_counter() - start
    return {"turns": sum(turns), "wall": wall, "latencies": latencies}


def measure_bot(url: str, rasa_pids: list[int], start_seconds: float, prefix: str) -> dict:
    """The baseline's load on one running bot: warm-up, 1 conversation, 20 at once. With
    several Rasa processes, the CPU per turn is theirs together, the memory the largest one's."""
    asyncio.run(same_load(url, 1, 1, f"{prefix}-chauffe"))
    one = asyncio.run(same_load(url, 1, SINGLE_CYCLES, f"{prefix}-seul"))
    load_before = os.getloadavg()[0]
    cpu_before = sum(cpu_seconds(pid) for pid in rasa_pids)
    many = asyncio.run(same_load(url, PARALLEL, PARALLEL_CYCLES, f"{prefix}-par"))
    cpu = sum(cpu_seconds(pid) for pid in rasa_pids) - cpu_before
    return {
        "cpu_per_turn": cpu * 1000 / many["turns"],
        "one_p50": statistics.median(one["latencies"]),
        "one_p95": percentile(one["latencies"], 0.95),
        "many_throughput": many["turns"] / many["wall"],
        "many_p50": statistics.median(many["latencies"]),
        "many_p95": percentile(many["latencies"], 0.95),
        "start": start_seconds,
        "rss": max(rss_mb(pid) for pid in rasa_pids),
        "load": (load_before, os.getloadavg()[0]),
    }


def _number(value: float, unit: str) -> str:
    text = f"{value:,.0f}" if value >= 100 else f"{value:.1f}"
    return text.replace(",", " ") + f" {unit}"


# (label, key, unit, higher is better, the goal of issue 17's table)
COMPARED = (
    ("20 conversations : débit", "many_throughput", "tours/s", True, "≥ 2× la référence"),
    ("20 conversations : p50 par tour", "many_p50", "ms", False, "—"),
    ("20 conversations : p95 par tour", "many_p95", "ms", False, "≤ 150 ms"),
    ("1 conversation : p50 par tour", "one_p50", "ms", False, "≤ 40 ms"),
    ("1 conversation : p95 par tour", "one_p95", "ms", False, "—"),
    ("20 conversations : temps CPU de Rasa par tour", "cpu_per_turn", "ms", False, "—"),
    ("démarrage (lancement → canal REST prêt)", "start", "s", False, "≤ 15 s"),
    ("mémoire résidente de Rasa après la charge", "rss", "Mo", False, "≤ 1 Go"),
)


HEADER = (
    "| | bot de référence Rasa | ce projet, 1 processus (`make run`) | rapport "
    "| ce projet, 2 processus (`make run-cluster`) | rapport | objectif (issue 17) |\n"
    "|---|---|---|---|---|---|---|"
)


def comparison_body(stock: dict | None, ours: dict, cluster: dict | None, note: str) -> str:
    """The side-by-side section of docs/benchmarks.md (French): the stock bot, ours as
    `make run` serves it (one Rasa process) and, when it could be started, as `make
    run-cluster` serves it on this machine (two Rasa processes)."""

    def cells(bot: dict | None, key: str, unit: str) -> str:
        if bot is None:
            return "— | —"
        mine = _number(bot[key], unit)
        if stock is None or not stock[key]:
            return f"{mine} | —"
        return f"{mine} | {bot[key] / stock[key]:.2f}×"

    rows = []
    for label, key, unit, _higher, goal in COMPARED:
        reference = _number(stock[key], unit) if stock is not None else "—"
        rows.append(
            f"| {label} | {reference} | {cells(ours, key, unit)} | "
            f"{cells(cluster, key, unit)} | {goal} |"
        )
    loads = [bot["load"] for bot in (stock, ours, cluster) if bot is not None]
    charge = ", ".join(f"{a:.1f} puis {b:.1f}" for a, b in loads)
    today = date.today().isoformat()
    return f"""## Côte à côte : bot de référence Rasa et ce projet (`make bench`, {today})

Machine : {machine()}.
{note}
Charge identique pour les deux, celle de `../shared/baseline/README.md` : chaque conversation
enchaîne « {BASELINE_MESSAGES[0]} » → « {BASELINE_MESSAGES[1]} » → « {BASELINE_MESSAGES[2]} »
sur le canal REST, en boucle fermée (le message suivant part à l'arrivée de la réponse) ;
1 conversation : {SINGLE_CYCLES * len(BASELINE_MESSAGES)} tours après un tour de chauffe ;
{PARALLEL} conversations simultanées : {PARALLEL * PARALLEL_CYCLES * len(BASELINE_MESSAGES)} tours.
Les bots tournent l'un après l'autre dans la même exécution, avec le même Rasa
(`.venv-rasa`) : le bot de référence (un processus Rasa, conversations en mémoire), ce projet
tel que `make run` le sert (un processus Rasa, conversations dans SQLite), puis tel que
`make run-cluster` le sert sur cette même machine (deux processus Rasa derrière HAProxy,
conversations dans PostgreSQL, verrou Redis ; le temps CPU est celui des deux processus
ensemble, la mémoire celle du plus gros ; le démarrage, celui des deux lancés ensemble). **Le
générateur de charge, les serveurs d'actions, PostgreSQL, Redis et HAProxy partagent les
mêmes 2 cœurs.** Charge moyenne de la machine (1 min) avant et après chaque mesure à
20 conversations : {charge} (d'autres travaux peuvent tourner : les temps absolus sont bruités,
le rapport l'est moins).
Le rapport est « ce projet / référence » : au-dessus de 1, plus grand (débit : mieux ; temps et
mémoire : moins bien).

{HEADER}
{chr(10).join(rows)}

Seuils « terminé » de l'issue 17 : débit ≥ 1× la référence, p95 ≤ 600 ms à 20 conversations,
p50 ≤ 80 ms à 1 conversation, démarrage ≤ 25 s, mémoire ≤ 1,3 Go par processus Rasa.
"""


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the process group), in MB."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != pid:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, ProcessLookupError, ValueError):
            continue
    return total / 1024


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by a process and its group, in seconds."""
    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != pid:
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, ProcessLookupError, ValueError, IndexError):
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "?",
    )
    memory = next(
        (
            int(line.split()[1]) // 1024 // 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    return (
        f"{os.cpu_count()} cœurs ({cpu}), {memory} Gio de mémoire, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def write_section(name: str, body: str) -> None:
    """Replace the section between the markers of `name` in docs/benchmarks.md."""
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Mesures de performance\n"
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text, encoding="utf-8")


def bench() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="qp-bench-"))
    settings = settings_with(
        RASA_PORT=str(free_port()),
        ACTION_PORT=str(free_port()),
        TRACKER_DB=str(tmp / "tracker.sqlite"),
        QP_TRACKER_URL="",
        QP_LOG_DIR=str(tmp / "log"),
    )
    url = f"{settings.servers.rasa_url}/webhooks/rest/webhook"
    stock = None
    source = stock_probe.find(settings)
    if source is None:
        note = (
            f"Bot de référence introuvable ({settings.rasa.baseline_dir}, réglable par "
            "QP_BASELINE_DIR) : ce projet est mesuré seul."
        )
        print(note, flush=True)
    else:
        note = f"Bot de référence : `{source}`, copié et entraîné dans `var/bench/stock-rasa`."
        model = stock_probe.prepare(source, settings)
        print("Démarrage du bot de référence…", flush=True)
        with stock_probe.StockProbe(model, settings) as probe:
            stock = measure_bot(
                probe.url, [probe.processes["rasa"].pid], probe.rasa_ready_seconds, "ref"
            )
    print("Démarrage des serveurs…", flush=True)
    with Stack(settings) as stack:
        start_seconds = stack.rasa_ready_seconds
        ours = measure_bot(url, [stack.processes["rasa"].pid], start_seconds or 0.0, "qp")
        asyncio.run(run_load(url, 1, "warmup"))
        single = [asyncio.run(run_load(url, 1, f"seq{i}")) for i in range(5)]
        one = {
            "turns": sum(r["turns"] for r in single),
            "wall": sum(r["wall"] for r in single),
            "latencies": [x for r in single for x in r["latencies"]],
        }
        twenty = asyncio.run(run_load(url, 20, "par"))
        rss = rss_mb(stack.processes["rasa"].pid)
        rss_actions = rss_mb(stack.processes["actions"].pid)
        bench_console(settings)
    rows = []
    for label, result in (
        ("1 conversation à la fois", one),
        ("20 conversations simultanées", twenty),
    ):
        lat = result["latencies"]
        rows.append(
            f"| {label} | {len(lat)} | {statistics.median(lat):.0f} ms | "
            f"{percentile(lat, 0.95):.0f} ms | {result['turns'] / result['wall']:.1f} |"
        )
    body = f"""## Canal REST de Rasa (`make bench`, {date.today().isoformat()})

Machine : {machine()}.
Scénario : une conversation complète jusqu'à la recommandation (« Bonjour », une description
du projet, puis les réponses aux questions), avec le vrai serveur Rasa, le vrai serveur
d'actions et le stockage des conversations SQLite.

| charge | tours mesurés | latence médiane | latence p95 | débit (tours/s) |
|---|---|---|---|---|
{chr(10).join(rows)}

| serveur Rasa | valeur |
|---|---|
| démarrage (lancement → canal REST prêt) | {start_seconds:.1f} s |
| mémoire résidente après la charge | {rss:.0f} Mo |
| mémoire résidente du serveur d'actions | {rss_actions:.0f} Mo |
"""
    write_section("rest", body)
    print(body)
    from bot.bench_cluster import baseline_load_on_cluster  # it imports this module

    print("Démarrage de la grappe de deux processus Rasa…", flush=True)
    cluster, cluster_note = baseline_load_on_cluster(tmp)
    print(cluster_note, flush=True)
    comparison = comparison_body(stock, ours, cluster, note + "\n" + cluster_note)
    write_section("comparaison", comparison)
    print(comparison)
    return 0


def bench_console(settings: Settings, rounds: int = 5) -> None:
    """The console's reading of one conversation: its transcript through Rasa's HTTP API
    (bot/rasa_api.py), over the conversations of the REST measure (Rasa still running). The
    console's list reads the observatory's tables: measured by bot/observatory/bench.py."""
    from bot.console.tracker import read_conversation
    from bot.rasa_api import RasaApi

    api = RasaApi(settings.servers.rasa_url, keys.rasa_api_key())
    senders = ["qp-seul-0", *(f"qp-par-{i}" for i in range(PARALLEL))]
    read_conversation(api, senders[0])  # warm-up
    timings = []
    for _ in range(rounds):
        for sender in senders:
            start = time.perf_counter()
            read_conversation(api, sender)
            timings.append((time.perf_counter() - start) * 1000)
    row = (
        "| une conversation (transcription complète, par l'API de Rasa) | "
        f"{statistics.median(timings):.0f} ms | {percentile(timings, 0.95):.0f} ms |"
    )
    today = date.today().isoformat()
    body = f"""## Console des conseillers : lecture d'une conversation (`make bench`, {today})

Machine : {machine()}.
La transcription d'une conversation de la mesure REST ({len(senders)} conversations de
{PARALLEL_CYCLES * len(BASELINE_MESSAGES)} à {SINGLE_CYCLES * len(BASELINE_MESSAGES)} messages),
lue par l'API HTTP de Rasa (`GET /conversations/{{id}}/tracker`, jeton JWT) comme la console la
lit, {len(timings)} lectures. La liste des conversations lit les tables de l'observatoire :
voir la section de l'observatoire.

| lecture | médiane | p95 |
|---|---|---|
{row}
"""
    write_section("console", body)
    print(body)


def bench_catalog(rounds: int = 20) -> int:
    """Latency of one recommendation over the whole catalogue, profiles of every kind."""
    import itertools
    import random

    from catalog import store
    from catalog.engine import Catalog, recommend
    from catalog.files import read_files
    from catalog.profile import ENUMS, parse_profile

    engine = store.make_engine(f"sqlite:///{tempfile.mkdtemp(prefix='qp-bench-')}/c.sqlite")
    store.load(read_files(), engine)
    catalog = Catalog(store.read(engine))
    rng = random.Random(2026)
    communes = [
        "Roubaix",
        "Montbéliard",
        "Nancy",
        "Toulouse",
        "Évry-Courcouronnes",
        "Saint-Louis 97450",
        "Marseille",
        "Arras",
        None,
    ]
    profiles = []
    for stade, statut in itertools.product(ENUMS["stade"], ENUMS["statut"]):
        profiles.append(
            parse_profile(
                {
                    "stade": stade,
                    "statut": statut,
                    "secteur": rng.choice(ENUMS["secteur"]),
                    "commune": rng.choice(communes),
                    "implante_qpv": rng.choice([True, False, None]),
                    "besoins": rng.sample(ENUMS["besoins"], 2),
                    "effectif": rng.choice([0, 3, None]),
                }
            )
        )
    profiles.append(parse_profile({}))
    for profile in profiles:  # warm-up
        recommend(catalog, profile)
    timings = []
    for _ in range(rounds):
        for profile in profiles:
            start = time.perf_counter()
            recommend(catalog, profile)
            timings.append((time.perf_counter() - start) * 1000)
    body = f"""## Moteur de recommandation (`make bench`, {date.today().isoformat()})

Machine : {machine()}.
`catalog.engine.recommend` en mémoire sur tout le catalogue ({len(catalog.files.aids)} aides,
{len(catalog.files.contacts)} contacts), {len(profiles)} profils variés (toutes les étapes et
situations, communes des territoires, hors territoire et inconnues), {rounds} passages :
{len(timings)} recommandations.

| mesure | valeur |
|---|---|
| latence médiane | {statistics.median(timings):.2f} ms |
| latence p95 | {percentile(timings, 0.95):.2f} ms |
| latence maximale | {max(timings):.2f} ms |

Objectif : moins de 5 ms au p95.
"""
    write_section("catalog", body)
    print(body)
    return 0


def bench_cpu() -> int:
    """Before/after of one change: our bot alone under the baseline's load, Rasa's CPU time per
    turn (steadier than latencies on a shared machine); printed, nothing written."""
    tmp = Path(tempfile.mkdtemp(prefix="qp-bench-"))
    settings = settings_with(
        RASA_PORT=str(free_port()),
        ACTION_PORT=str(free_port()),
        TRACKER_DB=str(tmp / "tracker.sqlite"),
        QP_TRACKER_URL="",
        QP_LOG_DIR=str(tmp / "log"),
    )
    url = f"{settings.servers.rasa_url}/webhooks/rest/webhook"
    with Stack(settings) as stack:
        actions_pid = stack.processes["actions"].pid
        actions_before = cpu_seconds(actions_pid)
        ours = measure_bot(url, [stack.processes["rasa"].pid], stack.rasa_ready_seconds or 0, "cpu")
        actions_cpu = cpu_seconds(actions_pid) - actions_before
    turns = SINGLE_CYCLES * 3 + 3 + PARALLEL * PARALLEL_CYCLES * len(BASELINE_MESSAGES)
    ours["actions_cpu_per_turn"] = actions_cpu * 1000 / turns
    for key, value in ours.items():
        print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    from bot.observatory.bench import bench_observatory  # its own module (issue 19)

    kinds = sys.argv[1:] or ["catalog", "rest", "observatory"]
    for kind in kinds:
        benches = {"catalog": bench_catalog, "rest": bench, "observatory": bench_observatory}
        code = {**benches, "cpu": bench_cpu}[kind]()
        if code:
            sys.exit(code)
