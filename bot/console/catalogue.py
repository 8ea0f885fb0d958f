"""The catalogue upkeep pages: every aid with its last check (« à revérifier » after six
months), and the form that corrects an aid's facts and sources.

The logic is in catalog/: the list (aid_overview.py), the form's field checks (aid_form.py),
the catalogue's validator on the whole catalogue with the change applied, the pending edit and
the revision bump that makes the running assistant reload (aid_edits.py); the edit is written
into catalog/data/ later by `qp catalog apply-edits` (write_back.py).
Who may edit: any signed-in advisor or administrator, except an aid restricted to some
territories (its advisors and the administrators only).

The form carries the aid's version: a save made while someone else saved first is refused
with the other's change shown (HTTP 409), what was typed kept. A change to a national aid is
only proposed: it waits on the « Validations » page for another advisor or an administrator."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.console.auth import page, settings_of
from bot.console.db import engine, session
from bot.console.pages import error_page, render
from catalog import aid_edits, aid_form, aid_overview, audit, store
from catalog.accounts import Viewer
from catalog.files import territory_names
from catalog.freshness import is_due, stale_before, withdrawal
from catalog.labels import FAMILY_LABELS
from catalog.models import Account, Aid


def _record(db: Any, aid_id: str) -> dict[str, Any] | None:
    aid = db.get(Aid, aid_id)
    return {**store.aid_record(aid), "version": aid.version} if aid is not None else None


def _names(db: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.execute(select(Account.id, Account.email).where(Account.id.in_(ids))).all())


def _field_label(key: str) -> str:
    return aid_form.FIELDS_BY_KEY[key].label if key in aid_form.FIELDS_BY_KEY else key


def _shown_value(key: str, value: Any) -> str:
    if value is None or value == []:
        return "(vide)"
    if isinstance(value, list):
        return " ; ".join(str(v) for v in value)
    if key in aid_form.CHOICES:
        return str(aid_form.CHOICES[key].get(value, value))
    return str(value)


def _described(db: Any, edits: list) -> list[dict[str, Any]]:
    """Edits as the pages show them: who, when, each field's value before and after."""
    who = _names(db, {e.account_id for e in edits})
    return [
        {
            "id": e.id,
            "aid_id": e.aid_id,
            "at": e.created_at,
            "who": who.get(e.account_id, "?"),
            "account_id": e.account_id,
            "changes": [
                (
                    _field_label(k),
                    _shown_value(k, e.before.get(k)),
                    _shown_value(k, e.after[k]),
                )
                for k in e.after
            ],
        }
        for e in edits
    ]


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
        proposed = len(aid_edits.proposals(db))
    rows = aid_overview.overview(aids, today, pending, sort, family or None, only_stale)
    stale = sum(1 for a in aids if is_due(a, today))
    withdrawn = sum(1 for a in aids if withdrawal(a))
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
        withdrawn=withdrawn,
        pending=len(pending),
        proposed=proposed,
        since=stale_before(today),
        names=territory_names(),
    )


def _history(db: Any, aid_id: str) -> list[dict[str, Any]]:
    edits = aid_edits.edits_of(db, aid_id)
    emails = _names(db, {e.account_id for e in edits})
    return [
        {
            "at": e.created_at,
            "who": emails.get(e.account_id, "?"),
            "fields": [_field_label(k) for k in e.after],
            "status": e.status,
            "status_label": aid_edits.EDIT_STATUS_LABELS.get(e.status, e.status),
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
    conflict: list[dict[str, Any]] | None = None,
    version: int | None = None,
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
        stale=is_due(record, date.today()),
        withdrawn=withdrawal(record),
        names=territory_names(),
        today_field=aid_form.TODAY_FIELD,
        notice=request.session.pop("notice", None),
        needs_review=aid_edits.needs_review(record),
        # The version the form was opened on (kept when it is shown again with errors).
        version=record["version"] if version is None else version,
        conflict=conflict,
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
    try:
        expected = int(form.get("version", ""))
    except ValueError:
        expected = -1  # a form without version (or forged): treated as out of date
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
            version=expected,
        )
    try:
        with session(url) as db:
            edit = aid_edits.save_edit(db, viewer.id, aid_id, values, expected)
            if edit is not None:
                # Same transaction as the change: no edit without its audit entry.
                audit.record(
                    db,
                    viewer.id,
                    viewer.email,
                    "proposition_modification_aide"
                    if edit.status == aid_edits.PROPOSED
                    else "modification_aide",
                    aid_id,
                    modification=edit.id,
                    champs=sorted(edit.after),
                )
                proposed = edit.status == aid_edits.PROPOSED
    except aid_edits.EditConflictError as conflict:
        with session(url) as db:
            record = _record(db, aid_id)
            since = _described(db, list(conflict.since))
            history = _history(db, aid_id)
        typed = {spec.key: form.get(spec.key, "") for spec in aid_form.FIELDS}
        return _page(
            request,
            viewer,
            record,
            history,
            typed,
            {},
            bool(form.get(aid_form.TODAY_FIELD)),
            status=409,
            conflict=since,
        )
    if edit is None:
        notice = "Aucune modification : la fiche est inchangée."
    elif proposed:
        notice = (
            "Modification proposée : cette aide est nationale, elle concerne tous les "
            "territoires. Un autre conseiller ou un administrateur doit la valider (page "
            "« Validations ») avant que l'assistant ne l'utilise."
        )
    else:
        notice = (
            "Modifications enregistrées : l'assistant les utilise dans quelques secondes. Elles "
            "seront reportées dans les fichiers du catalogue (qp catalog apply-edits)."
        )
    request.session["notice"] = notice
    return RedirectResponse(f"/console/catalogue/{aid_id}", status_code=303)


@page()
def reviews(request: Request, viewer: Viewer, form: dict[str, str]) -> Response:
    """The changes to national aids waiting for approval; POST approves or refuses one."""
    url = settings_of(request).database_url
    if request.method == "POST":
        decision = form.get("decision", "")
        try:
            edit_id = int(form.get("modification", ""))
        except ValueError:
            edit_id = -1
        if decision not in ("valider", "refuser"):
            return error_page(
                request, 400, "Décision inconnue", "Choisissez « Valider » ou « Refuser »."
            )
        try:
            with session(url) as db:
                edit = aid_edits.review(db, edit_id, viewer, approve=decision == "valider")
                audit.record(
                    db,
                    viewer.id,
                    viewer.email,
                    "validation_modification_aide"
                    if decision == "valider"
                    else "refus_modification_aide",
                    edit.aid_id,
                    modification=edit.id,
                    auteur=edit.account_id,
                )
                aid_id = edit.aid_id
        except aid_edits.ReviewError as error:
            request.session["notice"] = f"Rien n'a été fait : {error}"
            return RedirectResponse("/console/catalogue/validations", status_code=303)
        request.session["notice"] = (
            f"Modification n° {edit_id} de « {aid_id} » validée : l'assistant l'utilise dans "
            "quelques secondes."
            if decision == "valider"
            else f"Modification n° {edit_id} de « {aid_id} » refusée : la fiche est inchangée."
        )
        return RedirectResponse("/console/catalogue/validations", status_code=303)
    with session(url) as db:
        waiting = aid_edits.proposals(db)
        shown = _described(db, waiting)
        current = {
            a.id: (a.name, a.version)
            for a in db.scalars(select(Aid).where(Aid.id.in_({e.aid_id for e in waiting})))
        }
        bases = {e.id: e.base_version for e in waiting}
    for item in shown:
        name, version = current.get(item["aid_id"], (item["aid_id"], None))
        item["aid_name"] = name
        item["outdated"] = version != bases[item["id"]]
        item["own"] = item["account_id"] == viewer.id
    return render(
        request,
        "validations.html",
        proposals=shown,
        notice=request.session.pop("notice", None),
    )


routes = [
    Route("/catalogue", catalogue_list),
    Route("/catalogue/validations", reviews, methods=["GET", "POST"]),
    Route("/catalogue/{aid_id:str}", aid_page, methods=["GET", "POST"]),
]
