"""A fake Rasa REST channel for the bridge's unit tests: plain HTTP on 127.0.0.1.

It records what it receives at `/webhooks/rest/webhook` and answers with `reply(message)`
(with HTTP `status`, 200 unless a test changes it); like the real channel, it answers 403 to a
post without the REST secret (bot/keys.py).
`down()` closes the port (connection refused, as when Rasa is stopped); `up()` reopens it on
the same port.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bot import keys

Reply = Callable[[dict[str, Any]], list[dict[str, Any]]]


def echo(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"recipient_id": message["sender"], "text": f"Reçu : {message['message']}"}]


class FakeRasa:
    def __init__(self, reply: Reply = echo) -> None:
        self.reply = reply
        self.status = 200  # set to 4xx/5xx to make Rasa refuse messages
        self.received: list[dict[str, Any]] = []
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

            def do_GET(self) -> None:  # the REST channel's health route, as Rasa answers it
                ok = self.path == "/webhooks/rest/"
                data = json.dumps({"status": "ok"} if ok else {"error": "not found"}).encode()
                self.send_response(200 if ok else 404)
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
