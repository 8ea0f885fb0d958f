"""The action server (`python -m bot.action_server`): rasa-sdk's server for `actions/`, on its
own interface, answering only the caller that presents the action token.

rasa-sdk 3.21 has no authentication and listens where SANIC_HOST says (0.0.0.0 by default):
anyone reaching it could run the erasure or lead actions with a forged tracker. Here it listens
on QP_ACTION_HOST (127.0.0.1 by default, not QP_HOST) and every route but /health (and
/metrics, below) requires the
`X-QP-Action-Token` header, which Rasa sends with each call (endpoints.yml, `headers`); the
token is bot.keys.action_token(), always set (derived from the server secret), so the check
holds on every interface, loopback included.

An action that fails (the catalogue database locked or unreachable, a bug) answers the person
in French that a technical problem stopped the answer, instead of rasa-sdk's HTTP 500, which
Rasa only logs (the person would get silence) and whose body echoes the whole tracker. The
log names the action and the error's type, never the tracker's content.

`/metrics` (bot/metrics.py) does not take the action token but its own rule: this machine
only, or QP_METRICS_TOKEN. Each action is timed and counted, the messages of the trackers Rasa
sends are counted as turns, exceptions by kind. Logs are JSON lines (bot/logs.py) with the
caller's `X-Request-ID` or a new one, sent back in the response.
"""

from __future__ import annotations

import argparse
import hmac
import logging
import sys
import time
from typing import Any

from rasa_sdk import utils
from rasa_sdk.endpoint import create_app_for_serve
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher
from rasa_sdk.interfaces import (
    ActionExecutionRejection,
    ActionMissingDomainException,
    ActionNotFoundException,
)
from sanic import Sanic, response
from sanic.request import Request

from bot import keys, logs, metrics
from catalog import leads
from settings import ObservabilitySettings, get_settings

TOKEN_HEADER = "X-QP-Action-Token"
OPEN_PATHS = {"/health", "/metrics"}  # /metrics: its own rule (bot/metrics.py)
ACTION_FAILED_TEXT = (
    "Un problème technique m'empêche de terminer cette réponse. Veuillez réessayer dans un "
    "instant : ce que vous m'avez déjà dit est conservé."
)

logger = logging.getLogger(__name__)


class MeasuredExecutor(ActionExecutor):
    """rasa-sdk's executor, each run timed and counted (bot/metrics.py)."""

    def __init__(self) -> None:
        super().__init__()
        self.turns = metrics.TurnCounter()

    async def run(self, action_call: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        name = str(action_call.get("next_action") or "inconnue")[:80]
        tracker = action_call.get("tracker") or {}
        self.turns.count(str(tracker.get("sender_id") or ""), tracker.get("events") or [])
        if name in metrics.FALLBACK_ACTIONS:
            metrics.FALLBACKS.labels(action=name).inc()
        started = time.perf_counter()
        try:
            return await super().run(action_call, *args, **kwargs)
        except (ActionExecutionRejection, ActionNotFoundException, ActionMissingDomainException):
            raise  # Rasa's own protocol (a form's « ask again », an unknown name), not errors
        except Exception as error:
            metrics.ERRORS.labels(action=name, exception=type(error).__name__).inc()
            raise  # AnsweringExecutor logs it and answers the person
        finally:
            metrics.ACTION_SECONDS.labels(action=name).observe(time.perf_counter() - started)


def _count_lead(territory: str | None, channel: str | None) -> None:
    metrics.LEADS.labels(
        territory=(territory or "aucun")[:64], channel=(channel or "inconnu")[:40]
    ).inc()


class AnsweringExecutor(MeasuredExecutor):
    """rasa-sdk's executor, measured; an action that raises answers ACTION_FAILED_TEXT,
    changing nothing in the conversation (after MeasuredExecutor counted the error)."""

    async def run(self, action_call: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().run(action_call, *args, **kwargs)
        except (ActionExecutionRejection, ActionNotFoundException, ActionMissingDomainException):
            raise  # Rasa's own protocol (a form rejecting its turn, an unknown name)
        except Exception as error:  # noqa: BLE001 - the person gets a French message instead
            logger.error(
                "action %s failed (%s)", action_call.get("next_action"), type(error).__name__
            )
            dispatcher = CollectingDispatcher()
            dispatcher.utter_message(text=ACTION_FAILED_TEXT)
            return self._create_api_response([], dispatcher.messages)


def create_app(token: str, observability: ObservabilitySettings | None = None) -> Sanic:
    """rasa-sdk's app with the `actions` package, closed to callers without `token`."""
    observability = observability or get_settings().observability
    executor = AnsweringExecutor()
    executor.register_package("actions")
    if _count_lead not in leads.ON_SAVED:
        leads.ON_SAVED.append(_count_lead)
    app = create_app_for_serve(executor, cors_origins=None)
    # After Sanic configured its loggers: ours replace them, in the worker process it starts.
    logs.configure(observability.log_format)

    @app.on_request
    async def require_token(request: Request) -> response.HTTPResponse | None:
        request_id = logs.accept_request_id(request.headers.get(logs.HEADER))
        logs.set_request_id(request_id)
        request.ctx.request_id = request_id
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get(TOKEN_HEADER, "")
        if hmac.compare_digest(given.encode(), token.encode()):
            return None
        return response.json({"erreur": "Jeton du serveur d'actions absent ou invalide."}, 401)

    @app.on_response
    async def tell_request_id(request: Request, answer: response.HTTPResponse) -> None:
        answer.headers[logs.HEADER] = getattr(request.ctx, "request_id", "")

    @app.get("/metrics")
    async def metrics_route(request: Request) -> response.HTTPResponse:
        if not metrics.allowed(request.ip, request.headers, observability.metrics_token):
            return response.text("Accès refusé.", status=403)
        body, content_type = metrics.exposition()
        return response.raw(body, content_type=content_type)

    return app


def serve(host: str, port: int, token: str) -> None:
    """In this process: Sanic's worker manager would add two processes (itself and its state
    manager) that poll each other several times a second, for one worker."""
    app = create_app(token)
    app.prepare(host=host, port=port, single_process=True, access_log=False)
    logger.info("Action server listening on %s:%s", host, port)
    Sanic.serve_single(primary=app)


def main(argv: list[str] | None = None) -> int:
    settings = get_settings().servers
    parser = argparse.ArgumentParser(prog="python -m bot.action_server", description=__doc__)
    parser.add_argument("--host", default=settings.action_host, help="interface (QP_ACTION_HOST)")
    parser.add_argument("--port", type=int, default=settings.action_port, help="port (ACTION_PORT)")
    args = parser.parse_args(argv)
    token = keys.action_token()
    utils.update_sanic_log_level()
    logs.configure(get_settings().observability.log_format)
    serve(args.host, args.port, token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
