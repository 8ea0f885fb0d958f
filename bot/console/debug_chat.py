"""« Tester l'assistant »: the advisor chats with the real assistant through Rasa's REST
channel, then reads that conversation back from Rasa's HTTP API and sees, for each message,
the intent and confidence (and the next two), the entities, the profile filled so far and the
aids the catalogue engine recommends for it, with their reasons.

The conversation has its own sender id (`console-<account>-<random>`, kept in the session);
« Nouvelle conversation » starts another. Each message carries the metadata the web widget
sends: `{"territory": …}` (the advisor's territory, or the one an administrator picks). No
JavaScript: a form per message, buttons are submit buttons sending their payload."""

from __future__ import annotations

import logging
import secrets
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot import keys, logs
from bot.console import tracker
from bot.console.auth import log_action, page, settings_of
from bot.console.conversations import TEMPLATE_HELPERS, for_viewer, rasa_api
from bot.console.pages import render
from catalog.accounts import Viewer
from catalog.engine import open_catalog, recommend
from catalog.files import territory_names
from catalog.profile import parse_profile, valid_fields

logger = logging.getLogger(__name__)
MAX_CHARS = 2000  # as the assistant (rasa_extensions/no_words.py)
SHOWN_AIDS = 5
RASA_TIMEOUT = httpx.Timeout(90.0, connect=5.0)
SENDER_KEY, TERRITORY_KEY = "debug_sender", "debug_territory"


def _thousands(number: int) -> str:
    """2 001 as French writes it (narrow no-break space)."""
    return f"{number:,}".replace(",", "\u202f")


def _sender(request: Request, viewer: Viewer, new: bool = False) -> str:
    """This account's test conversation (created on first use or when asked)."""
    current = request.session.get(SENDER_KEY)
    if new or not isinstance(current, str) or not current.startswith(f"console-{viewer.id}-"):
        current = request.session[SENDER_KEY] = f"console-{viewer.id}-{secrets.token_hex(6)}"
    return current


def _territory(request: Request, viewer: Viewer) -> str | None:
    """The territory sent with each message: the advisor's own; an administrator's choice."""
    if not viewer.is_admin:
        return viewer.territory
    chosen = request.session.get(TERRITORY_KEY)
    return chosen if chosen in territory_names() else None


def recommended(request: Request, profile: dict[str, Any]) -> dict[str, Any]:
    """What the catalogue engine recommends for this profile (as action_recommander does)."""
    result = recommend(open_catalog(settings_of(request).database_url), parse_profile(profile))
    return {
        "aids": result.aids[:SHOWN_AIDS],
        "more": max(0, len(result.aids) - SHOWN_AIDS),
        "questions": result.questions[:3],
    }


def _page(
    request: Request, viewer: Viewer, status: int = 200, error: str | None = None, draft: str = ""
) -> Response:
    sender = request.session.get(SENDER_KEY)
    conversation = store_error = None
    if isinstance(sender, str) and sender.startswith(f"console-{viewer.id}-"):
        try:
            conversation = tracker.read_conversation(rasa_api(request), sender)
        except tracker.TrackerUnavailableError as problem:
            store_error = str(problem)
    else:
        sender = None
    shown = for_viewer(viewer, conversation) if conversation else None
    profile = valid_fields(conversation.slots) if conversation else {}
    return render(
        request,
        "discuter.html",
        status=status,
        error=error,
        draft=draft,
        store_error=store_error,
        sender=sender,
        conversation=shown,
        profile=profile,
        recommendation=recommended(request, profile) if profile else None,
        territory=_territory(request, viewer),
        names=territory_names(),
        max_chars=MAX_CHARS,
        max_chars_text=_thousands(MAX_CHARS),
        **TEMPLATE_HELPERS,
    )


@page()
def chat(request: Request, viewer: Viewer, form: dict[str, str]) -> Response:
    if request.method == "GET":
        return _page(request, viewer)
    if viewer.is_admin and "territoire" in form:
        chosen = form["territoire"]
        request.session[TERRITORY_KEY] = chosen if chosen in territory_names() else None
        if form.get("changer_territoire"):
            log_action(request, viewer, "territoire_test", None, territoire=chosen)
            return RedirectResponse("/console/discuter", status_code=303)
    payload = form.get("payload", "")
    text = (payload or form.get("message", "")).strip()
    if not text:
        return _page(request, viewer, 400, "Écrivez un message avant de l'envoyer.")
    if len(text) > MAX_CHARS:
        return _page(
            request,
            viewer,
            400,
            f"Votre message fait {_thousands(len(text))} caractères : l'assistant en "
            f"accepte {_thousands(MAX_CHARS)} au plus. Raccourcissez-le.",
            draft=text,
        )
    sender = _sender(request, viewer)
    territory = _territory(request, viewer)
    body = {
        "sender": sender,
        "message": text,
        "metadata": {"territory": territory} if territory else {},
    }
    try:
        response = httpx.post(
            f"{settings_of(request).rasa_url}/webhooks/rest/webhook",
            json=body,
            headers={**keys.rest_headers(), **logs.request_headers()},
            timeout=RASA_TIMEOUT,
        )
        response.raise_for_status()
    except httpx.TimeoutException as problem:
        sent = not isinstance(problem, httpx.ConnectTimeout)
        logger.warning("Debug chat: Rasa did not answer in time (%s).", type(problem).__name__)
        return _page(
            request,
            viewer,
            504,
            "L'assistant met trop de temps à répondre. Votre message a peut-être été "
            "reçu : rechargez la page dans un instant pour voir sa réponse. Le texte "
            "est conservé ci-dessous si vous devez le renvoyer."
            if sent
            else "L'assistant est injoignable pour le moment : votre message n'a pas été "
            "envoyé. Il est conservé ci-dessous ; réessayez dans un instant.",
            draft="" if payload else text,
        )
    except httpx.HTTPStatusError as problem:
        logger.warning("Debug chat: Rasa answered HTTP %s.", problem.response.status_code)
        return _page(
            request,
            viewer,
            502,
            f"L'assistant a répondu par une erreur (code {problem.response.status_code})"
            f" : votre message est conservé ci-dessous, réessayez dans un instant.",
            draft="" if payload else text,
        )
    except httpx.HTTPError as problem:
        logger.warning("Debug chat: Rasa unreachable (%s).", type(problem).__name__)
        return _page(
            request,
            viewer,
            503,
            "L'assistant est injoignable pour le moment (serveur arrêté ou en cours de "
            "démarrage) : votre message n'a pas été envoyé. Il est conservé ci-dessous ;"
            " réessayez dans un instant.",
            draft="" if payload else text,
        )
    log_action(
        request, viewer, "message_test", sender, territoire=territory or "", bouton=bool(payload)
    )
    return RedirectResponse("/console/discuter#derniere-reponse", status_code=303)


@page()
def new_conversation(request: Request, viewer: Viewer, form: dict[str, str]) -> Response:
    sender = _sender(request, viewer, new=True)
    log_action(request, viewer, "nouvelle_conversation_test", sender)
    return RedirectResponse("/console/discuter", status_code=303)


routes = [
    Route("/discuter", chat, methods=["GET", "POST"]),
    Route("/discuter/nouvelle", new_conversation, methods=["POST"]),
]
