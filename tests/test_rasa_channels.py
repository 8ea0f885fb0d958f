"""rasa_extensions/channels.py, loaded by the Rasa runtime (.venv-rasa): the message length cap and
the socket.io Origin check, checked inside that runtime (no server started)."""

from __future__ import annotations

import json
import subprocess

import pytest

from settings import PROJECT_DIR, get_settings

pytestmark = pytest.mark.rasa

PROBE = """
import asyncio, json
from rasa_extensions.channels import CappedRestInput, WebSocketIOInput, capped

received = []
async def on_new_message(message):
    received.append(message.text)

socketio = WebSocketIOInput.from_credentials({
    "session_persistence": True, "metadata_key": "metadata", "max_message_chars": 10,
    "allowed_origins": " https://www.ville.fr/ ,http://localhost:8080"})
socketio.blueprint(on_new_message)
handle = socketio.sio.handlers["/"]["user_uttered"]
asyncio.run(handle("sid", {"message": "x" * 50, "session_id": "s1", "metadata": {}}))
asyncio.run(handle("sid", {"message": "court", "session_id": "s1", "metadata": {}}))

open_channel = WebSocketIOInput.from_credentials({"allowed_origins": ""})
open_channel.blueprint(on_new_message)
rest = CappedRestInput.from_credentials(None)

class Message:
    text = "y" * 12000
asyncio.run(capped(on_new_message, rest.max_message_chars)(Message()))
print(json.dumps({
    "texts": received, "origins": socketio.sio.eio.cors_allowed_origins,
    "open_origins": open_channel.sio.eio.cors_allowed_origins,
    "frame": socketio.sio.eio.max_http_buffer_size, "names": [socketio.name(), rest.name()]}))
"""


def test_messages_are_capped_and_origins_checked_inside_rasa():
    python = get_settings().rasa.bin.parent / "python"
    done = subprocess.run(
        [str(python), "-c", PROBE],
        cwd=PROJECT_DIR,
        capture_output=True,
        check=False,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["texts"] == ["x" * 10, "court", "y" * 10000]
    assert result["origins"] == ["https://www.ville.fr", "http://localhost:8080"]
    assert result["open_origins"] == []  # no list: engine.io does not check (Rasa's default)
    assert result["frame"] == 64 * 1024
    assert result["names"] == ["socketio", "rest"]
