"""The conversations pages: the list (filters: territory, dates, not understood, contact
requested) and one conversation's transcript with what the assistant understood of each
message and a « Corriger » link. Read from Rasa's tracker store (tracker.py).

Permissions: an advisor sees the conversations of their territory only; a conversation of
another territory, or one that does not exist, gets the same « introuvable » page. Contact
details are masked for whoever may not see them (catalog.accounts.Viewer)."""

from __future__ import annotations

import copy
from datetime import date
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.console import tracker
from bot.console.auth import log_action, page, settings_of
from bot.console.db import session
from bot.console.home import territory_names
from bot.console.pages import error_page, render
from catalog.accounts import Viewer
from catalog.labels import INTENT_LABELS
from catalog.labels import wording as labels
from catalog.models import NluCorrection
from catalog.privacy import mask_text, mask_value

# --- shared with the debug chat ------------------------------------------------------------


@lru_cache(maxsize=1)
def _labels() -> dict[str, Any]:
    return labels()


def slot_label(name: str) -> str:
    return ((_labels().get("fields") or {}).get(name) or {}).get("label") or name


def value_label(name: str, value: Any) -> str:
    """A slot value in French: « oui », « création », « financement, local », « — »."""
    values = _labels().get("values") or {}
    if value is None or value == []:
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return ", ".join(value_label(name, item) for item in value)
    if name == "territoire":
        return territory_names().get(
            str(value), "hors des 14 territoires" if value == "hors_territoire" else str(value)
        )
    wording = values.get(name) or values.get("besoins" if name == "besoin" else "") or {}
    return str(wording.get(value, value))


def number(value: float | None) -> str:
    """A confidence as French writes it: 0,93."""
    return "—" if value is None else f"{value:.2f}".replace(".", ",")


def masked(conversation: tracker.Conversation) -> tracker.Conversation:
    """A copy with every e-mail address and phone number masked (texts, entities, slots,
    buttons)."""
    shown = copy.deepcopy(conversation)
    for turn in shown.turns:
        if turn.user:
            turn.user.text = mask_text(turn.user.text)
            for entity in turn.user.entities:
                entity.value = mask_value(entity.value)
                entity.text = mask_text(entity.text)
        for message in turn.bot:
            message.text = mask_text(message.text)
            message.buttons = mask_value(message.buttons)
        turn.slots = [(name, mask_value(value)) for name, value in turn.slots]
    shown.slots = mask_value(shown.slots)
    return shown


def for_viewer(viewer: Viewer, conversation: tracker.Conversation) -> tracker.Conversation:
    if viewer.sees_contact_details(conversation.territory):
        return conversation
    return masked(conversation)


def conversation_url(sender_id: str) -> str:
    return "/console/conversations/" + quote(sender_id, safe="")


TEMPLATE_HELPERS = {
    "slot_label": slot_label,
    "value_label": value_label,
    "number": number,
    "intent_label": lambda name: (
        "message non compris"
        if name == tracker.FALLBACK_INTENT
        else INTENT_LABELS.get(name or "", name or "—")
    ),
    "channel_label": tracker.channel_label,
    "conversation_url": conversation_url,
}


# --- the list ------------------------------------------------------------------------------


def _date(value: str, label: str, errors: list[str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(f"La date « {label} » n'est pas valide (format attendu : jj/mm/aaaa).")
        return None


def _page_number(value: str) -> int:
    return int(value) if value.isdigit() and 0 < int(value) < 100000 else 1


@page()
def conversation_list(request: Request, viewer: Viewer, form: dict[str, str]) -> Response:
    query = request.query_params
    names = territory_names()
    errors: list[str] = []
    chosen = query.get("territoire", "") if viewer.is_admin else (viewer.territory or "")
    if chosen not in names and chosen != tracker.NO_TERRITORY:
        chosen = ""
    since = _date(query.get("du", ""), "du", errors)
    until = _date(query.get("au", ""), "au", errors)
    if since and until and since > until:
        errors.append("La date « du » est après la date « au » : les dates ont été ignorées.")
        since = until = None
    filters = tracker.Filters(
        territory=chosen or None,
        since=since,
        until=until,
        fallback=query.get("incomprehension") == "1",
        handoff=query.get("contact") == "1",
    )
    number_asked = _page_number(query.get("page", "1"))
    store_error = None
    try:
        listing = tracker.list_conversations(
            settings_of(request).tracker_url, viewer.territories, filters, number_asked
        )
    except tracker.TrackerUnavailableError as error:
        listing, store_error = tracker.Listing([], 0, 1, 1), str(error)
    log_action(
        request,
        viewer,
        "liste_conversations",
        None,
        territoire=chosen or "tous",
        du=since.isoformat() if since else "",
        au=until.isoformat() if until else "",
        incomprehension=filters.fallback,
        contact=filters.handoff,
        page=listing.page,
    )
    kept = {
        key: value
        for key, value in {
            "territoire": chosen if viewer.is_admin else "",
            "du": since.isoformat() if since else "",
            "au": until.isoformat() if until else "",
            "incomprehension": "1" if filters.fallback else "",
            "contact": "1" if filters.handoff else "",
        }.items()
        if value
    }

    def page_url(number: int) -> str:
        return "/console/conversations?" + urlencode({**kept, "page": number})

    return render(
        request,
        "conversations.html",
        status=503 if store_error else 200,
        listing=listing,
        filters=filters,
        chosen=chosen,
        names=names,
        errors=errors,
        store_error=store_error,
        page_url=page_url,
        no_territory=tracker.NO_TERRITORY,
        **TEMPLATE_HELPERS,
    )


# --- one conversation ------------------------------------------------------------------


def readable(
    request: Request, viewer: Viewer, sender_id: str
) -> tuple[tracker.Conversation | None, Response | None]:
    """The conversation if this viewer may read it, else the French page to answer with.
    Another territory's conversation and an unknown one get the same page."""
    try:
        conversation = tracker.read_conversation(settings_of(request).tracker_url, sender_id)
    except tracker.TrackerUnavailableError as error:
        return None, error_page(request, 503, "Conversations indisponibles", str(error))
    if conversation is None or not viewer.can_see(conversation.territory):
        if conversation is not None:
            log_action(request, viewer, "conversation_refusee", sender_id)
        return None, error_page(
            request,
            404,
            "Conversation introuvable",
            "Cette conversation n'existe pas, a été effacée, ou ne fait pas "
            "partie de votre territoire.",
        )
    return conversation, None


@page()
def conversation_page(request: Request, viewer: Viewer, form: dict[str, str]) -> Response:
    sender_id = request.path_params["sender_id"]
    conversation, refusal = readable(request, viewer, sender_id)
    if refusal is not None:
        return refusal
    assert conversation is not None
    with session(settings_of(request).database_url) as db:
        corrected = {
            row.message_at: row.intent
            for row in db.execute(
                select(NluCorrection.message_at, NluCorrection.intent).where(
                    NluCorrection.sender_id == sender_id
                )
            )
        }
    log_action(request, viewer, "conversation_ouverte", sender_id)
    shown = for_viewer(viewer, conversation)
    return render(
        request,
        "conversation.html",
        conversation=shown,
        masked_details=not viewer.sees_contact_details(conversation.territory),
        territory_name=territory_names().get(conversation.territory or ""),
        corrected=corrected,
        quote=quote,
        **TEMPLATE_HELPERS,
    )


routes = [
    Route("/conversations", conversation_list),
    # :path so that a sender id holding « / » (any REST client may send one) opens too
    Route("/conversations/{sender_id:path}", conversation_page),
]
