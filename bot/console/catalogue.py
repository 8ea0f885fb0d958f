"""The catalogue upkeep pages: every aid with its last check (« à revérifier » after six
months), and the form that corrects an aid's facts and sources.

The logic is in catalog/: the list (aid_overview.py), the form's field checks (aid_form.py),
the catalogue's validator on the whole catalogue with the change applied, the pending edit and
the revision bump that makes the running assistant reload (aid_edits.py); the edit is written
into catalog/data/ later by `qp catalog apply-edits` (write_back.py).
Who may edit: any signed-in advisor or administrator, except an aid restricted to some
territories (its advisors and the administrators only)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.console.auth import page, settings_of
from bot.console.db import engine, session
from bot.console.home import territory_names
from bot.console.pages import error_page, render
from catalog import aid_edits, aid_form, aid_overview, audit, store
from catalog.accounts import Viewer
from catalog.freshness import is_stale, stale_before
from catalog.labels import FAMILY_LABELS
from catalog.models import Account, Aid


def _record(db: Any, aid_id: str) -> dict[str, Any] | None:
    aid = db.get(Aid, aid_id)
    return store.aid_record(aid) if aid is not None else None


@page()
def catalogue_list(request: Request, viewer: Viewer, form: dict[str, str]) -> Response:
    sort = request.query_params.get("tri", "verification")
    sort = sort if sort in aid_overview.SORTS else "verification"
    family = request.query_params.get("famille", "")
    family = family if family in FAMILY_LABELS else ""
    only_stale = request.query_params.get("a_reverifier") == "1"
    today = date.today()
    with session(settings_of(request).database_url) as db:
        aids = [store.aid_record(a) for a in db.scalars(select(Aid))]
        pending = {e.aid_id for e in aid_edits.pending_edits(db)}
    rows = aid_overview.overview(aids, today, pending, sort, family or None, only_stale)
    stale = sum(1 for a in aids if is_stale(a.get("last_checked"), today))
    return render(
        request,
        "catalogue.html",
        rows=rows,
        sorts=aid_overview.SORTS,
        sort=sort,
        families=FAMILY_LABELS,
        family=family,
        only_stale=only_stale,
        total=len(aids),
        stale=stale,
        pending=len(pending),
        since=stale_before(today),
        names=territory_names(),
    )


def _history(db: Any, aid_id: str) -> list[dict[str, Any]]:
    edits = aid_edits.edits_of(db, aid_id)
    emails = (
        dict(
            db.execute(
                select(Account.id, Account.email).where(
                    Account.id.in_({e.account_id for e in edits})
                )
            ).all()
        )
        if edits
        else {}
    )
    return [
        {
            "at": e.created_at,
            "who": emails.get(e.account_id, "?"),
            "fields": [
                aid_form.FIELDS_BY_KEY[k].label if k in aid_form.FIELDS_BY_KEY else k
                for k in e.after
            ],
            "written": e.status == aid_edits.WRITTEN,
            "written_at": e.written_at,
        }
        for e in edits
    ]


def _page(
    request: Request,
    viewer: Viewer,
    record: dict[str, Any],
    history: list,
    values: dict[str, str],
    errors: dict[str, list[str]],
    today_checked: bool,
    status: int = 200,
) -> Response:
    return render(
        request,
        "aide.html",
        status=status,
        aid=record,
        values=values,
        errors=errors,
        fields=aid_form.FIELDS,
        choices=aid_form.CHOICES,
        general=errors.get(aid_edits.GENERAL, []),
        today_checked=today_checked,
        refusal=aid_edits.edit_refusal(viewer, record),
        history=history,
        family=FAMILY_LABELS.get(record.get("family"), record.get("family")),
        stale=is_stale(record.get("last_checked"), date.today()),
        names=territory_names(),
        today_field=aid_form.TODAY_FIELD,
        notice=request.session.pop("notice", None),
    )


@page()
def aid_page(request: Request, viewer: Viewer, form: dict[str, str]) -> Response:
    aid_id = request.path_params["aid_id"]
    url = settings_of(request).database_url
    with session(url) as db:
        record = _record(db, aid_id)
        history = _history(db, aid_id) if record else []
    if record is None:
        return error_page(
            request, 404, "Aide introuvable", "Cette aide n'existe pas dans le catalogue."
        )
    if request.method == "GET":
        return _page(
            request,
            viewer,
            record,
            history,
            aid_form.form_strings(aid_form.facts_of(record)),
            {},
            False,
        )

    refusal = aid_edits.edit_refusal(viewer, record)
    if refusal:
        with session(url) as db:
            audit.record(db, viewer.id, viewer.email, "modification_aide_refusee", aid_id)
        return error_page(request, 403, "Modification refusée", f"{refusal} Rien n'a été modifié.")
    today = date.today()
    values, errors = aid_form.parse_form(form, today)
    if not errors:
        # The catalogue's own validator, on the whole catalogue with this change applied.
        errors = aid_edits.check_edit(store.read(engine(url)), aid_id, values)
    if errors:
        typed = {spec.key: form.get(spec.key, "") for spec in aid_form.FIELDS}
        return _page(
            request,
            viewer,
            record,
            history,
            typed,
            errors,
            bool(form.get(aid_form.TODAY_FIELD)),
            status=400,
        )
    with session(url) as db:
        edit = aid_edits.save_edit(db, viewer.id, aid_id, values)
        if edit is not None:
            # Same transaction as the change: no edit without its audit entry.
            audit.record(
                db,
                viewer.id,
                viewer.email,
                "modification_aide",
                aid_id,
                modification=edit.id,
                champs=sorted(edit.after),
            )
    request.session["notice"] = (
        "Modifications enregistrées : l'assistant les utilise dans quelques secondes. Elles "
        "seront reportées dans les fichiers du catalogue (qp catalog apply-edits)."
        if edit is not None
        else "Aucune modification : la fiche est inchangée."
    )
    return RedirectResponse(f"/console/catalogue/{aid_id}", status_code=303)


routes = [
    Route("/catalogue", catalogue_list),
    Route("/catalogue/{aid_id:str}", aid_page, methods=["GET", "POST"]),
]
