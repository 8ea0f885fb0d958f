"""Rendering console pages: Jinja2 templates (autoescaped), a strict security policy, and the
French error pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))

# Console pages work without JavaScript: forms and links only. Nothing inline, nothing from
# elsewhere; the pages may not be framed (clickjacking).
CONSOLE_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'none'",
        "style-src 'self'",
        "img-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
NO_STORE = {"Content-Security-Policy": CONSOLE_CSP, "Cache-Control": "no-store"}


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A console page; the signed-in viewer and the form token are always in the context."""
    from bot.console.auth import csrf_token  # the two modules use each other

    context.setdefault("viewer", getattr(request.state, "viewer", None))
    context["csrf"] = csrf_token(request)
    context["path"] = request.url.path
    settings = getattr(request.app.state, "console_settings", None)
    context["http_local"] = settings is not None and not settings.secure_cookie
    response = TEMPLATES.TemplateResponse(request, template, context, status_code=status)
    response.headers.update(NO_STORE)
    return response


def error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    return render(request, "error.html", status=status, title=title, message=message)
