"""The cluster holds: two Rasa replicas and two action servers behind HAProxy (bot/cluster.py,
as `make run-cluster` starts them), sharing a PostgreSQL tracker store (the test's own
database) and Rasa's Redis lock store (a dedicated database number and key prefix).

- 200 conversations at once, closed loop through the balancer, while one replica is killed
  with SIGKILL: every turn is answered, or refused with the balancer's French « réessayez »
  and then sent again; nothing else (no timeout, no stack trace). Afterwards, each
  conversation's tracker in PostgreSQL holds every answered turn, in order, with the answer the
  client received, and only that conversation's messages (per-sender markers).
- The widget's socket.io channel and the Telegram bridge work through the balancer.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from html import unescape

import httpx
import pytest
from conftest import _postgresql, own_catalogue
from fake_telegram import FakeTelegram
from socket_client import SocketClient
from sqlalchemy import create_engine, text

from bot.cluster import Cluster, free_port_range
from bot.haproxy import RETRY_TEXT
from bot.keys import rest_headers
from bot.runner import free_port
from catalog.dialogue import asked_fields, question
from settings import PROJECT_DIR, settings_with

pytestmark = pytest.mark.rasa

CONVERSATIONS = 200
REDIS_URL = "redis://127.0.0.1:6379/11"  # this test's database number; only its keys deleted
TIMEOUT = 300  # seconds for one turn: 200 conversations share two Rasa processes on 2 cores
ANSWERS = {  # what each conversation answers to the first question it is asked
    "stade": '/informer{"stade":"creation"}',
    "secteur": '/informer{"secteur":"commerce"}',
    "statut": '/informer{"statut":"demandeur_emploi"}',
    "commune": "Roubaix",
    "implante_qpv": "oui",
}
QUESTIONS = {question(name)[0]: name for name in asked_fields()}


@pytest.fixture(scope="module")
def redis_lock():
    """The lock store's Redis database and a key prefix of this run; its keys deleted after."""
    import redis

    prefix = f"qptest{uuid.uuid4().hex[:10]}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, redis_lock):
    tmp = tmp_path_factory.mktemp("cluster")
    # A catalogue of its own, as a deployed cluster has (see own_catalogue).
    catalogue = own_catalogue(tmp)
    settings = settings_with(
        DATABASE_URL=catalogue,
        RASA_PORT=str(free_port()),
        WEB_PORT=str(free_port()),
        QP_CLUSTER_REPLICAS="2",
        QP_CLUSTER_RASA_PORT=str(free_port_range(2)),
        QP_CLUSTER_ACTION_PORT=str(free_port_range(2)),
        QP_TRACKER_URL=_postgresql(tmp_path_factory),
        QP_EVENT_BROKER="sql",  # Rasa's events for the observatory: a database of their own
        QP_EVENT_BROKER_URL=_postgresql(tmp_path_factory),
        QP_LOCK_STORE_URL=REDIS_URL,
        QP_LOCK_STORE_PREFIX=redis_lock,
        QP_LOCK_LIFETIME="20",  # a dead replica's conversations wait 20 s, not Rasa's 60
        QP_LOG_DIR=str(tmp / "log"),
        TELEGRAM_BOT_TOKEN="",
    )
    with Cluster(settings) as running:
        yield running


def tracker_turns(settings, sender: str) -> list[tuple[str, list[str]]]:
    """The conversation as PostgreSQL holds it: (user text, bot texts after it) per turn."""
    engine = create_engine(settings.tracker.url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("select type_name, data from events where sender_id = :s order by id"),
                {"s": sender},
            ).fetchall()
    finally:
        engine.dispose()
    turns: list[tuple[str, list[str]]] = []
    for type_name, data in rows:
        event = json.loads(data)
        if type_name == "user":
            turns.append((event.get("text"), []))
        elif type_name == "bot" and turns and event.get("text"):
            turns[-1][1].append(event["text"])
    return turns


class Progress:
    """Answered turns so far; `reached` is set once `target` of them are answered."""

    def __init__(self, target: int) -> None:
        self.count, self.target, self.reached = 0, target, asyncio.Event()

    def add(self) -> None:
        self.count += 1
        if self.count >= self.target:
            self.reached.set()


@dataclass
class Turn:
    text: str
    answer: list[str] | None  # the bot's texts, or None when told to retry


@dataclass
class Conversation:
    sender: str
    marker: str
    log: list[Turn] = field(default_factory=list)
    retries: int = 0


async def talk(client: httpx.AsyncClient, url: str, conv: Conversation, progress: Progress) -> None:
    """Three turns; a turn refused with « réessayez » is sent again, anything else fails."""
    messages = [f"Bonjour, dossier {conv.marker}", "je veux ouvrir une épicerie à Roubaix"]
    while len([t for t in conv.log if t.answer is not None]) < 3:
        message = messages.pop(0) if messages else "oui"
        while True:
            try:
                response = await client.post(url, json={"sender": conv.sender, "message": message})
            except httpx.TransportError as error:
                problem = f"{conv.sender} : ni réponse ni « réessayez » : {error!r}"
                raise AssertionError(problem) from error
            if response.status_code == 200:
                answer = response.json()
                assert answer, f"{conv.sender} : réponse vide"
                assert {m["recipient_id"] for m in answer} == {conv.sender}
                texts = [m["text"] for m in answer if m.get("text")]
                conv.log.append(Turn(message, texts))
                progress.add()
                asked = [QUESTIONS[t] for t in texts if t in QUESTIONS]
                if asked and not messages:
                    messages.append(ANSWERS.get(asked[0], "oui"))
                break
            # the balancer's own answer when no replica could take the turn: French, retry
            assert response.status_code in (502, 503, 504), (response.status_code, response.text)
            assert response.json() == {"erreur": RETRY_TEXT}
            assert "Réessayez" in RETRY_TEXT
            conv.log.append(Turn(message, None))
            conv.retries += 1
            await asyncio.sleep(1)


def test_200_conversations_survive_a_replica_killed_mid_run(cluster):
    settings = cluster.settings
    url = f"{cluster.url}/webhooks/rest/webhook"
    run = uuid.uuid4().hex[:6]
    conversations = [
        Conversation(f"cluster-{run}-{i}", f"qpmarq{run}n{i}x") for i in range(CONVERSATIONS)
    ]
    victim = cluster.replicas[0].processes["rasa"]
    killed_at: list[int] = []

    async def kill_mid_run(progress: Progress) -> None:
        await progress.reached.wait()  # a third of the 600 turns answered
        os.killpg(victim.pid, signal.SIGKILL)
        killed_at.append(progress.count)

    async def main() -> None:
        progress = Progress(CONVERSATIONS)
        limits = httpx.Limits(max_connections=CONVERSATIONS + 10)
        async with httpx.AsyncClient(
            timeout=TIMEOUT, headers=rest_headers(), limits=limits
        ) as client:
            killer = asyncio.create_task(kill_mid_run(progress))
            await asyncio.gather(*(talk(client, url, c, progress) for c in conversations))
            await killer

    asyncio.run(main())
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    assert killed_at
    assert killed_at[0] < 3 * CONVERSATIONS

    extra = 0
    for conv in conversations:
        answered = [(t.text, t.answer) for t in conv.log if t.answer is not None]
        assert len(answered) == 3
        stored = tracker_turns(settings, conv.sender)
        # every answered turn is there, in order, with the answer the client received
        it = iter(stored)
        missing = [turn for turn in answered if not any(s == turn for s in it)]
        assert missing == [], f"{conv.sender} : tours répondus absents du tracker : {missing}"
        # nothing but what this conversation said (a turn cut by the kill may be there twice)
        sent = {t.text for t in conv.log}
        assert {s[0] for s in stored} <= sent, conv.sender
        extra += len(stored) - len(answered)
    # at most the turns in flight on the killed replica were kept by it before it died
    assert extra <= CONVERSATIONS

    # per-sender markers: each one only in its own conversation
    engine = create_engine(settings.tracker.url)
    try:
        with engine.connect() as connection:
            owners = dict(
                connection.execute(
                    text(
                        "select substring(data from 'qpmarq[0-9a-f]+n[0-9]+x'), "
                        "min(sender_id) || '|' || max(sender_id) from events "
                        "where type_name = 'user' and data like '%qpmarq%' group by 1"
                    )
                ).fetchall()
            )
    finally:
        engine.dispose()
    assert len(owners) == CONVERSATIONS
    for conv in conversations:
        assert owners[conv.marker] == f"{conv.sender}|{conv.sender}"

    print(
        f"\n{CONVERSATIONS} conversations, replica tuée après {killed_at[0]} tours répondus ; "
        f"« réessayez » : {sum(c.retries for c in conversations)} ; tours gardés en double : "
        f"{extra}"
    )


# --- the widget (socket.io) and the Telegram bridge through the balancer ---------------------


def test_the_widget_talks_through_the_balancer(cluster):
    web = f"http://127.0.0.1:{cluster.settings.servers.web_port}"
    session = httpx.post(f"{web}/widget/session", timeout=30).json()
    client = SocketClient(cluster.url, timeout=120)
    try:
        client.emit("session_request", session)
        assert client.wait_for("session_confirm") == [session["session_id"]]
        client.emit("user_uttered", {"message": "Bonjour", **session})
        [answer, *_] = client.wait_for("bot_uttered")
        assert "assistant" in answer["text"]
    finally:
        client.close()
    # Rasa stores the turn after it has sent the answer: wait for the stored turn
    deadline = time.monotonic() + 60
    while not (stored := tracker_turns(cluster.settings, session["session_id"])):
        assert time.monotonic() < deadline, "le tour n'a pas été enregistré"
        time.sleep(0.2)
    assert stored[0][0] == "Bonjour"


def test_the_telegram_bridge_talks_through_the_balancer(cluster):
    settings = cluster.settings
    with FakeTelegram() as telegram:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
        env.update(
            {
                "TELEGRAM_BOT_TOKEN": telegram.token,
                "TELEGRAM_API_BASE_URL": telegram.base_url,
                "TELEGRAM_STATE_DB": str(settings.servers.log_dir / "telegram.sqlite"),
                "RASA_URL": cluster.url,
            }
        )
        with (settings.servers.log_dir / "telegram.log").open("ab") as log:
            bridge = subprocess.Popen(
                [sys.executable, "-m", "bot.telegram"],
                cwd=PROJECT_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            telegram.wait_for(lambda: telegram.calls_to("deleteWebhook"), timeout=60)
            telegram.send_text(7001, "je veux ouvrir une épicerie à Roubaix, je suis au chômage")
            sent = telegram.wait_for(
                lambda: (
                    [
                        p
                        for p in telegram.sent(7001)
                        if any(q in unescape(p["text"]) for q in QUESTIONS)
                    ]
                    or None
                ),
                timeout=120,
            )
            assert sent
        finally:
            bridge.terminate()
            bridge.wait(timeout=30)
