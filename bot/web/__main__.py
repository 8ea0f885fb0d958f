"""`python -m bot.web [--port N]`: serve the widget and the demo page (settings.py)."""

from __future__ import annotations

import argparse
import dataclasses
import sys

import uvicorn

from bot.console.settings import ConsoleConfigError
from bot.web.app import create_app
from bot.web.settings import WebSettings


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.web", description=__doc__)
    parser.add_argument("--port", type=int, help="port d'écoute (sinon WEB_PORT, 8080)")
    parser.add_argument("--rasa-url", help="adresse de Rasa vue du navigateur (QP_WEB_RASA_URL)")
    args = parser.parse_args()
    settings = WebSettings()
    if args.port:
        settings = dataclasses.replace(settings, port=args.port)
    if args.rasa_url:
        settings = dataclasses.replace(settings, rasa_url=args.rasa_url.rstrip("/"))
    try:
        app = create_app(settings)
    except ConsoleConfigError as error:
        print(f"serveur web : {error}", file=sys.stderr)
        raise SystemExit(2) from None
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="info",
        access_log=False,
        server_header=False,
    )


if __name__ == "__main__":
    main()
