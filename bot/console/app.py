"""The console application, mounted at /console by the web server: its sections, the signed
session cookie (HttpOnly, SameSite=Strict, Secure unless explicitly served in plain HTTP on
this machine for development) and the French error pages."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from bot.console import (
    auth,
    catalogue,
    conversations,
    corrections,
    debug_chat,
    home,
    leads,
    notices,
    observatory,
)
from bot.console.auth import SignInGuard
from bot.console.pages import error_page
from settings import PROJECT_DIR, ConsoleSettings, get_settings

SECRET_FILE = PROJECT_DIR / "var" / "console-secret"
STATIC_DIR = Path(__file__).resolve().parent / "static"
# Order matters: a correction's address extends a conversation's, matched first.
SECTIONS = (
    auth,
    home,
    debug_chat,
    corrections,
    conversations,
    leads,
    notices,
    catalogue,
    observatory,
)


def session_secret(settings: ConsoleSettings) -> str:
    """QP_CONSOLE_SECRET signs the session cookies; without it, a random secret is created
    once in var/console-secret (readable by its owner only) so that sessions survive restarts."""
    if settings.secret:
        return settings.secret
    if not SECRET_FILE.exists():
        SECRET_FILE.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(SECRET_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return SECRET_FILE.read_text().strip()


def create_console(settings: ConsoleSettings | None = None) -> Starlette:
    """The console for `settings` (by default the process's, `get_settings().console`)."""
    settings = settings or get_settings().console

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
                secret_key=session_secret(settings),
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
    app.state.signin_guard = SignInGuard(settings, session_secret(settings))
    if not settings.secure_cookie:
        logging.getLogger(__name__).warning(
            "console: cookie de session sans « Secure » (QP_CONSOLE_HTTP_LOCAL=1) : "
            "développement en HTTP local seulement"
        )
    return app
