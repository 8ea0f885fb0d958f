"""The reliability suite: fuzzed messages over the three chat channels, and faults injected in
the middle of conversations, against the real assistant on 127.0.0.1 (docs/reliability.md).

Two users of the same code:
- `make soak` runs this file (`python tests/soak.py`): its own stack (action server, Rasa, web
  server, the Telegram bridge against tests/fake_telegram.py) with a throwaway PostgreSQL as
  the tracker store, 10,000 messages and four faults, then writes the figures into
  docs/reliability.md;
- tests/test_soak.py runs a small version (200 messages, one fault) on the test session's
  shared `assistant`, so that this code cannot rot.

What is checked, for every message: no HTTP 5xx; no stack trace (nor Python error name) in
any answer; no conversation mixed (each conversation names its own commune — its marker — and
no answer it receives names another conversation's); every message gets an answer (a bot
message, or, for a malformed request, a French refusal), and that answer is not a silence: a
stand-in that a channel, the action server or the Telegram bridge sends when the assistant
said nothing or the turn failed (« Je n'ai pas pu vous répondre cette fois-ci… »), counted
apart and as a failure. A fault passes when the person is told something in French at once
(never silence, never a trace; there the stand-ins are the expected answers), no message
already stored is lost, and the conversation goes on once the fault is over.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import socketio

TESTS_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS_DIR))  # tests/fake_telegram.py when run as a script
from fake_telegram import FakeTelegram  # noqa: E402
from socket_client import close_without_waiting  # noqa: E402

from bot import keys  # noqa: E402
from bot.action_server import ACTION_FAILED_TEXT  # noqa: E402
from bot.runner import Stack, free_port  # noqa: E402
from bot.telegram import texts as telegram_texts  # noqa: E402
from bot.telegram.rasa import sender_id  # noqa: E402
from settings import PROJECT_DIR, Settings, settings_with  # noqa: E402

TURN_TIMEOUT = 90.0  # seconds for one answer on a loaded machine
QUIET = 0.4  # seconds without a new message after which a socket.io/Telegram answer is whole
CONVERSATION_LENGTH = 25  # messages per conversation: long-lived, under the per-sender limit
TRACE = re.compile(
    r"Traceback|File \"[^\"]+\", line \d+|\b\w+(Error|Exception)\b|sqlalchemy|psycopg|"
    r"rasa\.core|rasa_sdk|asyncio\.|NoneType|KeyError|stack trace",
)
NOTED = "J'ai bien noté"
# The stand-ins for an answer, each defined once where it is sent: Rasa's channels (a data file,
# rasa_extensions/stand_ins.json, since this Python cannot import Rasa's runtime), the action
# server (an action that failed) and the Telegram bridge (Rasa unreachable, or refusing the
# message). During the messages each one is a silence; during a fault, the expected answer.
RASA_STAND_INS = json.loads(
    (PROJECT_DIR / "rasa_extensions" / "stand_ins.json").read_text(encoding="utf-8")
)
STAND_INS = (
    *RASA_STAND_INS.values(),
    ACTION_FAILED_TEXT,
    telegram_texts.UNAVAILABLE,
    telegram_texts.REJECTED,
    telegram_texts.EXPIRED,
)
REFUSAL = "\x00refus:"  # put by a channel before the French refusal of a malformed message
# Conversation markers: communes of the 14 territories with one-word names, no homonym, and
# found nowhere in the fuzz texts, so that a recap naming another conversation's commune can
# only be a mix.
MARKER_COMMUNES = (
    "Roubaix",
    "Laval",
    "Montbéliard",
    "Audincourt",
    "Toulouse",
    "Colomiers",
    "Arras",
    "Aubagne",
    "Istres",
    "Maubeuge",
)


# --- the fuzzed messages ---------------------------------------------------------------------


@dataclass(frozen=True)
class Fuzz:
    """One message to send: its kind (for the figures), its text, or a raw body/payload."""

    kind: str
    text: str | None = None
    raw: Any = None  # REST: bytes or a JSON value sent as is; socket.io: the event's data
    metadata: Any = None


OTHER_LANGUAGES = (
    "I want to open a bakery, which grants can I get?",
    "Quiero abrir una tienda de ropa, ¿qué ayudas hay?",
    "Ich möchte ein Café eröffnen. Welche Förderungen gibt es?",
    "我想开一家餐馆，有什么补贴？",
    "Я хочу открыть магазин, какие есть субсидии?",
    "Voglio aprire un negozio di alimentari.",
    "Eu quero abrir uma padaria.",
    "Bugün bir dükkan açmak istiyorum.",
)
RIGHT_TO_LEFT = (
    "أريد فتح متجر صغير في الحي",
    "אני רוצה לפתוח חנות",
    "\u202eje veux ouvrir un commerce\u202c",
    "مرحبا، هل هناك مساعدات للمقاولين؟",
)
EMOJI = ("😀", "👍🏽👍🏽👍🏽", "🥖🏪❓", "🇫🇷", "❤️‍🔥 boulangerie 🥐", "👨‍👩‍👧‍👦" * 20)
MARKUP = (
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    "<b>gras</b> &amp; <i>italique</i> &lt;",
    "<a href=\"javascript:alert('x')\">clic</a> je veux créer une entreprise",
    "{{7*7}} ${7*7} <%= 7*7 %>",
    "'; DROP TABLE events; --",
    "[lien](javascript:alert(1)) **gras** _souligné_",
    "<<<>>>&&&\"\"\"'''",
)
ODD = (
    "\x00\x01\x02",
    "\u200b\u200b\u200b",
    "\r\n\t",
    "a" * 3000,
    "é" * 2500,
    "%s %d %n {0} {}",
    "/restart",
    "/session_start",
    "/back",
    "/inconnu",
    '/informer{"commune": 42}',
    '/informer{"secteur": ["a", {"b": null}]}',
    "/demander_definition{pas du json",
    "/" + "x" * 300,
    "\\u0000 \\n \\x00",
    "null",
    "[]",
    "{}",
)
ANSWERS = (
    "oui",
    "non",
    "je ne sais pas",
    "34",
    "15000 €",
    "je suis au chômage",
    "c'est quoi un QPV ?",
    "commerce",
    "merci",
    "Bonjour",
    "je veux créer mon entreprise",
    "financement",
    "moins d'un an",
    "aucun salarié",
    "quelles aides ?",
)


def fuzz_texts(rng: random.Random, channel: str) -> Fuzz:
    """One fuzzed message for `channel` ("rest", "socketio", "telegram")."""
    roll = rng.random()
    if roll < 0.30:
        return Fuzz("réponse ordinaire", rng.choice(ANSWERS))
    if roll < 0.36:
        return Fuzz("vide", rng.choice(("", " ", "   \n  ")))
    if roll < 0.40:
        # 100 kB; socket.io frames stop at 64 KiB (credentials.yml), so 60 kB there
        size = 60_000 if channel == "socketio" else 100_000
        return Fuzz("100 ko", ("je veux ouvrir une boutique " * 4000)[:size])
    if roll < 0.48:
        return Fuzz("emoji", rng.choice(EMOJI))
    if roll < 0.56:
        return Fuzz("HTML et script", rng.choice(MARKUP))
    if roll < 0.62:
        return Fuzz("droite à gauche", rng.choice(RIGHT_TO_LEFT))
    if roll < 0.70:
        return Fuzz("autres langues", rng.choice(OTHER_LANGUAGES))
    if roll < 0.80:
        return Fuzz("caractères et commandes étranges", rng.choice(ODD))
    if roll < 0.86:
        # socket.io: engine.io closes the connection on a frame over 64 KiB (credentials.yml,
        # max_frame_bytes); the widget never sends one
        sizes = (10, 3000, 30_000) if channel == "socketio" else (10, 3000, 100_000)
        big = {"territory": "roubaix", "x": "y" * rng.choice(sizes)}
        return Fuzz("métadonnées énormes", rng.choice(ANSWERS), metadata=big)
    if channel == "rest":
        return rng.choice(
            (
                Fuzz("JSON mal formé", raw=b'{"sender": "x", "message": '),
                Fuzz("JSON mal formé", raw=b"\xff\xfe\x00garbage"),
                Fuzz("JSON mal formé", raw=b""),
                Fuzz("mauvais types", raw={"message": ["liste"]}),
                Fuzz("mauvais types", raw={"message": 42}),
                Fuzz("mauvais types", raw={"message": None}),
                Fuzz("mauvais types", raw=[1, 2, 3]),
                Fuzz("mauvais types", raw="texte"),
                Fuzz("mauvais types", text="Bonjour", metadata="pas un objet"),
                Fuzz("mauvais types", text="Bonjour", metadata={"territory": 14}),
            )
        )
    if channel == "socketio":
        return rng.choice(
            (
                Fuzz("mauvais types", raw={"message": ["liste"]}),
                Fuzz("mauvais types", raw={"message": 42}),
                Fuzz("mauvais types", raw={"message": None}),
                Fuzz("mauvais types", raw={"message": {"text": "x"}}),
                Fuzz("mauvais types", text="Bonjour", metadata="{pas du json"),
                Fuzz("mauvais types", text="Bonjour", metadata=["liste"]),
            )
        )
    return Fuzz(
        "autres contenus", raw=rng.choice(("photo", "voice", "sticker", "document", "location"))
    )


# --- what was seen ---------------------------------------------------------------------------


@dataclass
class Tally:
    """Counts and failures, shared by the channel workers."""

    sent: Counter = field(default_factory=Counter)  # channel → messages
    kinds: Counter = field(default_factory=Counter)  # kind → messages
    refused: Counter = field(default_factory=Counter)  # channel → malformed, refused in French
    silences: Counter = field(default_factory=Counter)  # channel → stand-ins instead of answers
    markers_seen: int = 0
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    progress: bool = False  # print a line every 500 messages (make soak)
    stopped_early: bool = False  # the time bound stopped the run before every conversation

    def count(self, channel: str, fuzz: Fuzz) -> None:
        with self.lock:
            self.sent[channel] += 1
            self.kinds[fuzz.kind] += 1
            if self.progress and self.total % 500 == 0:
                print(
                    f"{time.strftime('%H:%M:%S')} {self.total} messages, "
                    f"{len(self.failures)} échec(s)",
                    flush=True,
                )

    def fail(self, where: str, what: str) -> None:
        with self.lock:
            self.failures.append(f"{where} : {what}")

    @property
    def total(self) -> int:
        return sum(self.sent.values())


def stand_in(text: str) -> bool:
    """Whether `text` is a stand-in for an answer (STAND_INS), not the assistant's own."""
    return any(silence in " ".join(text.split()) for silence in STAND_INS)


def check_texts(
    tally: Tally, where: str, texts: list[str], own: str, others: frozenset[str]
) -> None:
    """No trace, not silent (nothing, or a stand-in), no other conversation's marker in a
    recap."""
    if not texts or not any(t.strip() for t in texts):
        tally.fail(where, "aucune réponse")
        return
    silent = [text for text in texts if stand_in(text)]
    if silent:
        with tally.lock:
            tally.silences[where.split("/")[0]] += 1
        tally.fail(where, f"silence (message de secours) : {silent[0][:120]!r}")
    if texts[0].startswith(REFUSAL):
        texts = [texts[0].removeprefix(REFUSAL), *texts[1:]]
        with tally.lock:
            tally.refused[where.split("/")[0]] += 1
    for text in texts:
        if TRACE.search(text):
            tally.fail(where, f"trace dans la réponse : {text[:200]!r}")
        for line in text.splitlines():
            if line.startswith(NOTED):
                named = {commune for commune in others if commune in line}
                if named:
                    tally.fail(where, f"conversation mélangée : {line[:200]!r} (marqueur {own})")
                elif own in line:
                    with tally.lock:
                        tally.markers_seen += 1


# --- the channels ----------------------------------------------------------------------------


class RestChannel:
    name = "rest"

    def __init__(self, settings: Settings) -> None:
        self.url = f"{settings.servers.rasa_url}/webhooks/rest/webhook"
        self.client = httpx.Client(timeout=TURN_TIMEOUT, headers=keys.rest_headers())

    def open(self, sender: str) -> RestChannel:
        return self

    def send(self, sender: str, fuzz: Fuzz) -> tuple[list[str], str | None]:
        """The bot's texts, and what went wrong (None when the exchange itself is sound)."""
        if fuzz.raw is not None:
            content = fuzz.raw if isinstance(fuzz.raw, bytes) else json.dumps(fuzz.raw).encode()
            if isinstance(fuzz.raw, dict):
                content = json.dumps({"sender": sender, **fuzz.raw}).encode()
            response = self.client.post(self.url, content=content)
            if response.status_code != 400:
                return [], f"HTTP {response.status_code} pour un corps mal formé"
            return [REFUSAL + str(response.json().get("erreur", ""))], None
        body: dict[str, Any] = {"sender": sender, "message": fuzz.text}
        if fuzz.metadata is not None:
            body["metadata"] = fuzz.metadata
        response = self.client.post(self.url, json=body)
        if response.status_code >= 500:
            return [], f"HTTP {response.status_code}"
        if response.status_code == 400:
            if fuzz.metadata is None:
                return [], f"HTTP 400 pour un message correct : {response.text[:200]}"
            return [REFUSAL + str(response.json().get("erreur", ""))], None
        if response.status_code != 200:
            return [], f"HTTP {response.status_code}"
        return [
            str(m.get("text") or m.get("image") or m.get("custom") or "") for m in response.json()
        ], None

    def close(self, sender: str) -> None:
        pass


class SocketConversation:
    """One browser: a session issued by the web server, a socket.io client with its own
    address (X-Forwarded-For, as the proxy sends it)."""

    def __init__(self, settings: Settings, address: str) -> None:
        web = f"http://127.0.0.1:{settings.servers.web_port}"
        response = httpx.post(f"{web}/widget/session", headers={"X-Forwarded-For": address})
        response.raise_for_status()
        self.session = response.json()
        self.events: list[tuple[str, Any]] = []
        self.changed = threading.Condition()
        self.sio = socketio.Client(reconnection=False)
        for name in ("session_confirm", "session_refused", "bot_uttered"):
            self.sio.on(name, self._recorder(name))
        self.sio.connect(
            settings.servers.rasa_url,
            transports=["polling"],  # the widget's fallback; no websocket-client here
            headers={"X-Forwarded-For": address},
            wait_timeout=TURN_TIMEOUT,
        )
        self.sio.emit("session_request", self.session)
        self.wait(lambda: self._names().count("session_confirm") >= 1)

    def _recorder(self, name: str) -> Callable[..., None]:
        def record(data: Any = None) -> None:
            with self.changed:
                self.events.append((name, data))
                self.changed.notify_all()

        return record

    def _names(self) -> list[str]:
        return [name for name, _ in self.events]

    def wait(self, condition: Callable[[], bool], timeout: float = TURN_TIMEOUT) -> bool:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.changed.wait(left)
        return True

    def exchange(self, data: Any) -> list[tuple[str, Any]]:
        """Emit `data` as a user message; the events received until QUIET seconds pass
        without any (or TURN_TIMEOUT without the first)."""
        with self.changed:
            before = len(self.events)
        self.sio.emit("user_uttered", data)
        if not self.wait(lambda: len(self.events) > before):
            return []
        while True:
            with self.changed:
                seen = len(self.events)
                self.changed.wait(QUIET)
                if len(self.events) == seen:
                    return self.events[before:]

    def close(self) -> None:
        close_without_waiting(self.sio)


class SocketChannel:
    name = "socketio"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.open_conversations: dict[str, SocketConversation] = {}
        self.counter = 0
        self.lock = threading.Lock()

    def open(self, sender: str) -> SocketChannel:
        with self.lock:
            self.counter += 1
            n = self.counter
        address = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
        self.open_conversations[sender] = SocketConversation(self.settings, address)
        return self

    def session_id(self, sender: str) -> str:
        return str(self.open_conversations[sender].session["session_id"])

    def send(self, sender: str, fuzz: Fuzz) -> tuple[list[str], str | None]:
        conversation = self.open_conversations[sender]
        if fuzz.raw is not None:
            data = {**conversation.session, **fuzz.raw}
        else:
            data = {**conversation.session, "message": fuzz.text}
            if fuzz.metadata is not None:
                data["metadata"] = fuzz.metadata
        events = conversation.exchange(data)
        refused = [name for name, _ in events if name == "session_refused"]
        if refused:
            return [], "session refusée"
        texts = [str((d or {}).get("text") or d) for name, d in events if name == "bot_uttered"]
        if texts and fuzz.raw is not None and "seul du texte" in texts[0]:
            texts[0] = REFUSAL + texts[0]
        return texts, None

    def close(self, sender: str) -> None:
        conversation = self.open_conversations.pop(sender, None)
        if conversation:
            conversation.close()


class TelegramChannel:
    """The fake Telegram Bot API and the real bridge (`python -m bot.telegram`)."""

    name = "telegram"

    def __init__(self, settings: Settings, fake: FakeTelegram, first_chat: int = 700_000) -> None:
        self.settings = settings
        self.fake = fake
        self.chats: dict[str, int] = {}
        self.next_chat = first_chat
        self.lock = threading.Lock()

    def open(self, sender: str) -> TelegramChannel:
        with self.lock:
            self.next_chat += 1
            self.chats[sender] = self.next_chat
        return self

    def exchange(self, chat: int, push: Callable[[], Any]) -> list[str]:
        before = len(self.fake.sent(chat))
        push()
        try:
            self.fake.wait_for(lambda: len(self.fake.sent(chat)) > before, timeout=TURN_TIMEOUT)
        except TimeoutError:
            return []
        while True:
            seen = len(self.fake.sent(chat))
            time.sleep(QUIET)
            if len(self.fake.sent(chat)) == seen:
                return [unescape(str(p.get("text", ""))) for p in self.fake.sent(chat)[before:]]

    def send(self, sender: str, fuzz: Fuzz) -> tuple[list[str], str | None]:
        chat = self.chats[sender]
        if fuzz.raw is not None:
            texts = self.exchange(chat, lambda: self.fake.send_other(chat, fuzz.raw))
            return [REFUSAL + text for text in texts[:1]] + texts[1:], None
        text = fuzz.text or ""
        if not text.strip():
            text = "\u200b"  # Telegram does not deliver an empty message: the nearest thing
        return self.exchange(chat, lambda: self.fake.send_text(chat, text)), None

    def close(self, sender: str) -> None:
        pass


@contextlib.contextmanager
def telegram_bridge(settings: Settings, fake: FakeTelegram) -> Iterator[subprocess.Popen]:
    """The bridge as `make run` starts it: its own process, configured by environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env.update(
        {
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "TELEGRAM_STATE_DB": str(settings.servers.log_dir.parent / "telegram-soak.sqlite"),
            "RASA_URL": settings.servers.rasa_url,
        }
    )
    settings.servers.log_dir.mkdir(parents=True, exist_ok=True)
    with (settings.servers.log_dir / "telegram-soak.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.telegram"],
            cwd=PROJECT_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        fake.wait_for(
            lambda: fake.calls_to("deleteWebhook") or process.poll() is not None,
            timeout=TURN_TIMEOUT,
        )
        if process.poll() is not None:
            raise RuntimeError("la passerelle Telegram ne démarre pas (voir telegram-soak.log)")
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


# --- the run ---------------------------------------------------------------------------------


def conversation(
    channel: Any,
    sender: str,
    marker: str,
    messages: list[Fuzz],
    tally: Tally,
    others: frozenset[str],
) -> None:
    """One long-lived conversation: an opener naming its commune, then the fuzzed messages."""
    try:
        channel.open(sender)
    except Exception as error:  # noqa: BLE001 - counted as a failure of the run
        tally.fail(f"{channel.name}/{sender}", f"ouverture impossible ({type(error).__name__})")
        return
    opener = Fuzz("ouverture", f"je veux ouvrir un commerce à {marker}, je suis au chômage")
    try:
        for index, fuzz in enumerate([opener, *messages]):
            where = f"{channel.name}/{sender} n°{index} ({fuzz.kind})"
            tally.count(channel.name, fuzz)
            try:
                texts, problem = channel.send(sender, fuzz)
            except httpx.HTTPError as error:
                tally.fail(where, f"erreur de connexion ({type(error).__name__})")
                continue
            except Exception as error:  # noqa: BLE001 - e.g. the socket closed: the conversation ends
                tally.fail(where, f"connexion perdue ({type(error).__name__})")
                return
            if problem:
                tally.fail(where, problem)
                continue
            check_texts(tally, where, texts, marker, others - {marker})
    finally:
        channel.close(sender)


def run_messages(
    channels: list[Any],
    shares: dict[str, int],
    seed: int,
    workers: int,
    tally: Tally,
    deadline: float,
) -> None:
    """About `shares[channel]` messages per channel, in conversations of CONVERSATION_LENGTH,
    `workers` conversations at a time, interleaved across channels; none started after
    `deadline` (time.monotonic())."""
    rng = random.Random(seed)
    plans = []
    for channel in channels:
        left = shares.get(channel.name, 0)
        number = 0
        while left > 0:
            size = min(CONVERSATION_LENGTH, left)
            fuzzes = [fuzz_texts(rng, channel.name) for _ in range(size - 1)]
            plans.append((channel, f"soak-{channel.name}-{seed}-{number}", fuzzes))
            left -= size
            number += 1
    rng.shuffle(plans)
    queue = iter(enumerate(plans))
    lock = threading.Lock()
    markers = frozenset(MARKER_COMMUNES)

    def work() -> None:
        while True:
            with lock:
                index, plan = next(queue, (None, None))
            if plan is None:
                return
            if time.monotonic() > deadline:
                tally.stopped_early = True  # said in the figures: fewer messages than asked
                return
            channel, sender, fuzzes = plan
            # conversations played at the same time have different markers: a mix would show
            marker = MARKER_COMMUNES[index % len(MARKER_COMMUNES)]
            conversation(channel, sender, marker, fuzzes, tally, markers)

    threads = [threading.Thread(target=work, daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# --- the faults ------------------------------------------------------------------------------


FAILURE_WORDS = ("problème technique", "indisponible", "pas pu", "réessayer", "renvoyer")


@dataclass
class FaultResult:
    name: str
    told: str = ""  # what the person was told during the fault
    resumed: str = ""  # the first answer after it
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def user_events(settings: Settings, sender: str) -> int:
    """The user messages stored for `sender` in the tracker store (SQLite or PostgreSQL)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(settings.tracker.url)
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    text("select count(*) from events where sender_id = :s and type_name = 'user'"),
                    {"s": sender},
                ).scalar_one()
            )
    finally:
        engine.dispose()


def wait_user_events(settings: Settings, sender: str, at_least: int) -> int:
    """The stored user messages of `sender`, once there are `at_least` (or TURN_TIMEOUT
    passed): an answer can reach the client before the turn after it is stored."""
    deadline = time.monotonic() + TURN_TIMEOUT
    while (count := user_events(settings, sender)) < at_least and time.monotonic() < deadline:
        time.sleep(0.5)
    return count


def told_in_french(result: FaultResult, texts: list[str], during: bool) -> str:
    joined = "\n".join(texts)
    if not joined.strip():
        result.problems.append("silence" + (" pendant la panne" if during else " après la panne"))
    if TRACE.search(joined):
        result.problems.append(f"trace : {joined[:200]!r}")
    if not during and any(word in joined for word in ("problème technique", "indisponible")):
        result.problems.append(f"la conversation ne reprend pas : {joined[:200]!r}")
    return joined


def kill(stack: Stack, name: str, sig: int = signal.SIGKILL) -> None:
    process = stack.processes[name]
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    process.wait(timeout=60)


def restart(stack: Stack, name: str) -> None:
    """Start `name` again with the command it was started with, and wait until it is ready."""
    command = [str(part) for part in stack.processes[name].args]
    stack.spawn(name, command)
    stack.wait_ready()


def fault_action_server(stack: Stack, rest: RestChannel) -> FaultResult:
    """The action server killed in the middle of the questionnaire, then started again."""
    result = FaultResult("serveur d'actions arrêté puis redémarré")
    sender = f"soak-panne-actions-{time.time_ns()}"
    rest.send(sender, Fuzz("", "je veux ouvrir un commerce à Roubaix"))
    before = wait_user_events(stack.settings, sender, 1)
    kill(stack, "actions")
    texts, _ = rest.send(sender, Fuzz("", "je suis au chômage"))
    result.told = told_in_french(result, texts, during=True)
    restart(stack, "actions")
    texts, _ = rest.send(sender, Fuzz("", "je crée mon entreprise"))
    result.resumed = told_in_french(result, texts, during=False)
    if wait_user_events(stack.settings, sender, before + 2) < before + 2:
        result.problems.append("des messages de la conversation manquent")
    return result


@contextlib.contextmanager
def catalogue_locked(settings: Settings) -> Iterator[None]:
    """An exclusive lock held on the SQLite catalogue (no one else may read or write it)."""
    path = settings.catalog.database_url.removeprefix("sqlite:///")
    connection = sqlite3.connect(path, timeout=60, isolation_level=None)
    try:
        connection.execute("BEGIN EXCLUSIVE")
        yield
    finally:
        connection.execute("ROLLBACK")
        connection.close()


def fault_catalogue_locked(stack: Stack, rest: RestChannel) -> FaultResult:
    """The catalogue database locked while the person asks for the erasure of their data:
    they are told in French (the erasure could not be done, or a technical problem), nothing
    already stored is lost or erased, and the conversation goes on once the lock is gone."""
    result = FaultResult("base du catalogue verrouillée")
    if not stack.settings.catalog.database_url.startswith("sqlite:///"):
        result.problems.append("catalogue hors SQLite : panne non jouée")
        return result
    sender = f"soak-panne-catalogue-{time.time_ns()}"
    rest.send(sender, Fuzz("", "je veux ouvrir un commerce à Laval"))
    before = wait_user_events(stack.settings, sender, 1)
    with catalogue_locked(stack.settings):
        texts, _ = rest.send(sender, Fuzz("", "supprimer mes données"))
        result.told = told_in_french(result, texts, during=True)
    if user_events(stack.settings, sender) < before:
        result.problems.append("la conversation a été perdue pendant la panne")
    texts, _ = rest.send(sender, Fuzz("", "je crée mon entreprise"))
    result.resumed = told_in_french(result, texts, during=False)
    return result


def fault_rasa_restart(stack: Stack, telegram: TelegramChannel) -> FaultResult:
    """Rasa stopped in the middle of a Telegram conversation, then started again: the bridge
    tells the person, keeps their message and delivers it once Rasa is back."""
    result = FaultResult("serveur Rasa redémarré")
    sender = f"soak-panne-rasa-{time.time_ns()}"
    telegram.open(sender)
    chat = telegram.chats[sender]
    telegram.send(sender, Fuzz("", "je veux ouvrir un commerce à Maubeuge"))
    conversation_id = sender_id(chat, keys.telegram_id_key())
    before = wait_user_events(stack.settings, conversation_id, 1)
    kill(stack, "rasa", signal.SIGTERM)
    texts, _ = telegram.send(sender, Fuzz("", "je suis au chômage"))
    result.told = told_in_french(result, texts, during=True)
    sent = len(telegram.fake.sent(chat))
    restart(stack, "rasa")
    # the message kept by the bridge reaches Rasa, and its answer the person, once Rasa is back
    if wait_user_events(stack.settings, conversation_id, before + 1) < before + 1:
        result.problems.append("le message gardé par la passerelle n'a pas été transmis")
    try:
        telegram.fake.wait_for(lambda: len(telegram.fake.sent(chat)) > sent + 1, TURN_TIMEOUT)
    except TimeoutError:
        result.problems.append("le message gardé par la passerelle n'a pas eu de réponse")
    time.sleep(QUIET * 3)
    texts, _ = telegram.send(sender, Fuzz("", "je crée mon entreprise"))
    result.resumed = told_in_french(result, texts, during=False)
    if wait_user_events(stack.settings, conversation_id, before + 2) < before + 2:
        result.problems.append("des messages de la conversation manquent")
    return result


class ThrowawayPostgres:
    """A PostgreSQL server of our own (Debian's binaries, in /tmp, on a free port), to be
    stopped and started without touching the machine's shared one."""

    def __init__(self, root: Path) -> None:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
        if not found:
            raise RuntimeError("PostgreSQL introuvable (/usr/lib/postgresql/*/bin)")
        self.bin = found[-1].parent
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self.user = "postgres"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", self.user, "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)

    def init(self) -> ThrowawayPostgres:
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, self.user, self.user)
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self.start()
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                  "-U", "postgres", "trackers")  # fmt: skip
        return self

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-w",
                  "-l", str(self.root / "postgres.log"), "start")  # fmt: skip

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/trackers"

    def remove(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def fault_postgres_restart(
    stack: Stack, rest: RestChannel, postgres: ThrowawayPostgres
) -> FaultResult:
    """The tracker store's PostgreSQL stopped in the middle of a conversation, then started."""
    result = FaultResult("PostgreSQL (stockage des conversations) redémarré")
    sender = f"soak-panne-postgresql-{time.time_ns()}"
    rest.send(sender, Fuzz("", "je veux ouvrir un commerce à Montbéliard"))
    before = wait_user_events(stack.settings, sender, 1)
    postgres.stop()
    try:
        texts, _ = rest.send(sender, Fuzz("", "je suis au chômage"))
        result.told = told_in_french(result, texts, during=True)
    finally:
        postgres.start()
    texts, _ = rest.send(sender, Fuzz("", "je suis au chômage"))
    result.resumed = told_in_french(result, texts, during=False)
    if wait_user_events(stack.settings, sender, before + 1) < before + 1:
        result.problems.append("des messages de la conversation manquent")
    return result


# --- make soak -------------------------------------------------------------------------------


@dataclass
class Report:
    tally: Tally
    faults: list[FaultResult]
    seconds: float
    messages_asked: int

    @property
    def failures(self) -> list[str]:
        return self.tally.failures + [
            f"panne « {f.name} » : {p}" for f in self.faults for p in f.problems
        ]

    def markdown(self) -> str:
        t = self.tally
        cpu = platform.processor() or platform.machine()
        with contextlib.suppress(OSError):
            models = [
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ]
            cpu = models[0] if models else cpu
        lines = [
            (
                f"Mesuré le {time.strftime('%Y-%m-%d à %H:%M UTC', time.gmtime())} par "
                f"`make soak` ({self.messages_asked} messages demandés), machine : "
                f"{os.cpu_count()} cœurs ({cpu}), Python {platform.python_version()}, "
                "partagée avec d'autres travaux."
            ),
            "",
            (
                "| canal | messages | dont refus en français (requête mal formée, non-texte) "
                "| silences (message de secours au lieu d'une réponse) |"
            ),
            "|---|---|---|---|",
        ]
        lines.extend(
            f"| {channel} | {t.sent[channel]} | {t.refused[channel]} | {t.silences[channel]} |"
            for channel in ("rest", "socketio", "telegram")
        )
        lines += [
            f"| **total** | **{t.total}** | | **{sum(t.silences.values())}** |",
            "",
            "| sorte de message | nombre |",
            "|---|---|",
            *(f"| {kind} | {count} |" for kind, count in sorted(t.kinds.items())),
            "",
            "| panne | ce que la personne lit pendant la panne | reprise | résultat |",
            "|---|---|---|---|",
        ]
        for fault in self.faults:
            told = " ".join(fault.told.split())[:160].replace("|", "/")
            resumed = " ".join(fault.resumed.split())[:100].replace("|", "/")
            verdict = "réussie" if fault.ok else "ÉCHEC : " + " ; ".join(fault.problems)
            lines.append(f"| {fault.name} | « {told} » | « {resumed} » | {verdict} |")
        lines += [
            "",
            (
                f"Arrêt par la borne de temps (`--minutes`) après {t.total} messages sur "
                f"{self.messages_asked} demandés."
                if t.stopped_early
                else f"Tous les {self.messages_asked} messages demandés ont été envoyés."
            ),
            "",
            (
                f"Échecs : **{len(self.failures)}** (silences compris) ; "
                "récapitulatifs portant le marqueur de "
                f"leur conversation : {t.markers_seen} ; durée : {self.seconds / 60:.1f} min "
                f"({t.total / max(self.seconds, 1):.1f} messages par seconde)."
            ),
        ]
        lines += [f"- {failure}" for failure in self.failures[:30]]
        return "\n".join(lines)


BEGIN = "<!-- début des chiffres écrits par `make soak` : ne pas modifier à la main -->"
END = "<!-- fin des chiffres écrits par `make soak` -->"


def record(report: Report, path: Path) -> None:
    """Replace the figures between the two markers of docs/reliability.md."""
    text = path.read_text()
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    path.write_text(f"{head}{BEGIN}\n{report.markdown()}\n{END}{tail}")


def soak(messages: int, workers: int, minutes: float, seed: int, keep: Path) -> Report:
    """`make soak`: its own stack, a throwaway PostgreSQL, the fuzz, then the four faults."""
    started = time.monotonic()
    postgres = ThrowawayPostgres(keep / "postgres").init()
    catalog = keep / "catalog.sqlite"
    os.environ["DATABASE_URL"] = f"sqlite:///{catalog}"
    from catalog.engine import open_catalog

    open_catalog()  # loads the catalogue before three processes read it
    settings = settings_with(
        RASA_PORT=str(free_port()),
        ACTION_PORT=str(free_port()),
        WEB_PORT=str(free_port()),
        DATABASE_URL=f"sqlite:///{catalog}",
        QP_TRACKER_URL=postgres.url,
        QP_LOG_DIR=str(keep / "log"),
        QP_READY_TIMEOUT="900",
    )
    faults: list[FaultResult] = []
    tally = Tally(progress=True)
    try:
        with (
            Stack(settings, with_web=True) as stack,
            FakeTelegram() as fake,
            telegram_bridge(settings, fake),
        ):
            if True:
                rest = RestChannel(settings)
                telegram = TelegramChannel(settings, fake)
                channels = [rest, SocketChannel(settings), telegram]
                shares = {"rest": messages * 4 // 10, "socketio": messages * 3 // 10}
                shares["telegram"] = messages - shares["rest"] - shares["socketio"]
                # no conversation starts after the deadline; the faults (about 15 minutes
                # with Rasa's restart) come after the messages, each in a conversation of its own
                deadline = started + max(minutes - 15, 1) * 60
                run_messages(channels, shares, seed, workers, tally, deadline)
                for name, fault in (
                    ("serveur d'actions", lambda: fault_action_server(stack, rest)),
                    ("base du catalogue", lambda: fault_catalogue_locked(stack, rest)),
                    ("PostgreSQL", lambda: fault_postgres_restart(stack, rest, postgres)),
                    ("serveur Rasa", lambda: fault_rasa_restart(stack, telegram)),
                ):
                    try:
                        faults.append(fault())
                    except Exception as error:  # noqa: BLE001 - reported, the figures still written
                        faults.append(FaultResult(name, problems=[f"non jouée ({error})"]))
                    print(f"Panne « {faults[-1].name} » : {faults[-1].problems or 'réussie'}")
    finally:
        postgres.remove()
    return Report(tally, faults, time.monotonic() - started, messages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=6, help="conversations at the same time")
    parser.add_argument("--minutes", type=float, default=90, help="no conversation starts after")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--record", type=Path, help="docs/reliability.md: write the figures there")
    args = parser.parse_args(argv)
    # SIGTERM stops like Ctrl-C: the stack, the bridge and the throwaway PostgreSQL are stopped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    keep = Path(f"/tmp/qp-soak-{os.getpid()}")
    report = soak(args.messages, args.workers, args.minutes, args.seed, keep)
    print(report.markdown())
    if args.record:
        record(report, args.record)
        print(f"\nChiffres écrits dans {args.record}.")
    print(f"Journaux : {keep / 'log'}")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
