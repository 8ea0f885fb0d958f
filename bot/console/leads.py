"""The contact requests (« demandes de contact », table `leads`): the list of the requests in
the viewer's scope, newest first, filtered by status, and the change of a request's status.

Permissions: an advisor sees and updates the requests of their own territory only (another
territory's request answers exactly like a missing one, 404); an
administrator sees every territory (and the requests not placed in one) but the e-mail and
phone only masked (« j•••@•••.fr », « 06 •• •• •• 12 »). Every list view, every status
change and every CSV export (the same requests as the list, with the same filters and masks)
is written in the audit log, without any personal data."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Select, false, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.console.auth import log_action, page, settings_of
from bot.console.db import session
from bot.console.pages import error_page, render
from catalog import audit
from catalog.accounts import Viewer
from catalog.files import territory_names
from catalog.labels import LEAD_CHANNEL_LABELS, LEAD_STATUS_LABELS
from catalog.labels import wording as labels
from catalog.models import Aid, Lead
from catalog.privacy import mask_email, mask_phone

try:
    from zoneinfo import ZoneInfo

    LOCAL_TIME: Any = ZoneInfo("Europe/Paris")
except Exception:  # noqa: BLE001 — no time zone database: show UTC
    LOCAL_TIME = UTC

# Stored value → French wording (catalog/data/labels.yml).
STATUSES = LEAD_STATUS_LABELS
NO_TERRITORY = "sans"  # the administrators' filter for requests without territory
MAX_SHOWN = 500
PROFILE_ORDER = (
    "stade",
    "secteur",
    "statut",
    "indemnise_are",
    "besoins",
    "commune",
    "code_postal",
    "territoire",
    "habite_qpv",
    "implante_qpv",
    "age",
    "femme",
    "anciennete_annees",
    "effectif",
    "montant",
    "franchise",
)
CHANNELS = LEAD_CHANNEL_LABELS


def status_label(status: str | None) -> str:
    return STATUSES.get(status or "", status or "—")


def channel_label(channel: str | None, sender_id: str) -> str:
    if sender_id.startswith("telegram:"):
        return "Telegram"
    return CHANNELS.get(channel or "", channel or "inconnu")


def _value(name: str, value: Any, wording: dict, names: dict[str, str]) -> str:
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return ", ".join(_value(name, item, wording, names) for item in value)
    if name == "territoire":
        return names.get(
            str(value), "hors des 14 territoires" if value == "hors_territoire" else str(value)
        )
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    unit = (wording["fields"].get(name) or {}).get("unit")
    if isinstance(value, (int, float)) and unit:
        return f"{value:,}".replace(",", "\u202f").replace(".", ",") + f" {unit}"
    return str((wording["values"].get(name) or {}).get(value, value))


def describe_profile(profile: dict[str, Any], names: dict[str, str]) -> list[tuple[str, str]]:
    """The profile in plain French: [(« Étape du projet », « création »), …]."""
    wording = labels()
    ordered = [f for f in PROFILE_ORDER if f in profile] + sorted(set(profile) - set(PROFILE_ORDER))
    return [
        (
            (wording["fields"].get(name) or {}).get("label", name),
            _value(name, profile[name], wording, names),
        )
        for name in ordered
        if profile[name] is not None and profile[name] != []
    ]


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_TIME)


def _shown(
    lead: Lead, viewer: Viewer, names: dict[str, str], aid_names: dict[str, str]
) -> dict[str, Any]:
    clear = viewer.sees_contact_details(lead.territory_id)
    email = lead.email and (lead.email if clear else mask_email(lead.email))
    phone = lead.phone and (lead.phone if clear else mask_phone(lead.phone))
    return {
        "id": lead.id,
        "at": _local(lead.created_at),
        "channel": channel_label(lead.channel, lead.sender_id),
        "territory": names.get(lead.territory_id or "", lead.territory_id)
        if lead.territory_id
        else None,
        "profile": describe_profile(lead.profile or {}, names),
        "aids": [aid_names.get(i, i) for i in lead.aids or []],
        "email": email,
        "phone": phone,
        "masked": not clear,
        "status": lead.status,
        "status_label": status_label(lead.status),
    }


def _filters(request: Request, viewer: Viewer, names: dict[str, str]) -> tuple[str, str]:
    """The status and (administrators only) territory filters of the query string."""
    status = request.query_params.get("statut", "")
    status = status if status in STATUSES else ""
    territory = request.query_params.get("territoire", "") if viewer.is_admin else ""
    if territory and territory != NO_TERRITORY and territory not in names:
        territory = ""
    return status, territory


def _query(viewer: Viewer, status: str, territory: str) -> Select[tuple[Lead]]:
    """The requests in the viewer's scope (an advisor: their territory only), filtered."""
    query = select(Lead).order_by(Lead.created_at.desc(), Lead.id.desc())
    if not viewer.is_admin:
        query = (
            query.where(Lead.territory_id == viewer.territory)
            if viewer.territory
            else query.where(false())
        )
    elif territory == NO_TERRITORY:
        query = query.where(Lead.territory_id.is_(None))
    elif territory:
        query = query.where(Lead.territory_id == territory)
    if status:
        query = query.where(Lead.status == status)
    return query


@page()
def leads_list(request: Request, viewer: Viewer, form: dict[str, str]) -> Response:
    names = territory_names()
    status, territory = _filters(request, viewer, names)
    query = _query(viewer, status, territory)
    with session(settings_of(request).database_url) as db:
        found = [
            lead
            for lead in db.scalars(query.limit(MAX_SHOWN + 1))
            if viewer.can_see(lead.territory_id)
        ]
        wanted = {aid for lead in found for aid in lead.aids or []}
        aid_names = (
            dict(db.execute(select(Aid.id, Aid.name).where(Aid.id.in_(wanted))).all())
            if wanted
            else {}
        )
        shown = [_shown(lead, viewer, names, aid_names) for lead in found[:MAX_SHOWN]]
    log_action(
        request,
        viewer,
        "lecture_demandes",
        None,
        statut=status or "tous",
        territoire=territory or ("tous" if viewer.is_admin else viewer.territory),
        nombre=len(shown),
    )
    return render(
        request,
        "demandes.html",
        leads=shown,
        statuses=STATUSES,
        chosen=status,
        territory=territory,
        names=names,
        no_territory=NO_TERRITORY,
        more=len(found) > MAX_SHOWN,
        max_shown=MAX_SHOWN,
        notice=request.session.pop("notice", None),
        back=_back(status, territory),
    )


CSV_COLUMNS = (
    "numéro",
    "date (heure de Paris)",
    "canal",
    "territoire",
    "statut",
    "e-mail",
    "téléphone",
    "coordonnées masquées",
    "aides repérées",
    "profil",
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


@page()
def leads_csv(request: Request, viewer: Viewer, form: dict[str, str]) -> Response:
    """The requests of the list as CSV (semicolons, UTF-8 with BOM, as French spreadsheets
    open it): every request in the viewer's scope with the list's filters, contact details
    masked for administrators exactly as on the page."""
    names = territory_names()
    status, territory = _filters(request, viewer, names)
    with session(settings_of(request).database_url) as db:
        found = [
            lead
            for lead in db.scalars(_query(viewer, status, territory))
            if viewer.can_see(lead.territory_id)
        ]
        wanted = {aid for lead in found for aid in lead.aids or []}
        aid_names = (
            dict(db.execute(select(Aid.id, Aid.name).where(Aid.id.in_(wanted))).all())
            if wanted
            else {}
        )
        rows = [_shown(lead, viewer, names, aid_names) for lead in found]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            _cell(value)
            for value in (
                row["id"],
                row["at"].strftime("%d/%m/%Y %H:%M"),
                row["channel"],
                row["territory"] or "sans territoire",
                row["status_label"],
                row["email"],
                row["phone"],
                "oui" if row["masked"] else "non",
                ", ".join(row["aids"]),
                " ; ".join(f"{label} : {value}" for label, value in row["profile"]),
            )
        )
    scope = territory or ("tous" if viewer.is_admin else viewer.territory or "aucun")
    log_action(
        request,
        viewer,
        "export_demandes_csv",
        None,
        statut=status or "tous",
        territoire=scope,
        nombre=len(rows),
    )
    day = datetime.now(LOCAL_TIME).strftime("%Y-%m-%d")
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="demandes-{scope}-{day}.csv"',
            "Cache-Control": "no-store",
        },
    )


def _back(status: str, territory: str) -> str:
    query = urlencode({k: v for k, v in (("statut", status), ("territoire", territory)) if v})
    return "/console/demandes" + (f"?{query}" if query else "")


@page()
def change_status(request: Request, viewer: Viewer, form: dict[str, str]) -> Response:
    lead_id = request.path_params["lead_id"]
    new = form.get("statut", "")
    if new not in STATUSES:
        return error_page(
            request,
            400,
            "Statut inconnu",
            "Choisissez un statut dans la liste : nouvelle, en cours, recontactée ou close.",
        )
    with session(settings_of(request).database_url) as db:
        lead = db.get(Lead, lead_id)
        if lead is None:
            outcome = None
        elif not viewer.can_see(lead.territory_id):
            outcome = "refused"
            audit.record(
                db,
                viewer.id,
                viewer.email,
                "statut_demande_refuse",
                f"demande {lead_id}",
                territoire=lead.territory_id,
            )
        else:
            outcome, old = "done", lead.status
            if old != new:
                lead.status = new
                # Same transaction as the change: no change without its audit entry.
                audit.record(
                    db,
                    viewer.id,
                    viewer.email,
                    "statut_demande",
                    f"demande {lead_id}",
                    avant=old,
                    apres=new,
                )
    if outcome != "done":
        # The same answer for a request of another territory as for a missing one: the
        # console does not reveal which request numbers exist elsewhere.
        return error_page(
            request,
            404,
            "Demande inaccessible",
            "Cette demande n'existe pas ou ne relève pas de votre territoire : "
            "son statut n'a pas été modifié.",
        )
    request.session["notice"] = (
        f"Demande n° {lead_id} : statut passé de « {status_label(old)} » à « {status_label(new)} »."
        if old != new
        else f"Demande n° {lead_id} : le statut était déjà « {status_label(new)} »."
    )
    target = _back(
        form.get("filtre_statut", "") if form.get("filtre_statut") in STATUSES else "",
        form.get("filtre_territoire", "") if viewer.is_admin else "",
    )
    return RedirectResponse(f"{target}#demande-{lead_id}", status_code=303)


routes = [
    Route("/demandes", leads_list),
    Route("/demandes.csv", leads_csv),
    Route("/demandes/{lead_id:int}/statut", change_status, methods=["POST"]),
]
