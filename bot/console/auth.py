"""Signing in and out, the session, the form token (CSRF) and the `page` decorator that every
console route uses: it checks the session, loads the viewer and logs nothing personal."""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from functools import wraps
from urllib.parse import quote

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.console.db import session
from bot.console.pages import error_page, render
from catalog import audit
from catalog.accounts import Viewer, authenticate, viewer_of
from catalog.models import Account
from settings import ConsoleSettings

MAX_FAILURES = 5  # failed sign-ins for one e-mail address …
LOCK_SECONDS = 300  # … lock it for five minutes
_failures: dict[str, tuple[int, float]] = {}


def settings_of(request: Request) -> ConsoleSettings:
    return request.app.state.console_settings


def csrf_token(request: Request) -> str:
    if "session" not in request.scope:
        return ""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(24)
    return token


def _current_viewer(request: Request) -> Viewer | None:
    account_id = request.session.get("account_id")
    if not isinstance(account_id, int):
        return None
    with session(settings_of(request).database_url) as db:
        account = db.get(Account, account_id)
        if account is None or not account.active:
            return None
        return viewer_of(account)


def page(admin_only: bool = False) -> Callable:
    """Decorate a console endpoint `(request, viewer, form) -> Response`.

    The handler is plain (synchronous) code run in a worker thread; `form` is the posted form
    (an empty dict for GET). Not signed in: redirect to the sign-in page. POST: the form token
    must match, else a French error page.
    """

    def decorate(
        handler: Callable[[Request, Viewer, dict[str, str]], Response],
    ) -> Callable[[Request], Awaitable[Response]]:
        @wraps(handler)
        async def endpoint(request: Request) -> Response:
            viewer = await run_in_threadpool(_current_viewer, request)
            if viewer is None:
                request.session.pop("account_id", None)
                target = quote(
                    request.url.path + (f"?{request.url.query}" if request.url.query else "")
                )
                return RedirectResponse(f"/console/connexion?suite={target}", status_code=303)
            request.state.viewer = viewer
            if admin_only and not viewer.is_admin:
                return error_page(
                    request, 403, "Accès refusé", "Cette page est réservée aux administrateurs."
                )
            form: dict[str, str] = {}
            if request.method == "POST":
                checked = await check_form(request)
                if checked is None:
                    return error_page(
                        request,
                        400,
                        "Formulaire expiré",
                        "Ce formulaire a expiré : revenez à la page et réessayez.",
                    )
                form = checked
            return await run_in_threadpool(handler, request, viewer, form)

        return endpoint

    return decorate


async def check_form(request: Request) -> dict[str, str] | None:
    """The posted form as a dict of strings, or None when its token does not match."""
    form = await request.form()
    values = {key: value for key, value in form.multi_items() if isinstance(value, str)}
    expected = request.session.get("csrf")
    if not expected or not secrets.compare_digest(values.get("csrf", ""), expected):
        return None
    return values


def _locked(email: str) -> bool:
    count, since = _failures.get(email, (0, 0.0))
    if count >= MAX_FAILURES and time.monotonic() - since < LOCK_SECONDS:
        return True
    if count >= MAX_FAILURES:
        _failures.pop(email, None)
    return False


def _safe_next(target: str | None) -> str:
    """Only a path inside the console (never another site) after signing in."""
    if target and target.startswith("/console") and not target.startswith("//"):
        return target
    return "/console/"


async def sign_in(request: Request) -> Response:
    target = _safe_next(request.query_params.get("suite"))
    if request.method == "GET":
        return render(request, "login.html", target=target, email="", error=None)
    form = await check_form(request)
    if form is None:
        return render(
            request,
            "login.html",
            status=400,
            target=target,
            email="",
            error="Le formulaire a expiré : veuillez réessayer.",
        )
    email = form.get("email", "").strip().lower()[:200]
    password = form.get("password", "")[:200]
    target = _safe_next(form.get("suite"))
    if _locked(email):
        return render(
            request,
            "login.html",
            status=429,
            target=target,
            email=email,
            error="Trop d'essais infructueux : réessayez dans quelques minutes.",
        )
    viewer = await run_in_threadpool(_check_password, settings_of(request), email, password)
    if viewer is None:
        count, _ = _failures.get(email, (0, 0.0))
        _failures[email] = (count + 1, time.monotonic())
        return render(
            request,
            "login.html",
            status=401,
            target=target,
            email=email,
            error="Adresse e-mail ou mot de passe incorrect.",
        )
    _failures.pop(email, None)
    request.session.clear()  # a new session on sign-in (no fixation)
    request.session["account_id"] = viewer.id
    request.session["csrf"] = secrets.token_urlsafe(24)
    return RedirectResponse(target, status_code=303)


def _check_password(settings: ConsoleSettings, email: str, password: str) -> Viewer | None:
    with session(settings.database_url) as db:
        account = authenticate(db, email, password)
        if account is None:
            known = db.scalar(select(Account.id).where(Account.email == email))
            audit.record(db, known, email, "connexion_refusee")
            return None
        audit.record(db, account.id, account.email, "connexion")
        return viewer_of(account)


async def sign_out(request: Request) -> Response:
    form = await check_form(request)
    account_id = request.session.get("account_id")
    if form is not None and isinstance(account_id, int):

        def log() -> None:
            with session(settings_of(request).database_url) as db:
                account = db.get(Account, account_id)
                if account is not None:
                    audit.record(db, account.id, account.email, "deconnexion")

        await run_in_threadpool(log)
        request.session.clear()
    return RedirectResponse("/console/connexion", status_code=303)


routes = [
    Route("/connexion", sign_in, methods=["GET", "POST"]),
    Route("/deconnexion", sign_out, methods=["POST"]),
]


def log_action(
    request: Request, viewer: Viewer, action: str, target: str | None = None, **details: object
) -> None:
    """Record a console action in the audit log (who, when, what; no personal data)."""
    with session(settings_of(request).database_url) as db:
        audit.record(db, viewer.id, viewer.email, action, target, **details)
