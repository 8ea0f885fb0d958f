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
    assert result["emitted"] == [
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
