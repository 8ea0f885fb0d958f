"""The HAProxy configuration of the cluster (bot/cluster.py), written from the settings.

One frontend on QP_HOST:RASA_PORT, where the single Rasa of `make run` would be, and two
backends over the same N Rasa replicas:

- REST (`/webhooks/rest/…`): the request body is buffered and hashed on its JSON `sender`
  (`balance hash req.body,json_query('$.sender')`, consistent hashing), so every turn of a
  conversation goes to the same replica, and only the conversations of a replica that goes
  down move. A request whose replica dies before answering (connection refused or closed
  without a response) is sent once more to another replica (`retry-on conn-failure
  empty-response`, `option redispatch`); Rasa's Redis lock store makes it wait until the dead
  replica's lock on that conversation expires (QP_LOCK_LIFETIME). No other failure is retried:
  a turn that was answered slowly must not run twice.
- socket.io (`/socket.io/…`): the widget opens one WebSocket per visitor (transports:
  websocket), a single long connection that stays on its replica; new connections are hashed
  on the client address (`balance source`), so polling clients stay put too.

A replica gets at most 20 REST requests at once (`maxconn 20`; WebSockets are not limited):
Rasa computes one turn at a time anyway, and the others wait in HAProxy's queue, in order,
instead of overflowing Rasa's listen backlog (connections refused under load). A replica is
checked every 2 s (`GET /webhooks/rest/`, 200 expected within 10 s: a Rasa process busy with
turns on a loaded machine answers late but is alive; down after 3 misses, checked every 0.5 s
once one failed), and marked down as soon as 3 requests fail to connect to it (`observe
layer4`), so the retries of a dead replica's requests go to another one.
When no replica can take a request, HAProxy answers 502/503/504 with a French JSON body
`{"erreur": "… réessayez …"}`, the shape of the REST channel's own refusals
(rasa_extensions/channels.py); the Telegram bridge tells its user and sends the message again
later (bot/telegram/), the widget tells its visitor and reconnects.

Traffic is not logged (client addresses are personal data); only HAProxy's notices (a replica
down or up) go to its log.
"""

from __future__ import annotations

import json
from pathlib import Path

from settings import Settings

RETRY_TEXT = (
    "L'assistant est momentanément indisponible. Réessayez dans quelques secondes : "
    "si votre message n'a pas reçu de réponse, envoyez-le de nouveau."
)
ERRORS = {
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
# A conversation turn may wait for the lock of a dead replica (QP_LOCK_LIFETIME) and for the
# queue of a loaded one: the server timeout is generous; WebSockets live up to an hour idle.
SERVER_TIMEOUT_SECONDS = 300


def error_response(status: int) -> bytes:
    """A complete HTTP response for HAProxy's `errorfile`: French JSON, like the channel's."""
    body = json.dumps({"erreur": RETRY_TEXT}, ensure_ascii=False).encode()
    head = (
        f"HTTP/1.1 {status} {ERRORS[status]}\r\n"
        "Content-Type: application/json; charset=utf-8\r\n"
        "Cache-Control: no-store\r\n"
        "Retry-After: 5\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body


def config_text(settings: Settings, errors_dir: Path) -> str:
    servers, cluster = settings.servers, settings.cluster
    lock_seconds = settings.lock_store.lifetime
    replicas = [
        f"    server rasa{index + 1} 127.0.0.1:{cluster.rasa_port + index} check"
        for index in range(cluster.replicas)
    ]
    if servers.host not in {"0.0.0.0", "::", "127.0.0.1", "localhost"}:
        replicas = [line.replace("127.0.0.1", servers.host) for line in replicas]
    errorfiles = "\n".join(
        f"    errorfile {status} {errors_dir / f'{status}.http'}" for status in ERRORS
    )
    return f"""# Written by bot/haproxy.py for `make run-cluster`; edit the settings, not this file.
global
    log stderr format raw local0 notice
    maxconn 2000
    # a REST body up to the channel's 10,000 characters and 2 KiB of metadata fits the buffer
    tune.bufsize 65536

defaults
    mode http
    log global
    option dontlognull
    timeout connect 5s
    # requests beyond a replica's maxconn wait here, in order, not in Rasa's listen backlog
    timeout queue 300s
    timeout client {SERVER_TIMEOUT_SECONDS}s
    timeout server {max(SERVER_TIMEOUT_SECONDS, 3 * lock_seconds)}s
    timeout http-request 30s
    timeout tunnel 1h
    # a check waits up to 10 s: a Rasa process busy with a turn answers late, it is not dead
    timeout check 10s
    retries 2
    option redispatch 1
    # a new server connection per request: no race with Rasa closing an idle one
    http-reuse never
{errorfiles}

frontend rasa
    bind {servers.host}:{servers.rasa_port}
    acl socketio path_beg /socket.io
    use_backend rasa_socketio if socketio
    default_backend rasa_rest

backend rasa_rest
    option http-buffer-request
    balance hash req.body,json_query('$.sender')
    hash-type consistent
    retry-on conn-failure empty-response
    option httpchk GET /webhooks/rest/
    http-check expect status 200
    default-server inter 2s fastinter 500ms fall 3 rise 2 maxconn 20
    default-server observe layer4 error-limit 3 on-error mark-down
{chr(10).join(replicas)}

backend rasa_socketio
    balance source
    hash-type consistent
    option httpchk GET /webhooks/rest/
    http-check expect status 200
    default-server inter 2s fastinter 500ms fall 3 rise 2
    default-server observe layer4 error-limit 3 on-error mark-down
{chr(10).join(replicas)}
"""


def write_config(settings: Settings, run_dir: Path) -> Path:
    """Write haproxy.cfg and its French error responses under `run_dir`; return the file."""
    errors_dir = run_dir / "errors"
    errors_dir.mkdir(parents=True, exist_ok=True)
    for status in ERRORS:
        (errors_dir / f"{status}.http").write_bytes(error_response(status))
    config = run_dir / "haproxy.cfg"
    config.write_text(config_text(settings, errors_dir), encoding="utf-8")
    return config
