"""The console's home page (what each section is for) and the audit log (administrators)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.console.auth import log_action, page, settings_of
from bot.console.db import session
from bot.console.pages import render
from catalog import audit
from catalog.accounts import Viewer
from catalog.files import territory_names


@page()
def home(request: Request, viewer: Viewer, form: dict[str, str]) -> Response:
    return render(request, "home.html", territory=territory_names().get(viewer.territory or ""))


@page(admin_only=True)
def journal(request: Request, viewer: Viewer, form: dict[str, str]) -> Response:
    with session(settings_of(request).database_url) as db:
        entries = [
            {
                "at": e.at,
                "who": e.account_email,
                "action": e.action,
                "target": e.target,
                "details": e.details,
                "count": e.count or 1,
                "last_at": e.last_at or e.at,
            }
            for e in audit.recent(db, limit=500)
        ]
    log_action(request, viewer, "lecture_journal")
    return render(request, "journal.html", entries=entries)


routes = [
    Route("/", home),
    Route("/journal", journal),
]
