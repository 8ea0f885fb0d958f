"""« Ma fiche »: the printable page a person reaches by the link the assistant gave them
(GET /fiche/{token}; catalog/fiches.py keeps the fiches, catalog/fiche_content.py says what
they hold). Template bot/web/templates/fiche.html, autoescaped; its stylesheet has a print
layout (@media print), so that the browser prints it or saves it as PDF; the « Imprimer »
button is a same-origin script (the page's CSP allows nothing inline).

An unknown, expired or erased fiche answers 404 with one French page that does not say which.
The page is never cached, never indexed, and sends no Referer to the official sites it links.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from bot.templating import environment
from catalog.amounts import french_date
from catalog.fiches import open_fiche

TEMPLATES = environment(Path(__file__).resolve().parent / "templates")
FICHE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
}


def fiche_csp() -> str:
    """Our files only; no connection, no frame, no form."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
            "require-trusted-types-for 'script'",
            "trusted-types 'none'",
        ]
    )


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def fiche_endpoint(
    engine: Callable[[], Engine], clock: Callable[[], datetime]
) -> Callable[[Request], Response]:
    """The route's handler: the fiche of the link's token at `clock()`, from `engine()`."""
    headers = {**FICHE_HEADERS, "Content-Security-Policy": fiche_csp()}

    def fiche(request: Request) -> Response:
        opened = open_fiche(engine(), str(request.path_params.get("token", "")), clock())
        if opened is None:
            page = TEMPLATES.get_template("fiche_absente.html").render()
            return HTMLResponse(page, status_code=404, headers=headers)
        page = TEMPLATES.get_template("fiche.html").render(
            fiche=opened.content,
            made_on=french_date(_utc(opened.created_at).date()),
            expires_on=french_date(_utc(opened.expires_at).date()),
        )
        return HTMLResponse(page, headers=headers)

    return fiche
