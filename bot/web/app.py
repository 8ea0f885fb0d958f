"""The web server's routes: the demo page, the widget's files, sessions and the aids' links it
saw opened (bot/web/opened.py), a health check,
the Prometheus metrics (/metrics, bot/web/observe.py), the « Ma fiche » pages
(/fiche/{token}, bot/web/fiche.py) and the advisors' console under /console (bot/console)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot import keys, metrics
from bot.console.app import create_console
from bot.rasa_api import RasaApi
from bot.web import sessions
from bot.web.demo import render_demo
from bot.web.fiche import fiche_endpoint
from bot.web.observe import Observed, metrics_endpoint
from bot.web.opened import opened_endpoint
from bot.web.ratelimit import WINDOW_SECONDS, SessionLimiter
from bot.web.security import CommonHeaders, page_csp
from catalog.leads import database
from settings import ConsoleSettings, ObservabilitySettings, WebSettings, get_settings

STATIC_DIR = Path(__file__).resolve().parent / "static"


class WidgetFiles(StaticFiles):
    """Static files, revalidated on each use (ETag) so that an update reaches every site."""

    def file_response(self, *args, **kwargs) -> Response:  # type: ignore[no-untyped-def]
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        return response


def create_app(
    settings: WebSettings | None = None,
    console: ConsoleSettings | None = None,
    session_key: str | None = None,
    observability: ObservabilitySettings | None = None,
    catalog_database: Callable[[], Engine] = database,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Starlette:
    """The web server for `settings` and its console for `console` (by default the
    process's settings, `get_settings()`); widget sessions signed with `session_key`
    (by default bot.keys.widget_session_key()); the fiches read from `catalog_database()`
    at the time `clock()` gives (tests set both)."""
    settings = settings or get_settings().web
    console = console or get_settings().console
    observability = observability or get_settings().observability
    metrics.probe_rasa(console.rasa_url)  # Rasa as the console reaches it (RASA_URL)
    session_key = session_key or keys.widget_session_key()
    demo_html = render_demo(settings)
    csp = page_csp(settings)
    limiter = SessionLimiter(settings.sessions_per_minute, settings.sessions_per_minute_overall)

    async def demo(request: Request) -> Response:
        return HTMLResponse(
            demo_html, headers={"Content-Security-Policy": csp, "Cache-Control": "no-cache"}
        )

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def new_session(request: Request) -> Response:
        """A conversation id and its token for a browser's widget (sessions.py)."""
        if not limiter.allow(request.client.host if request.client else "inconnu"):
            return JSONResponse(
                {
                    "erreur": "Trop de nouvelles conversations en peu de temps : réessayez "
                    "dans une minute."
                },
                status_code=429,
                headers={"Retry-After": str(WINDOW_SECONDS), "Cache-Control": "no-store"},
            )
        return JSONResponse(sessions.issue(session_key), headers={"Cache-Control": "no-store"})

    return Starlette(
        routes=[
            Route("/", demo),
            Route("/health", health),
            Route("/metrics", metrics_endpoint(observability.metrics_token)),
            Route("/widget/session", new_session, methods=["POST"]),
            Route(
                "/widget/ouverture",
                opened_endpoint(
                    session_key, lambda: RasaApi(console.rasa_url, keys.rasa_api_key())
                ),
                methods=["POST"],
            ),
            Route("/fiche/{token}", fiche_endpoint(catalog_database, clock)),
            Mount("/static", WidgetFiles(directory=STATIC_DIR), name="static"),
            Mount("/console", app=create_console(console)),
        ],
        middleware=[
            Middleware(Observed),  # request id, counts and times (bot/web/observe.py)
            Middleware(CommonHeaders),
            # Module scripts and stylesheets of the widget are fetched with CORS by the
            # websites that embed it, and so is its session (POST /widget/session): only the
            # allowed ones get the header.
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.origins),
                allow_methods=["GET", "POST"],
                allow_headers=[],
            ),
        ],
    )
