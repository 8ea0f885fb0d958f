"""`python -m bot.web [--port N]`: serve the widget, the demo page and the console."""

from __future__ import annotations

import argparse
import sys

import uvicorn

from bot import logs
from bot.web.app import create_app
from settings import SettingsError, get_settings


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.web", description=__doc__)
    parser.add_argument("--port", type=int, help="port d'écoute (sinon WEB_PORT, 8080)")
    parser.add_argument("--rasa-url", help="adresse de Rasa vue du navigateur (QP_WEB_RASA_URL)")
    args = parser.parse_args()
    try:
        everything = get_settings()
    except SettingsError as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 2
    settings = everything.web
    if args.port:
        settings = settings.model_copy(update={"port": args.port})
    if args.rasa_url:
        settings = settings.model_copy(update={"rasa_url": args.rasa_url.rstrip("/")})
    logs.configure(everything.observability.log_format)
    uvicorn.run(
        create_app(settings, everything.console, observability=everything.observability),
        host=settings.host,
        port=settings.port,
        log_level="info",
        log_config=logs.uvicorn_log_config(),  # keep our JSON handler (bot/logs.py)
        access_log=False,
        server_header=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
