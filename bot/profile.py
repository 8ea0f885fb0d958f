"""`make profile`: where a turn's time goes, as flame graphs anyone can open.

Starts the assistant (Rasa and the action server, as `make bench` does), keeps 20 closed-loop
conversations talking to it over REST (the baseline's three messages, bot/bench.py), and
records py-spy flame graphs of the Rasa process and of the action server meanwhile (SVG,
var/profile/, not committed); `--demarrage` records the Rasa server's start instead. Prints
their paths and, for Rasa, the share of the samples spent in the parts that cost the most (a
part's share counts every sample where one of its frames is on the stack, so shares overlap:
TED runs inside TensorFlow).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import httpx

from bot import keys
from bot.bench import BASELINE_MESSAGES, PARALLEL_CYCLES
from bot.runner import Stack, free_port
from settings import PROJECT_DIR, Settings, settings_with

OUT_DIR = PROJECT_DIR / "var" / "profile"
PYSPY = Path(sys.executable).parent / "py-spy"

# (label, substrings of a frame's title: "function (path/file.py:line)")
RASA_PARTS = (
    ("validation des réponses d'actions (jsonschema)", ("jsonschema/",)),
    ("TensorFlow (tous modèles)", ("tensorflow/", "keras/")),
    ("politique TED", ("ted_policy.py",)),
    ("classifieur DIET", ("diet_classifier.py",)),
    ("compréhension (parse_message)", ("parse_message (",)),
    ("spaCy", ("spacy/", "thinc/")),
    ("stockage des conversations (SQLAlchemy)", ("sqlalchemy/", "tracker_store.py")),
    ("appels au serveur d'actions (aiohttp)", ("aiohttp/",)),
)
START_PARTS = (
    ("importations Python (tous modules)", ("_find_and_load (",)),
    ("importation de TensorFlow", ("<module> (tensorflow/", "&lt;module&gt; (tensorflow/")),
    (
        "chargement du modèle (graphe de Rasa)",
        ("load_predict_graph_runner (", "from_model_archive ("),
    ),
    ("décompression de l'archive du modèle", ("tarfile.py",)),
    ("spaCy", ("spacy/", "thinc/")),
    ("classifieur DIET", ("diet_classifier.py",)),
    ("politique TED", ("ted_policy.py",)),
    ("TensorFlow (tous usages)", ("tensorflow/", "keras/")),
)
FRAME = re.compile(
    r"<title>(?P<title>[^<]*) \((?P<n>[\d,]+) samples?, [\d.]+%\)</title>"
    r"<rect [^>]*fg:x=\"(?P<x>\d+)\" fg:w=\"(?P<w>\d+)\""
)


def shares(svg: Path, parts: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, float]:
    """The share of samples under each part: the union of its frames' spans over the total."""
    frames = [
        (m["title"], int(m["x"]), int(m["w"])) for m in FRAME.finditer(svg.read_text("utf-8"))
    ]
    total = max((w for _, _, w in frames), default=0)
    found = {}
    for label, needles in parts:
        spans = sorted((x, x + w) for title, x, w in frames if any(n in title for n in needles))
        covered, end = 0, -1
        for start, stop in spans:
            if stop > end:
                covered += stop - max(start, end)
                end = stop
        found[label] = covered / total if total else 0.0
    return found


def keep_talking(url: str, conversations: int, stop: threading.Event) -> None:
    """`conversations` closed-loop conversations at once until `stop`, each as long as those of
    `make bench` (PARALLEL_CYCLES cycles of the baseline's messages), then a new one: a turn's
    cost grows with its conversation's length, so the profile weighs turns as the bench does."""

    async def talk(client: httpx.AsyncClient, name: str) -> None:
        for number in itertools.count():
            sender = f"{name}-{number}"
            for _ in range(PARALLEL_CYCLES):
                for message in BASELINE_MESSAGES:
                    if stop.is_set():
                        return
                    response = await client.post(url, json={"sender": sender, "message": message})
                    response.raise_for_status()

    async def main() -> None:
        async with httpx.AsyncClient(timeout=300, headers=keys.rest_headers()) as client:
            await asyncio.gather(*(talk(client, f"profil-{i}") for i in range(conversations)))

    asyncio.run(main())


def record(pid: int, svg: Path, seconds: int | None, rate: int) -> subprocess.Popen:
    """py-spy on `pid` for `seconds` (None: until it is interrupted)."""
    command = [str(PYSPY), "record", "--pid", str(pid), "--subprocesses", "--output", str(svg)]
    command += ["--rate", str(rate)] + (["--duration", str(seconds)] if seconds else [])
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def profile_start(settings: Settings, svg: Path, rate: int) -> int:
    """The Rasa server's start, from launch to its REST channel answering."""
    stack = Stack(settings)
    try:
        stack.start()
        recorder = record(stack.processes["rasa"].pid, svg, None, rate)
        try:
            stack.wait_ready()
        finally:
            recorder.send_signal(signal.SIGINT)
            _, errors = recorder.communicate(timeout=120)
    finally:
        stack.stop()
    if not svg.exists():
        print(
            f"py-spy n'a pas pu profiler le démarrage : {errors.decode()[-500:]}", file=sys.stderr
        )
        return 1
    print(f"Démarrage de Rasa : {stack.rasa_ready_seconds:.1f} s ; graphe de flammes : {svg}")
    print("Part des échantillons (un échantillon peut compter dans plusieurs parts) :")
    for label, share in shares(svg, START_PARTS).items():
        print(f"  {label} : {share:.0%}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make profile", description=__doc__)
    parser.add_argument("--secondes", type=int, default=25, help="durée d'enregistrement")
    parser.add_argument("--frequence", type=int, default=50, help="échantillons par seconde")
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument(
        "--demarrage",
        action="store_true",
        help="profiler le démarrage de Rasa au lieu de la charge",
    )
    args = parser.parse_args(argv)
    if not PYSPY.exists():
        print(f"py-spy est introuvable ({PYSPY}) : lancez « make setup ».", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="qp-profile-"))
    settings = settings_with(
        RASA_PORT=str(free_port()),
        ACTION_PORT=str(free_port()),
        TRACKER_DB=str(tmp / "tracker.sqlite"),
        QP_TRACKER_URL="",
        QP_LOG_DIR=str(tmp / "log"),
    )
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    svgs = {name: OUT_DIR / f"{name}-{stamp}.svg" for name in ("rasa", "actions")}
    if args.demarrage:
        return profile_start(settings, OUT_DIR / f"demarrage-{stamp}.svg", args.frequence)
    url = f"{settings.servers.rasa_url}/webhooks/rest/webhook"
    print("Démarrage des serveurs…", flush=True)
    with Stack(settings) as stack:
        stop = threading.Event()
        load = threading.Thread(target=keep_talking, args=(url, args.conversations, stop))
        load.start()
        try:
            time.sleep(5)  # every conversation under way
            print(f"Enregistrement pendant {args.secondes} s…", flush=True)
            recorders = {
                name: record(stack.processes[name].pid, svg, args.secondes, args.frequence)
                for name, svg in svgs.items()
            }
            failed = {}
            for name, recorder in recorders.items():
                _, errors = recorder.communicate(timeout=args.secondes + 120)
                if recorder.returncode != 0 or not svgs[name].exists():
                    failed[name] = errors.decode(errors="replace").strip()
        finally:
            stop.set()
            load.join(timeout=300)
    if failed:
        for name, errors in failed.items():
            print(f"py-spy n'a pas pu profiler {name} : {errors[-500:]}", file=sys.stderr)
        return 1
    for name, svg in svgs.items():
        print(f"Graphe de flammes ({name}) : {svg}")
    print("Part des échantillons de Rasa (un échantillon peut compter dans plusieurs parts) :")
    for label, share in shares(svgs["rasa"], RASA_PARTS).items():
        print(f"  {label} : {share:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
