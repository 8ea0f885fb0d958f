"""The web server's request context and measures (ASGI middleware), and its /metrics route.

Each HTTP request gets its request id (bot/logs.py: the caller's `X-Request-ID`, else a new
one), sent back in the response's `X-Request-ID`; its route (the first segment of the path:
`/console`, `/static`, `/widget`…, never a full path) and status are counted and timed
(bot/metrics.py). Unexpected exceptions are logged with their kind only.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot import logs, metrics

logger = logging.getLogger(__name__)
KNOWN_ROUTES = {"", "health", "widget", "static", "console", "metrics"}


def route_of(path: str) -> str:
    first = path.strip("/").split("/", 1)[0]
    return "/" + first if first in KNOWN_ROUTES else "autre"


class Observed:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        request_id = logs.accept_request_id(headers.get("x-request-id"))
        token = logs.set_request_id(request_id)
        route = route_of(scope.get("path", "/"))
        status = {"code": 500}
        started = time.perf_counter()

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as error:
            logger.error("request failed on %s (%s)", route, type(error).__name__)
            raise
        finally:
            metrics.WEB_REQUESTS.labels(route=route, status=str(status["code"])).inc()
            metrics.WEB_SECONDS.labels(route=route).observe(time.perf_counter() - started)
            logs.reset_request_id(token)


def metrics_endpoint(token: str) -> Any:
    async def endpoint(request: Request) -> Response:
        client = request.client.host if request.client else None
        if not metrics.allowed(client, request.headers, token):
            return PlainTextResponse("Accès refusé.", status_code=403)
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})

    return endpoint
