"""Signing in and out, the session, the form token (CSRF) and the `page` decorator that every
console route uses: it checks the session, loads the viewer and logs nothing personal.

Sessions live on the server (catalog/sessions.py): the signed cookie only carries a random
token, so signing out, a password change or a deactivation ends a session everywhere, even in
a copied cookie; a session lasts `session_hours` from signing in at most, and ends sooner after
`idle_minutes` without a request.

Signing in is limited (catalog/ratelimit.py, counters shared by every process): per client
address, per account e-mail and for the whole console, each attempt counted BEFORE its
password is checked, so that neither concurrency nor many processes let more through. A
refused attempt costs no Argon2 hash, at most `concurrent_hashes` hashes run at once, and
refusals are counted in the audit log instead of adding a row each (catalog/audit.py)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from urllib.parse import quote

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.console.db import engine, session
from bot.console.pages import error_page, render
from catalog import audit, sessions
from catalog.accounts import MAX_EMAIL_LENGTH, Viewer, authenticate, viewer_of
from catalog.models import Account
from catalog.ratelimit import Limit, Limiter, make_storage
from settings import ConsoleSettings

WINDOW = "15 minutes"
UNKNOWN_EMAIL = "(adresse inconnue)"  # what the audit log says instead of an unknown e-mail
SESSION_ENDED = "Votre session a pris fin : veuillez vous reconnecter."
TOO_MANY = (
    "Trop de tentatives de connexion {who} : par sécurité, veuillez patienter {minutes} "
    "minutes avant de réessayer."
)
WHO = {
    "ip": "depuis votre adresse",
    "compte": "pour cette adresse e-mail",
    "ensemble": "sur la console en ce moment",
}


def settings_of(request: Request) -> ConsoleSettings:
    return request.app.state.console_settings


def lifetimes(settings: ConsoleSettings) -> sessions.Lifetimes:
    return sessions.Lifetimes(
        absolute=timedelta(hours=settings.session_hours),
        idle=timedelta(minutes=settings.idle_minutes),
    )


class SignInGuard:
    """The sign-in limits of one console app, and the bound on concurrent password checks.
    Built at the first sign-in (the storage needs the database)."""

    def __init__(self, settings: ConsoleSettings, key: str) -> None:
        self.settings = settings
        self.key = key  # the console's secret: keys the pseudonyms of addresses and e-mails
        self.per_ip = Limit("connexion-ip", f"{settings.signin_per_ip}/{WINDOW}")
        self.per_account = Limit("connexion-compte", f"{settings.signin_per_account}/{WINDOW}")
        self.overall = Limit("connexion-ensemble", f"{settings.signin_global}/{WINDOW}")
        self.hashing = threading.BoundedSemaphore(settings.concurrent_hashes)
        self._limiter: Limiter | None = None
        self._lock = threading.Lock()

    @property
    def limiter(self) -> Limiter:
        with self._lock:
            if self._limiter is None:
                clock = self.settings.clock
                self._limiter = Limiter(
                    make_storage(
                        self.settings.rate_limit_url or None,
                        engine(self.settings.database_url),
                        lambda: clock().timestamp(),
                    )
                )
            return self._limiter

    def pseudonym(self, value: str) -> str:
        """Keys of the counters: a keyed hash, so that no address or e-mail is stored."""
        digest = hmac.new(self.key.encode(), value.encode(), hashlib.sha256)
        return digest.hexdigest()[:32]

    def admit(self, address: str, email: str) -> tuple[str, Limit] | None:
        """Count one attempt; (which limit, the limit) when it is refused. The whole console's
        counter is only read before the address's is counted, so that refused addresses do not
        create counters past what the console allows (bounded storage)."""
        limiter = self.limiter
        if not limiter.allows(self.overall):
            return "ensemble", self.overall
        if not limiter.hit(self.per_ip, self.pseudonym(address)):
            return "ip", self.per_ip
        if not limiter.hit(self.overall):
            return "ensemble", self.overall
        if not limiter.hit(self.per_account, self.pseudonym(email)):
            return "compte", self.per_account
        return None

    def succeeded(self, email: str) -> None:
        self.limiter.clear(self.per_account, self.pseudonym(email))


def guard_of(request: Request) -> SignInGuard:
    return request.app.state.signin_guard


def client_address(request: Request) -> str:
    """The client's address as the limits count it: the IP (behind a proxy listed in uvicorn's
    FORWARDED_ALLOW_IPS, the one it forwards), an IPv6 address as its /64 network."""
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:100] or "inconnue"
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def csrf_token(request: Request) -> str:
    if "session" not in request.scope:
        return ""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(24)
    return token


def _current_viewer(request: Request) -> Viewer | None:
    settings = settings_of(request)
    token = request.session.get("sid")
    if not token:
        return None
    with session(settings.database_url) as db:
        account = sessions.account_of(db, token, settings.clock(), lifetimes(settings))
        return viewer_of(account) if account is not None else None


def page(admin_only: bool = False) -> Callable:
    """Decorate a console endpoint `(request, viewer, form) -> Response`.

    The handler is plain (synchronous) code run in a worker thread; `form` is the posted form
    (an empty dict for GET). Not signed in, or the session ended: redirect to the sign-in
    page. POST: the form token must match, else a French error page.
    """

    def decorate(
        handler: Callable[[Request, Viewer, dict[str, str]], Response],
    ) -> Callable[[Request], Awaitable[Response]]:
        @wraps(handler)
        async def endpoint(request: Request) -> Response:
            viewer = await run_in_threadpool(_current_viewer, request)
            if viewer is None:
                ended = bool(request.session.get("sid"))
                request.session.clear()
                if ended:
                    request.session["notice"] = SESSION_ENDED
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


def _safe_next(target: str | None) -> str:
    """Only a path inside the console (never another site) after signing in."""
    if target and target.startswith("/console") and not target.startswith("//"):
        return target
    return "/console/"


@dataclass(frozen=True)
class Attempt:
    viewer: Viewer | None = None
    token: str = ""
    refused_by: str | None = None  # "ip", "compte" or "ensemble" when a limit refused it
    minutes: int = 0


def _attempt(guard: SignInGuard, address: str, email: str, password: str) -> Attempt:
    """One sign-in attempt, in a worker thread: the limits, then the password."""
    settings = guard.settings
    refused = guard.admit(address, email)
    if refused is not None:
        which, limit = refused
        with session(settings.database_url) as db:
            known = (
                db.scalar(select(Account.id).where(Account.email == email))
                if which == "compte"
                else None
            )
            audit.record_repeated(
                db,
                known,
                email if known is not None else "",
                "connexion_limitee",
                settings.clock(),
                target=which,
            )
        return Attempt(refused_by=which, minutes=limit.minutes)
    with guard.hashing, session(settings.database_url) as db:
        account = authenticate(db, email, password)
        if account is None:
            known = (
                db.scalar(select(Account.id).where(Account.email == email))
                if len(email) <= MAX_EMAIL_LENGTH
                else None
            )
            audit.record_repeated(
                db,
                known,
                email if known is not None else UNKNOWN_EMAIL,
                "connexion_refusee",
                settings.clock(),
            )
            return Attempt()
        token = sessions.open_session(db, account.id, settings.clock(), lifetimes(settings))
        audit.record(db, account.id, account.email, "connexion")
        viewer = viewer_of(account)
    guard.succeeded(email)
    return Attempt(viewer=viewer, token=token)


async def sign_in(request: Request) -> Response:
    target = _safe_next(request.query_params.get("suite"))
    if request.method == "GET":
        return render(
            request,
            "login.html",
            target=target,
            email="",
            error=None,
            notice=request.session.pop("notice", None),
        )
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
    email = form.get("email", "").strip().lower()
    password = form.get("password", "")
    target = _safe_next(form.get("suite"))
    shown_email = email[:MAX_EMAIL_LENGTH]
    attempt = await run_in_threadpool(
        _attempt, guard_of(request), client_address(request), email, password
    )
    if attempt.refused_by:
        response = render(
            request,
            "login.html",
            status=429,
            target=target,
            email=shown_email,
            error=TOO_MANY.format(who=WHO[attempt.refused_by], minutes=attempt.minutes),
        )
        response.headers["Retry-After"] = str(attempt.minutes * 60)
        return response
    if attempt.viewer is None:
        return render(
            request,
            "login.html",
            status=401,
            target=target,
            email=shown_email,
            error="Adresse e-mail ou mot de passe incorrect.",
        )
    request.session.clear()  # a new session on sign-in (no fixation)
    request.session["sid"] = attempt.token
    request.session["csrf"] = secrets.token_urlsafe(24)
    return RedirectResponse(target, status_code=303)


async def sign_out(request: Request) -> Response:
    """Always ends the session, even when the form token has expired (signing out must never
    fail); the audit log notes it when there was a session."""
    token = request.session.get("sid")
    settings = settings_of(request)

    def close() -> None:
        with session(settings.database_url) as db:
            account_id = sessions.close_session(db, token)
            account = db.get(Account, account_id) if account_id is not None else None
            if account is not None:
                audit.record(db, account.id, account.email, "deconnexion")

    if token:
        await run_in_threadpool(close)
    request.session.clear()
    request.session["notice"] = "Vous êtes déconnecté(e)."
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
