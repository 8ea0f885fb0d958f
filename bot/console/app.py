"""The console application, mounted at /console by the web server: its sections, the signed
session cookie (HttpOnly, SameSite=Strict, Secure unless explicitly served in plain HTTP on
this machine for development) and the French error pages."""

from __future__ import annotations

import logging
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from bot.console import auth, catalogue, conversations, corrections, debug_chat, home, leads
from bot.console.auth import SignInGuard
from bot.console.pages import error_page
from bot.console.settings import ConsoleSettings

STATIC_DIR = Path(__file__).resolve().parent / "static"
# Order matters: a correction's address extends a conversation's, matched first.
SECTIONS = (auth, home, debug_chat, corrections, conversations, leads, catalogue)


def create_console(settings: ConsoleSettings | None = None) -> Starlette:
    settings = settings or ConsoleSettings()

    async def not_found(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        if status == 405:
            return error_page(
                request, 405, "Action impossible", "Cette adresse ne s'utilise pas ainsi."
            )
        return error_page(request, 404, "Page introuvable", "Cette page n'existe pas ou plus.")

    async def server_error(request: Request, exc: Exception) -> Response:
        return error_page(
            request,
            500,
            "Erreur",
            "Une erreur s'est produite ; elle a été enregistrée dans le journal "
            "du serveur. Réessayez, ou contactez l'administrateur.",
        )

    routes = [route for section in SECTIONS for route in section.routes]
    routes.append(Mount("/static", StaticFiles(directory=STATIC_DIR), name="console-static"))
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(
                SessionMiddleware,
                secret_key=settings.secret,
                session_cookie="qp_console",
                path="/console",
                max_age=settings.session_hours * 3600,
                same_site="strict",
                https_only=settings.secure_cookie,
            )
        ],
        exception_handlers={HTTPException: not_found, 500: server_error},
    )
    app.state.console_settings = settings
    app.state.signin_guard = SignInGuard(settings)
    if not settings.secure_cookie:
        logging.getLogger(__name__).warning(
            "console: cookie de session sans « Secure » (QP_CONSOLE_HTTP_LOCAL=1) : "
            "développement en HTTP local seulement"
        )
    return app
