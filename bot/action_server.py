"""The action server (`python -m bot.action_server`): rasa-sdk's server for `actions/`, on its
own interface, answering only the caller that presents the action token.

rasa-sdk 3.21 has no authentication and listens where SANIC_HOST says (0.0.0.0 by default):
anyone reaching it could run the erasure or lead actions with a forged tracker. Here it listens
on QP_ACTION_HOST (127.0.0.1 by default, not QP_HOST) and every route but /health requires the
`X-QP-Action-Token` header, which Rasa sends with each call (endpoints.yml, `headers`); the
token is bot.keys.action_token(), always set (derived from the server secret), so the check
holds on every interface, loopback included.

An action that fails (the catalogue database locked or unreachable, a bug) answers the person
in French that a technical problem stopped the answer, instead of rasa-sdk's HTTP 500, which
Rasa only logs (the person would get silence) and whose body echoes the whole tracker. The
log names the action and the error's type, never the tracker's content.
"""

from __future__ import annotations

import argparse
import hmac
import logging
import sys
from functools import partial
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
from sanic.worker.loader import AppLoader

from bot import keys
from settings import get_settings

TOKEN_HEADER = "X-QP-Action-Token"
OPEN_PATHS = {"/health"}
ACTION_FAILED_TEXT = (
    "Un problème technique m'empêche de terminer cette réponse. Veuillez réessayer dans un "
    "instant : ce que vous m'avez déjà dit est conservé."
)

logger = logging.getLogger(__name__)


class AnsweringExecutor(ActionExecutor):
    """rasa-sdk's executor; an action that raises answers ACTION_FAILED_TEXT, changing
    nothing in the conversation."""

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


def create_app(token: str) -> Sanic:
    """rasa-sdk's app with the `actions` package, closed to callers without `token`."""
    executor = AnsweringExecutor()
    executor.register_package("actions")
    app = create_app_for_serve(executor, cors_origins=None)

    @app.on_request
    async def require_token(request: Request) -> response.HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get(TOKEN_HEADER, "")
        if hmac.compare_digest(given.encode(), token.encode()):
            return None
        return response.json({"erreur": "Jeton du serveur d'actions absent ou invalide."}, 401)

    return app


def serve(host: str, port: int, token: str) -> None:
    loader = AppLoader(factory=partial(create_app, token))
    app = loader.load()
    app.prepare(host=host, port=port, workers=1, access_log=False)
    logger.info("Action server listening on %s:%s", host, port)
    Sanic.serve(primary=app, app_loader=loader)


def main(argv: list[str] | None = None) -> int:
    settings = get_settings().servers
    parser = argparse.ArgumentParser(prog="python -m bot.action_server", description=__doc__)
    parser.add_argument("--host", default=settings.action_host, help="interface (QP_ACTION_HOST)")
    parser.add_argument("--port", type=int, default=settings.action_port, help="port (ACTION_PORT)")
    args = parser.parse_args(argv)
    token = keys.action_token()
    utils.configure_colored_logging("INFO")
    utils.update_sanic_log_level()
    serve(args.host, args.port, token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
