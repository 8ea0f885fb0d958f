"""rasa_extensions/channels.py, loaded by the Rasa runtime (.venv-rasa): signed widget sessions,
the REST secret, bounded metadata, the message length cap and the socket.io Origin check,
checked inside that runtime (no server started)."""

from __future__ import annotations

import json
import subprocess

import pytest

from bot.web import sessions
from settings import PROJECT_DIR, get_settings

pytestmark = pytest.mark.rasa

KEY = "probe-session-key"

PROBE = """
import asyncio, json, sys
from rasa_extensions.channels import (
    CappedRestInput, ChannelConfigError, WebSocketIOInput, capped, metadata_problem, sign_session)

received = []
async def on_new_message(message):
    received.append([message.text, message.sender_id, message.metadata])

socketio = WebSocketIOInput.from_credentials({
    "session_persistence": True, "metadata_key": "metadata", "max_message_chars": 10,
    "session_key": sys.argv[2], "territories": "roubaix,grigny",
    "allowed_origins": " https://www.ville.fr/ ,http://localhost:8080"})
socketio.blueprint(on_new_message)
emitted = []
async def emit(event, data=None, room=None, namespace=None):
    emitted.append([event, room])
socketio.sio.emit = emit
socketio.sio.enter_room = lambda sid, room, namespace=None: emitted.append(["enter", room])
socketio.sio.rooms = lambda sid, namespace=None: [sid]
handle = socketio.sio.handlers["/"]["user_uttered"]
request = socketio.sio.handlers["/"]["session_request"]
token = sys.argv[1]
asyncio.run(handle("sid", {"message": "x" * 50, "session_id": "web-1", "token": token,
                           "metadata": {"territory": "roubaix"}}))
asyncio.run(handle("sid", {"message": "court", "session_id": "web-1", "token": token,
                           "metadata": {"territory": "atlantide"}}))
asyncio.run(handle("sid", {"message": "forgé", "session_id": "web-1", "token": "forgé"}))
asyncio.run(handle("sid", {"message": "forgé", "session_id": "telegram:1"}))
asyncio.run(request("sid", {"session_id": "web-1", "token": token}))
asyncio.run(request("sid2", {"session_id": "web-1", "token": token[:-1]}))
asyncio.run(request("sid3", {"session_id": None}))

open_channel = WebSocketIOInput.from_credentials({"allowed_origins": "", "session_key": "k"})
open_channel.blueprint(on_new_message)
rest = CappedRestInput.from_credentials({"secret": "s"})
refused = []
for credentials, cls in (({}, CappedRestInput), ({"secret": "s"}, WebSocketIOInput)):
    try:
        cls.from_credentials(credentials)
    except ChannelConfigError:
        refused.append(cls.__name__)

class Message:
    text, sender_id, metadata = "y" * 12000, None, None
asyncio.run(capped(on_new_message, rest.max_message_chars)(Message()))
print(json.dumps({
    "received": received, "emitted": emitted, "refused": refused,
    "signature": sign_session(sys.argv[2], "web-1"),
    "problems": [metadata_problem(m, 2048, ["roubaix"]) for m in
                 (None, {"territory": "roubaix"}, {"territory": "x"}, [], {"a": "b" * 3000})],
    "origins": socketio.sio.eio.cors_allowed_origins,
    "open_origins": open_channel.sio.eio.cors_allowed_origins,
    "frame": socketio.sio.eio.max_http_buffer_size, "names": [socketio.name(), rest.name()]}))
"""


def test_channels_check_sessions_metadata_and_lengths_inside_rasa():
    python = get_settings().rasa.bin.parent / "python"
    token = sessions.sign(KEY, "web-1")
    done = subprocess.run(
        [str(python), "-c", PROBE, token, KEY],
        cwd=PROJECT_DIR,
        capture_output=True,
        check=False,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # the web server and Rasa compute the same signature
    assert result["signature"] == token
    # signed: handled (cut to 10 characters; an unknown territory is dropped, not the message)
    assert result["received"][:2] == [
        ["x" * 10, "web-1", {"territory": "roubaix"}],
        ["court", "web-1", {}],
    ]
    # forged or missing tokens: nothing reaches Rasa (the third is the REST cap's), the socket
    # is told
    assert result["received"][2:] == [["y" * 10000, None, None]]
    # the probe's Rasa says nothing: each handled message gets the channel's French answer
    assert result["emitted"] == [
        ["bot_uttered", "web-1"],
        ["bot_uttered", "web-1"],
        ["session_refused", "sid"],
        ["session_refused", "sid"],
        ["enter", "web-1"],
        ["session_confirm", "sid"],
        ["session_refused", "sid2"],
        ["session_refused", "sid3"],
    ]
    assert result["refused"] == ["CappedRestInput", "WebSocketIOInput"]
    assert result["problems"][:2] == [None, None]
    assert all(result["problems"][2:])
    assert result["origins"] == ["https://www.ville.fr", "http://localhost:8080"]
    assert result["open_origins"] == []  # no list: engine.io does not check (Rasa's default)
    assert result["frame"] == 64 * 1024
    assert result["names"] == ["socketio", "rest"]


ANSWERS_PROBE = """
import asyncio, json
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa_extensions.channels import (
    CappedRestInput, WebSocketIOInput, answered, client_address, sign_session)
from rasa_extensions.rate_limits import WindowLimits
from rasa_extensions.tracker_store import StoreUnavailable

async def silent(message):
    pass
async def speaks(message):
    await message.output_channel.send_response(message.sender_id, {"text": "réponse"})
async def fails(message):
    raise RuntimeError("le texte du message")
async def store_down(message):
    raise StoreUnavailable()

turns = {}
for name, handler in (("silent", silent), ("speaks", speaks), ("fails", fails),
                      ("store_down", store_down)):
    output = CollectingOutputChannel()
    asyncio.run(answered(handler)(UserMessage("x", output, "s1")))
    turns[name] = [m.get("text") for m in output.messages]

# fixed windows: per key, overall, nothing counted when refused, a new window starts afresh
clock = [0.0]
limits = WindowLimits({"sender": 2, "address": 3}, overall=5, clock=lambda: clock[0])
keys = [("a", "1"), ("a", "1"), ("a", "1"), ("b", "1"), ("c", "1"), ("d", "2"), ("e", "2"),
        ("f", "3")]
allowed = [limits.allow(sender=s, address=a) for s, a in keys]
counters = limits.counters()
clock[0] = 60.0
renewed = limits.allow(sender="a", address="1")

# socket.io: the third message of a session within a minute is answered, not handled
handled = []
async def on_new_message(message):
    handled.append(message.text)
    await message.output_channel.send_response(message.sender_id, {"text": "ok"})
socketio = WebSocketIOInput.from_credentials({
    "session_key": "k", "max_messages_per_sender": 2, "max_messages_per_address": 100})
socketio.blueprint(on_new_message)
emitted = []
async def emit(event, data=None, room=None, namespace=None):
    emitted.append([event, (data or {}).get("text") if isinstance(data, dict) else data, room])
socketio.sio.emit = emit
socketio.sio.get_environ = lambda sid, namespace=None: {}
utter = socketio.sio.handlers["/"]["user_uttered"]
token = sign_session("k", "web-1")
for text in ("un", "deux", "trois", ["pas", "du", "texte"]):
    asyncio.run(utter("sid", {"message": text, "session_id": "web-1", "token": token}))

# REST: the guard answers the 31st message of a conversation within a minute
rest = CappedRestInput.from_credentials({"secret": "s"})
blueprint = rest.blueprint(on_new_message)
[guard] = [m.middleware for m in blueprint._future_middleware]
class Request:
    method = "POST"
    headers = {"X-QP-Channel-Secret": "s"}
    def __init__(self, sender):
        self.body = json.dumps({"sender": sender, "message": "Bonjour"}).encode()
passed = sum(asyncio.run(guard(Request("t1"))) is None for _ in range(30))
over = asyncio.run(guard(Request("t1")))
other = asyncio.run(guard(Request("t2")))
print(json.dumps({
    "turns": turns, "allowed": allowed, "counters": counters, "renewed": renewed,
    "handled": handled, "emitted": emitted, "passed": passed, "over_status": over.status,
    "over": json.loads(over.body), "retry_after": over.headers.get("Retry-After"),
    "other": other is None,
    "addresses": [client_address("127.0.0.1", "6.6.6.6, 10.0.0.7"),
                  client_address("203.0.113.9", "10.0.0.7"), client_address("127.0.0.1", None)],
}))
"""


def test_finding_10_chat_messages_are_rate_limited_and_every_one_is_answered_inside_rasa():
    """A turn that says nothing or fails is answered in French (the REST reply is never an
    empty list, nothing of the message is logged); messages over the per-sender limit are
    answered « Vous envoyez beaucoup de messages… » and not handled; memory stays bounded."""
    python = get_settings().rasa.bin.parent / "python"
    done = subprocess.run(
        [str(python), "-c", ANSWERS_PROBE],
        cwd=PROJECT_DIR,
        capture_output=True,
        check=False,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "le texte du message" not in done.stderr  # the log names the error's type only
    result = json.loads(done.stdout.strip().splitlines()[-1])
    turns = result["turns"]
    assert turns["speaks"] == ["réponse"]
    [silent] = turns["silent"]
    assert silent.startswith("Je n'ai pas pu vous répondre cette fois-ci.")
    assert turns["fails"] == turns["store_down"]
    assert turns["fails"][0].startswith("Un problème technique m'empêche de vous répondre")
    # sender a: 2 allowed; address 1: 3 allowed; overall: 5; then a new minute
    assert result["allowed"] == [True, True, False, True, False, True, True, False]
    assert result["counters"] <= 5 * 2
    assert result["renewed"] is True
    assert result["handled"] == ["un", "deux"]
    too_many = "Vous envoyez beaucoup de messages en peu de temps"
    texts = [text for event, text, _ in result["emitted"] if event == "bot_uttered"]
    assert texts[:2] == ["ok", "ok"]
    assert texts[2].startswith(too_many)
    assert texts[3] == "Je n'ai pas pu lire ce message : seul du texte est accepté."
    assert all(room == "web-1" for _, _, room in result["emitted"])
    assert result["passed"] == 30
    assert result["over_status"] == 200  # a bot message: the Telegram bridge relays it
    assert result["over"][0]["text"].startswith(too_many)
    assert result["retry_after"] == "60"
    assert result["other"] is True  # another conversation is not held back
    assert result["addresses"] == ["10.0.0.7", "203.0.113.9", "127.0.0.1"]


CARDS_PROBE = """
import asyncio, json
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOOutput
from rasa_extensions.channels import answered, with_cards

CARD = {"id": "acre", "rank": 1, "name": "ACRE", "why": "Vous créez",
        "url": "https://www.urssaf.fr/acre", "checks": [], "amount": None, "note": None}
BUTTONS = [{"title": "Détails", "payload": "/demander_definition"}]

async def recommends(message):
    out = message.output_channel
    await out.send_response(message.sender_id, {"text": "Voici les aides :"})
    await out.send_response(message.sender_id, {
        "text": "1. ACRE\\nMontant : —", "buttons": list(BUTTONS),
        "custom": {"data": {"aid_card": CARD}}})
    await out.send_response(message.sender_id, {"text": "Fin", "custom": {"data": {"x": 1}}})

rest = CollectingOutputChannel()
asyncio.run(with_cards(answered(recommends))(UserMessage("x", rest, "s1")))

class Sio:
    emitted = []
    async def emit(self, event, data=None, room=None, **kwargs):
        self.emitted.append([event, data, room])
sio = Sio()
socket = SocketIOOutput(sio, "bot_uttered")
asyncio.run(with_cards(answered(recommends))(UserMessage("x", socket, "web-1")))
print(json.dumps({"rest": rest.messages, "socketio": sio.emitted}))
"""


def test_a_card_leaves_rest_and_socketio_as_one_message_with_its_text():
    python = get_settings().rasa.bin.parent / "python"
    done = subprocess.run(
        [str(python), "-c", CARDS_PROBE],
        cwd=PROJECT_DIR,
        capture_output=True,
        check=False,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    card = {
        "id": "acre",
        "rank": 1,
        "name": "ACRE",
        "why": "Vous créez",
        "url": "https://www.urssaf.fr/acre",
        "checks": [],
        "amount": None,
        "note": None,
    }
    buttons = [{"title": "Détails", "payload": "/demander_definition"}]
    # REST: the card's message keeps its plain text and buttons, the card beside them; any
    # other custom payload still leaves as Rasa sends it (its own message)
    assert result["rest"] == [
        {"recipient_id": "s1", "text": "Voici les aides :"},
        {
            "recipient_id": "s1",
            "text": "1. ACRE\nMontant : —",
            "buttons": buttons,
            "custom": {"data": {"aid_card": card}},
        },
        {"recipient_id": "s1", "text": "Fin"},
        {"recipient_id": "s1", "custom": {"data": {"x": 1}}},
    ]
    # socket.io: one bot_uttered with the text, the quick replies and the card
    assert result["socketio"][1] == [
        "bot_uttered",
        {
            "text": "1. ACRE\nMontant : —",
            "quick_replies": [{"content_type": "text", **button} for button in buttons],
            "aid_card": card,
        },
        "web-1",
    ]
    assert result["socketio"][0] == ["bot_uttered", {"text": "Voici les aides :"}, "web-1"]
