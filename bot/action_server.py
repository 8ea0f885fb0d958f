"""The action server (`python -m bot.action_server`): rasa-sdk's server for `actions/`, on its
own interface, answering only the caller that presents the action token.

rasa-sdk 3.21 has no authentication and listens where SANIC_HOST says (0.0.0.0 by default):
anyone reaching it could run the erasure or lead actions with a forged tracker. Here it listens
on QP_ACTION_HOST (127.0.0.1 by default, not QP_HOST) and every route but /health requires the
`X-QP-Action-Token` header, which Rasa sends with each call (endpoints.yml, `headers`); the
token is bot.keys.action_token(), always set (derived from the server secret), so the check
holds on every interface, loopback included.
"""

from __future__ import annotations

import argparse
import hmac
import logging
import sys
from functools import partial

from rasa_sdk import utils
from rasa_sdk.endpoint import create_app_for_serve
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic, response
from sanic.request import Request
from sanic.worker.loader import AppLoader

from bot import keys
from settings import get_settings

TOKEN_HEADER = "X-QP-Action-Token"
OPEN_PATHS = {"/health"}

logger = logging.getLogger(__name__)


def create_app(token: str) -> Sanic:
    """rasa-sdk's app with the `actions` package, closed to callers without `token`."""
    executor = ActionExecutor()
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
