"""« Vos avis par e-mail »: each account chooses how it hears of new contact requests — one
e-mail at each request, or one daily digest (catalog/notify.py). An advisor hears of their
territory's requests; an administrator only through the digest, which counts every territory.
The change is written in the audit log."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.console.auth import page, settings_of
from bot.console.db import session
from bot.console.pages import error_page, render
from catalog import audit
from catalog.accounts import Viewer
from catalog.models import Account
from settings import get_settings

CHOICES = {
    "chaque": "un e-mail à chaque nouvelle demande",
    "quotidien": "une synthèse par jour (nombre de nouvelles demandes par territoire)",
}
CHOICES_ADMIN = {
    "aucun": "aucun e-mail",
    "quotidien": "une synthèse par jour (nombre de nouvelles demandes par territoire)",
}


def _choices(viewer: Viewer) -> dict[str, str]:
    return CHOICES_ADMIN if viewer.is_admin else CHOICES


@page()
def notices(request: Request, viewer: Viewer, form: dict[str, str]) -> Response:
    choices = _choices(viewer)
    with session(settings_of(request).database_url) as db:
        account = db.get(Account, viewer.id)
        assert account is not None  # the page decorator found it
        current = "quotidien" if account.daily_digest else next(iter(choices))
        if request.method == "POST":
            chosen = form.get("avis", "")
            if chosen not in choices:
                return error_page(
                    request, 400, "Choix inconnu", "Choisissez l'une des options proposées."
                )
            if chosen != current:
                account.daily_digest = chosen == "quotidien"
                audit.record(
                    db, viewer.id, viewer.email, "avis_email", None, avant=current, apres=chosen
                )
            request.session["notice"] = f"Enregistré : {choices[chosen]}."
            return RedirectResponse("/console/avis", status_code=303)
    return render(
        request,
        "avis.html",
        choices=choices,
        current=current,
        enabled=get_settings().notify.enabled,
        notice=request.session.pop("notice", None),
    )


routes = [Route("/avis", notices, methods=["GET", "POST"])]
