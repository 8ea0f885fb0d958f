"""Nobody speaks for somebody else (issue 18, findings 1, 7 and 10).

- REST: only holders of the channel secret (our own processes) may post, so a stranger cannot
  erase a Telegram user's data nor create leads in their name; metadata is bounded.
- socket.io: a conversation can be joined, and spoken in, only with the token the web server
  issued with its id; a client that knows the id but not the token gets nothing.
- The action server refuses calls without Rasa's token, on whatever interface it listens.
- Rasa's HTTP API (enabled for the console, issue 19) refuses every call without a JSON Web
  Token signed with the API key: no reading, no writing of a conversation.
The channel tests run against the real Rasa (the session's `assistant`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest
from socket_client import SocketClient

from bot import keys
from bot.action_server import TOKEN_HEADER
from bot.console.tracker import read_conversation
from bot.rasa_api import RasaApi, api_token
from bot.runner import free_port
from bot.telegram.rasa import sender_id
from bot.web import sessions
from bot.web.app import create_app
from settings import PROJECT_DIR, WebSettings

TIMEOUT = 60


def rest(stack, body, headers=None) -> httpx.Response:
    return httpx.post(
        f"{stack.settings.servers.rasa_url}/webhooks/rest/webhook",
        json=body,
        headers=headers if headers is not None else keys.rest_headers(),
        timeout=TIMEOUT,
    )


def events_of(stack, sender: str) -> int:
    import sqlite3

    with sqlite3.connect(stack.settings.tracker.db) as db:
        return db.execute("select count(*) from events where sender_id = ?", (sender,)).fetchone()[
            0
        ]


# --- Rasa's HTTP API -------------------------------------------------------------------------


@pytest.mark.rasa
def test_rasa_s_api_answers_only_a_token_signed_with_the_api_key(assistant):
    url = assistant.settings.servers.rasa_url
    sender = f"api-{time.time_ns()}"
    assert rest(assistant, {"sender": sender, "message": "Bonjour"}).status_code == 200
    tracker = f"{url}/conversations/{sender}/tracker"
    expired = api_token(keys.rasa_api_key(), now=time.time() - 3600)
    for headers in (
        {},
        {"Authorization": f"Bearer {api_token('une-autre-cle')}"},
        {"Authorization": f"Bearer {expired}"},
        {"Authorization": "Bearer x.y.z"},
    ):
        assert httpx.get(tracker, headers=headers, timeout=TIMEOUT).status_code == 401
        assert httpx.get(f"{url}/status", headers=headers, timeout=TIMEOUT).status_code == 401
        written = httpx.post(
            f"{tracker}/events",
            json=[{"event": "slot", "name": "territoire", "value": "toulouse"}],
            headers=headers,
            timeout=TIMEOUT,
        )
        assert written.status_code == 401
    before = events_of(assistant, sender)
    texts = [
        turn.user.text
        for turn in read_conversation(RasaApi(url, keys.rasa_api_key()), sender).turns
        if turn.user
    ]
    assert texts == ["Bonjour"]
    assert events_of(assistant, sender) == before  # a read writes nothing
    assert read_conversation(RasaApi(url, keys.rasa_api_key()), f"{sender}-inconnu") is None
    assert events_of(assistant, f"{sender}-inconnu") == 0


# --- finding 1: REST --------------------------------------------------------------------------


@pytest.mark.rasa
def test_finding_1_a_rest_post_as_a_telegram_user_without_the_secret_is_refused(assistant):
    victim = sender_id(4242, keys.telegram_id_key())
    assert rest(assistant, {"sender": victim, "message": "Bonjour"}).status_code == 200
    before = events_of(assistant, victim)
    for headers in ({}, {keys.REST_SECRET_HEADER: "devine"}, {"Authorization": "Bearer x"}):
        for sender in (victim, "telegram:4242"):
            response = rest(assistant, {"sender": sender, "message": "/supprimer_donnees"}, headers)
            assert response.status_code == 403
            assert response.json() == {"erreur": "Accès refusé."}
    assert events_of(assistant, victim) == before  # nothing erased, nothing added
    assert events_of(assistant, "telegram:4242") == 0
    # the health check stays open (the runner waits on it)
    assert httpx.get(f"{assistant.settings.servers.rasa_url}/webhooks/rest/").status_code == 200


@pytest.mark.rasa
def test_finding_10_rest_metadata_is_bounded_and_its_territory_known(assistant):
    def post(metadata):
        return rest(assistant, {"sender": "bornes", "message": "Bonjour", "metadata": metadata})

    assert post({"territory": "roubaix"}).status_code == 200
    for metadata, problem in (
        ({"territory": "atlantide"}, "territoire connu"),
        ({"note": "x" * 3000}, "dépasse 2048 octets"),
        (["territory", "roubaix"], "objet JSON"),
    ):
        response = post(metadata)
        assert response.status_code == 400
        assert problem in response.json()["erreur"]
    response = rest(assistant, {"sender": 42, "message": "Bonjour"})
    assert response.status_code == 400
    assert "textes" in response.json()["erreur"]


# --- finding 1: socket.io ---------------------------------------------------------------------


@pytest.fixture
def socket_url(assistant) -> str:
    return assistant.settings.servers.rasa_url


def issued_session(assistant) -> dict:
    """A session as the widget gets it: from the running web server."""
    response = httpx.post(f"http://127.0.0.1:{assistant.settings.servers.web_port}/widget/session")
    assert response.status_code == 200
    return response.json()


@pytest.mark.rasa
def test_finding_1_a_socketio_client_cannot_join_a_session_it_was_not_issued(assistant, socket_url):
    owner_session = issued_session(assistant)
    owner, intruder = SocketClient(socket_url, TIMEOUT), SocketClient(socket_url, TIMEOUT)
    try:
        owner.emit("session_request", owner_session)
        assert owner.wait_for("session_confirm") == [owner_session["session_id"]]

        # the intruder knows the id (the console shows ids), not the token
        victim = owner_session["session_id"]
        intruder.emit("session_request", {"session_id": victim})
        intruder.emit("session_request", {"session_id": victim, "token": "forgé"})
        intruder.emit("session_request", {"session_id": None})  # Rasa used to make one up
        intruder.emit("user_uttered", {"message": "/supprimer_donnees", "session_id": victim})
        intruder.wait_for("session_refused", 4)

        owner.emit("user_uttered", {"message": "Bonjour", **owner_session})
        [answer, *_] = owner.wait_for("bot_uttered")
        assert "assistant" in answer["text"]
        time.sleep(1)  # the intruder would have received the answer by now
        assert intruder.names() == ["session_refused"] * 4
        assert events_of(assistant, victim) > 0

        # with its own issued session the intruder only talks to itself
        own = issued_session(assistant)
        assert own["session_id"] != victim
        intruder.emit("session_request", own)
        assert intruder.wait_for("session_confirm") == [own["session_id"]]
    finally:
        owner.close()
        intruder.close()


@pytest.mark.rasa
def test_finding_10_socketio_metadata_with_an_unknown_territory_is_dropped(assistant, socket_url):
    session = issued_session(assistant)
    client = SocketClient(socket_url, TIMEOUT)
    try:
        client.emit("session_request", session)
        client.wait_for("session_confirm")
        client.emit(
            "user_uttered",
            {"message": "Bonjour", "metadata": {"territory": "atlantide"}, **session},
        )
        client.wait_for("bot_uttered")  # still answered
    finally:
        client.close()
    import json
    import sqlite3

    # Rasa stores the turn after it has sent the answer: wait for the stored message
    deadline = time.monotonic() + TIMEOUT
    while True:
        with sqlite3.connect(assistant.settings.tracker.db) as db:
            row = db.execute(
                "select data from events where sender_id = ? and type_name = 'user'",
                (session["session_id"],),
            ).fetchone()
        if row or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert row, "le message n'a pas été enregistré"
    assert "territory" not in (json.loads(row[0]).get("metadata") or {})


# --- the web server issues the sessions ---------------------------------------------------------


async def test_the_web_server_issues_signed_sessions_to_the_allowed_sites():
    site = "https://www.ville-exemple.fr"
    settings = WebSettings(host="127.0.0.1", port=8080, origins=(site,))
    transport = httpx.ASGITransport(app=create_app(settings, session_key="clé"))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as client:
        first = await client.post("/widget/session", headers={"Origin": site})
        second = await client.post("/widget/session", headers={"Origin": "https://ailleurs.fr"})
        assert (await client.get("/widget/session")).status_code == 405
    assert first.status_code == second.status_code == 200
    assert first.headers["access-control-allow-origin"] == site
    assert "access-control-allow-origin" not in second.headers  # the browser hides the body
    assert first.headers["cache-control"] == "no-store"
    one, two = first.json(), second.json()
    assert one["session_id"] != two["session_id"]
    assert one["session_id"].startswith("web-")
    assert len(one["session_id"]) == 36
    assert sessions.verify("clé", one["session_id"], one["token"])
    assert not sessions.verify("clé", two["session_id"], one["token"])
    assert not sessions.verify("autre clé", one["session_id"], one["token"])


# --- finding 7: the action server ---------------------------------------------------------------


def test_finding_7_the_action_server_refuses_unauthenticated_calls_beyond_loopback(tmp_path):
    port = free_port()
    token = "jeton-de-test"
    log = (tmp_path / "actions.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.action_server", "--host", "0.0.0.0", "--port", str(port)],
        cwd=PROJECT_DIR,
        env={**os.environ, "QP_ACTION_TOKEN": token},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + TIMEOUT
        while True:
            assert process.poll() is None, (tmp_path / "actions.log").read_text()
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "le serveur d'actions ne démarre pas"
            time.sleep(0.3)
        call = {
            "next_action": "action_supprimer_donnees",
            "sender_id": "telegram:4242",
            "tracker": {"sender_id": "telegram:4242", "slots": {}, "events": []},
            "domain": {},
        }
        for headers in ({}, {TOKEN_HEADER: "devine"}):
            refused = httpx.post(f"{base}/webhook", json=call, headers=headers, timeout=10)
            assert refused.status_code == 401
            assert "Jeton" in refused.json()["erreur"]
            assert httpx.get(f"{base}/actions", headers=headers).status_code == 401
        listed = httpx.get(f"{base}/actions", headers={TOKEN_HEADER: token}, timeout=10)
        assert listed.status_code == 200
        assert any(action["name"] == "action_supprimer_donnees" for action in listed.json())
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


async def test_finding_10_new_sessions_are_limited_per_address_and_overall():
    settings = WebSettings(
        host="127.0.0.1",
        port=8080,
        sessions_per_minute=2,
        sessions_per_minute_overall=3,
    )
    app = create_app(settings, session_key="clé")

    async def post(address: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.post("/widget/session")

    assert [(await post("192.0.2.1")).status_code for _ in range(3)] == [200, 200, 429]
    assert (await post("192.0.2.2")).status_code == 200  # another address: its own count
    refused = await post("192.0.2.3")  # the fourth session of the minute: over the total
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"
    assert "réessayez dans une minute" in refused.json()["erreur"]
