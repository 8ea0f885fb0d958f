"""The conversations pages: the list (filters: territory, dates, not understood, contact
requested) and one conversation's transcript with what the assistant understood of each
message and a « Corriger » link. The list reads the observatory's tables (bot/observatory/
fills them from the events Rasa publishes); a transcript is read from Rasa's HTTP API
(tracker.py, bot/rasa_api.py), never from Rasa's database.

Permissions: an advisor sees the conversations of their territory only; a conversation of
another territory, or one that does not exist, gets the same « introuvable » page. Contact
details are masked for whoever may not see them (catalog.accounts.Viewer)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot import keys
from bot.console import tracker
from bot.console.auth import log_action, page, settings_of
from bot.console.db import session
from bot.console.pages import error_page, render
from bot.observatory.fold import LINK
from bot.observatory.links import unseal
from bot.rasa_api import RasaApi
from catalog import observatory
from catalog.accounts import Viewer
from catalog.files import territory_names
from catalog.labels import INTENT_LABELS
from catalog.labels import wording as labels
from catalog.models import NluCorrection, ObservedConversation
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
    "observed_channel_label": tracker.observed_channel_label,
    "conversation_url": conversation_url,
}


# --- the list ------------------------------------------------------------------------------
# Read from the observatory's tables (bot/observatory/ fills them from Rasa's published
# events): a conversation is known there by its key, never by its id; its link opens the
# transcript through that key (`readable`).


@dataclass(frozen=True)
class Listed:
    key: str
    channel: str | None
    territory: str | None
    first_at: datetime
    last_at: datetime
    user_messages: int
    fallback: bool
    handoff: bool

    @property
    def label(self) -> str:
        return f"n° {self.key[:10]}"


@dataclass(frozen=True)
class Listing:
    conversations: list[Listed]
    total: int
    page: int
    pages: int
    empty_store: bool = False  # nothing observed yet: nobody talked to the assistant


def observed_listing(
    database_url: str, viewer: Viewer, filters: tracker.Filters, page_number: int
) -> Listing:
    with session(database_url) as db:
        found = observatory.list_conversations(
            db,
            viewer.territories,
            territory=filters.territory,
            since=tracker._day_start(filters.since) if filters.since else None,
            until=tracker._day_start(filters.until + timedelta(days=1)) if filters.until else None,
            fallback=filters.fallback,
            contact=filters.handoff,
            page=page_number,
            page_size=tracker.PAGE_SIZE,
        )
        empty = found.total == 0 and db.scalar(select(ObservedConversation.id).limit(1)) is None
        return Listing(
            [
                Listed(
                    c.key,
                    c.channel,
                    c.territory_id,
                    tracker.local_time(c.first_at),
                    tracker.local_time(c.last_at),
                    c.turns,
                    c.fallbacks > 0,
                    c.contact_asked or c.lead,
                )
                for c in found.conversations
            ],
            found.total,
            found.page,
            found.pages,
            empty_store=empty,
        )


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
        listing = observed_listing(settings_of(request).database_url, viewer, filters, number_asked)
    except SQLAlchemyError:
        listing = Listing([], 0, 1, 1)
        store_error = "Les conversations sont illisibles pour le moment (base injoignable)."
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


def rasa_api(request: Request) -> RasaApi:
    """Rasa's HTTP API, as the console reaches it (bot/rasa_api.py)."""
    return RasaApi(settings_of(request).rasa_url, keys.rasa_api_key())


def linked_sender(database_url: str, key: str) -> str | None:
    """The conversation id the observatory's row `key` sealed (bot/observatory/links.py),
    None when there is no such row or its link does not open with this server's key."""
    with session(database_url) as db:
        state = db.scalar(select(ObservedConversation.state).where(ObservedConversation.key == key))
    sealed = (state or {}).get(LINK)
    sender = unseal(sealed, keys.link_key()) if isinstance(sealed, str) else None
    return sender if sender is not None and observatory.conversation_key(sender) == key else None


def readable(
    request: Request, viewer: Viewer, sender_id: str
) -> tuple[tracker.Conversation | None, Response | None]:
    """The conversation if this viewer may read it, else the French page to answer with.
    `sender_id` is a conversation id, or the observatory's key of one (the list's links).
    Another territory's conversation and an unknown one get the same page."""
    try:
        if observatory.is_key(sender_id):  # a link of the list
            sender_id = linked_sender(settings_of(request).database_url, sender_id) or sender_id
        conversation = tracker.read_conversation(rasa_api(request), sender_id)
    except tracker.TrackerUnavailableError as error:
        return None, error_page(request, 503, "Conversations indisponibles", str(error))
    except SQLAlchemyError:
        return None, error_page(
            request,
            503,
            "Conversations indisponibles",
            "Les conversations sont illisibles pour le moment (base injoignable).",
        )
    if conversation is None or not viewer.can_see(conversation.territory):
        if conversation is not None:
            log_action(request, viewer, "conversation_refusee", conversation.sender_id)
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
    sender_id = conversation.sender_id  # the link of the list gives its key
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
