"""NLU corrections: marking a misunderstood message with the right intent and entities (Rasa's
training syntax, checked by catalog.corrections), listing the corrections in scope, deleting
one, and downloading them all as a Rasa NLU file ready for data/nlu/.

An advisor works on their territory's conversations and corrections only; an administrator on
all. A correction keeps the conversation's territory to decide who sees it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.console.auth import log_action, page, settings_of
from bot.console.conversations import TEMPLATE_HELPERS, conversation_url, readable
from bot.console.db import session
from bot.console.pages import NO_STORE, error_page, render
from catalog.accounts import Viewer
from catalog.corrections import (
    EXPORT_FILE_NAME,
    CorrectionError,
    annotate,
    export_yaml,
    intent_choices,
    validate_correction,
)
from catalog.files import territory_names
from catalog.models import Account, NluCorrection
from catalog.privacy import has_contact_details, mask_text


def _in_scope(viewer: Viewer):
    if viewer.territories is None:
        return NluCorrection.id.is_not(None)
    return NluCorrection.territory_id.in_(viewer.territories)


def _message_not_found(request: Request) -> Response:
    return error_page(
        request,
        404,
        "Message introuvable",
        "Ce message n'existe pas dans cette conversation, ou ce n'est pas un "
        "message écrit par la personne.",
    )


@page()
def correct(request: Request, viewer: Viewer, form: dict[str, str]) -> Response:
    sender_id = request.path_params["sender_id"]
    event_id = request.path_params["event_id"]
    conversation, refusal = readable(request, viewer, sender_id)
    if refusal is not None:
        return refusal
    assert conversation is not None
    message = conversation.user_message(event_id)
    if message is None or message.is_button:
        return _message_not_found(request)
    url = f"{conversation_url(sender_id)}/corriger/{event_id}"
    with session(settings_of(request).database_url) as db:
        existing = db.scalar(
            select(NluCorrection).where(
                NluCorrection.sender_id == sender_id, NluCorrection.message_at == message.timestamp
            )
        )
        previous = (existing.intent, existing.annotated) if existing else None
    predicted = message.intent if message.intent in dict(intent_choices()) else ""
    intent = form.get("intent", previous[0] if previous else predicted)
    annotated = form.get(
        "annotated",
        previous[1]
        if previous
        else annotate(
            message.text,
            [
                {"start": e.start, "end": e.end, "entity": e.entity, "value": e.value}
                for e in message.entities
                if e.start is not None and e.end is not None
            ],
        ),
    )
    errors: list[str] = []
    personal = has_contact_details(message.text)
    shown_text = (
        message.text
        if viewer.sees_contact_details(conversation.territory)
        else mask_text(message.text)
    )
    if request.method == "POST" and not personal:
        try:
            checked = validate_correction(message.text, intent, annotated)
        except CorrectionError as problem:
            errors = problem.errors
        else:
            with session(settings_of(request).database_url) as db:
                row = db.scalar(
                    select(NluCorrection).where(
                        NluCorrection.sender_id == sender_id,
                        NluCorrection.message_at == message.timestamp,
                    )
                )
                if row is None:
                    row = NluCorrection(sender_id=sender_id, message_at=message.timestamp)
                    db.add(row)
                row.created_at = datetime.now(UTC)
                row.account_id = viewer.id
                row.territory_id = conversation.territory
                row.text = checked.text
                row.predicted_intent = message.intent
                row.predicted_confidence = message.confidence
                row.intent = intent
                row.annotated = checked.annotated
            log_action(
                request,
                viewer,
                "correction_enregistree",
                f"{sender_id}#{event_id}",
                intention=intent,
                entites=len(checked.entities),
            )
            return RedirectResponse(
                f"{conversation_url(sender_id)}?corrige={event_id}#message-{event_id}",
                status_code=303,
            )
    return render(
        request,
        "correction.html",
        status=400 if errors else 200,
        url=url,
        conversation=conversation,
        message=message,
        shown_text=shown_text,
        personal=personal,
        intents=intent_choices(),
        intent=intent,
        annotated=annotated,
        errors=errors,
        previous=previous,
        **TEMPLATE_HELPERS,
    )


@page()
def correction_list(request: Request, viewer: Viewer, form: dict[str, str]) -> Response:
    names = territory_names()
    with session(settings_of(request).database_url) as db:
        rows = db.execute(
            select(NluCorrection, Account.name)
            .join(Account, Account.id == NluCorrection.account_id, isouter=True)
            .where(_in_scope(viewer))
            .order_by(NluCorrection.created_at.desc())
        ).all()
        corrections = [
            {
                "id": c.id,
                "at": c.created_at,
                "territory": names.get(c.territory_id or "", "Sans territoire"),
                "text": c.text
                if viewer.sees_contact_details(c.territory_id)
                else mask_text(c.text),
                "annotated": c.annotated
                if viewer.sees_contact_details(c.territory_id)
                else mask_text(c.annotated),
                "predicted": c.predicted_intent,
                "confidence": c.predicted_confidence,
                "intent": c.intent,
                "author": author,
                "sender_id": c.sender_id,
            }
            for c, author in rows
        ]
    return render(
        request,
        "corrections.html",
        corrections=corrections,
        deleted=request.query_params.get("supprimee") == "1",
        **TEMPLATE_HELPERS,
    )


@page()
def delete_correction(request: Request, viewer: Viewer, form: dict[str, str]) -> Response:
    correction_id = request.path_params["correction_id"]
    with session(settings_of(request).database_url) as db:
        row = db.get(NluCorrection, correction_id)
        if row is None or not viewer.can_see(row.territory_id):
            found = False
        else:
            db.delete(row)
            found = True
    if not found:
        return error_page(
            request,
            404,
            "Correction introuvable",
            "Cette correction n'existe pas, a déjà été supprimée, ou ne fait pas "
            "partie de votre territoire.",
        )
    log_action(request, viewer, "correction_supprimee", str(correction_id))
    return RedirectResponse("/console/corrections?supprimee=1", status_code=303)


@page()
def export(request: Request, viewer: Viewer, form: dict[str, str]) -> Response:
    with session(settings_of(request).database_url) as db:
        pairs = [
            (c.intent, c.annotated)
            for c in db.scalars(
                select(NluCorrection)
                .where(_in_scope(viewer))
                .order_by(NluCorrection.created_at, NluCorrection.id)
            )
        ]
    log_action(request, viewer, "export_corrections", EXPORT_FILE_NAME, corrections=len(pairs))
    return Response(
        export_yaml(pairs),
        media_type="application/x-yaml; charset=utf-8",
        headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{EXPORT_FILE_NAME}"'},
    )


routes = [
    Route(
        "/conversations/{sender_id:path}/corriger/{event_id:int}", correct, methods=["GET", "POST"]
    ),
    Route("/corrections", correction_list),
    Route("/corrections/export", export),
    Route("/corrections/{correction_id:int}/supprimer", delete_correction, methods=["POST"]),
]
