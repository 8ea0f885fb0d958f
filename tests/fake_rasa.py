"""A fake Rasa for the bridge's and the console's tests: plain HTTP on 127.0.0.1.

Its REST channel records what it receives at `/webhooks/rest/webhook` and answers with
`reply(message)` (with HTTP `status`, 200 unless a test changes it); like the real channel, it
answers 403 to a post without the REST secret (bot/keys.py).
Its HTTP API answers `GET /conversations/{id}/tracker` with the events of `trackers[id]` (an
empty tracker for an unknown id, as Rasa does), or `api_status` when a test sets it; like Rasa
started with `--jwt-secret`, it answers 401 without a valid token signed with the API key.
`POST /conversations/{id}/tracker/events` appends the event to `trackers[id]` (and to
`appended`), with the same token rule.
`down()` closes the port (connection refused, as when Rasa is stopped); `up()` reopens it on
the same port.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from bot import keys

Reply = Callable[[dict[str, Any]], list[dict[str, Any]]]
TRACKER_PATH = re.compile(r"/conversations/(.+)/tracker")
EVENTS_PATH = re.compile(r"/conversations/(.+)/tracker/events")


def valid_token(authorization: str | None) -> bool:
    """Whether the header carries a JSON Web Token (HS256) signed with the API key, unexpired
    and naming the admin role, as Rasa's `requires_auth` demands."""
    if not authorization or not authorization.startswith("Bearer "):
        return False
    try:
        header, payload, signature = authorization.removeprefix("Bearer ").split(".")
        expected = hmac.new(
            keys.rasa_api_key().encode(), f"{header}.{payload}".encode(), hashlib.sha256
        ).digest()
        given = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return False
    return (
        hmac.compare_digest(expected, given)
        and claims.get("exp", 0) > time.time()
        and claims.get("user", {}).get("role") == "admin"
    )


def echo(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"recipient_id": message["sender"], "text": f"Reçu : {message['message']}"}]


class FakeRasa:
    def __init__(self, reply: Reply = echo) -> None:
        self.reply = reply
        self.status = 200  # set to 4xx/5xx to make Rasa refuse messages
        self.received: list[dict[str, Any]] = []
        self.trackers: dict[str, list[dict[str, Any]]] = {}  # conversation id → its events
        self.api_status = 200  # set to 4xx/5xx to make the API fail
        self.api_calls: list[str] = []  # the conversation ids asked for
        self.appended: list[tuple[str, dict[str, Any]]] = []  # (conversation id, event)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def texts(self) -> list[str]:
        with self._lock:
            return [m["message"] for m in self.received]

    def up(self) -> FakeRasa:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # no keep-alive: down() really cuts Rasa off

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                appended = EVENTS_PATH.fullmatch(urlsplit(self.path).path)
                if appended is not None:
                    if not valid_token(self.headers.get("Authorization")):
                        self.answer(401, {"reason": "NotAuthenticated"})
                        return
                    if fake.api_status != 200:
                        self.answer(fake.api_status, {"reason": "failure"})
                        return
                    conversation_id = appended.group(1)
                    with fake._lock:
                        fake.appended.append((conversation_id, body))
                        fake.trackers.setdefault(conversation_id, []).append(body)
                    self.answer(200, {"sender_id": conversation_id})
                    return
                if self.path != "/webhooks/rest/webhook":
                    status, answer = 404, {"error": "not found"}
                elif self.headers.get(keys.REST_SECRET_HEADER) != keys.rest_secret():
                    status, answer = 403, {"erreur": "Accès refusé."}
                else:
                    with fake._lock:
                        fake.received.append(body)
                    status = fake.status
                    answer = fake.reply(body) if status == 200 else {"error": "refused"}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                tracker = TRACKER_PATH.fullmatch(path)
                if path == "/webhooks/rest/":  # the REST channel's health route
                    self.answer(200, {"status": "ok"})
                elif tracker is None:
                    self.answer(404, {"error": "not found"})
                elif not valid_token(self.headers.get("Authorization")):
                    self.answer(401, {"reason": "NotAuthenticated"})
                else:
                    conversation_id = tracker.group(1)  # as Sanic: the raw path, not decoded
                    with fake._lock:
                        fake.api_calls.append(conversation_id)
                        events = list(fake.trackers.get(conversation_id, ()))
                    if fake.api_status != 200:
                        self.answer(fake.api_status, {"reason": "failure"})
                    else:
                        self.answer(200, {"sender_id": conversation_id, "events": events})

            def answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def down(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
