"""Recording advisors' edits of an aid (catalog/README.md, « Modifications faites dans la
console »): who may edit an aid, the catalogue's own validator run on the whole catalogue with
the edit applied (its structured errors placed on the form's fields), and the edit itself —
the aid updated in the database at once, the change kept as a pending `CatalogEdit`, the
catalogue revision bumped so that running processes reload it — and applied again after each
`qp catalog load` until `qp catalog apply-edits` writes it into the files (catalog/write_back.py).

Plain code over records and a SQLAlchemy session: no web, no Rasa."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import store
from catalog.accounts import Viewer
from catalog.aid_form import FIELDS, FIELDS_BY_KEY, number, with_facts
from catalog.files import CatalogFiles
from catalog.models import Aid, CatalogEdit
from catalog.problems import Problem
from catalog.validate import validate, where_of

PENDING, WRITTEN = "en_attente", "ecrite"
GENERAL = "_general"  # errors that belong to no single field of the form

# --- Who may edit -------------------------------------------------------------------------


def edit_refusal(viewer: Viewer, aid: Mapping[str, Any]) -> str | None:
    """Why `viewer` may not edit `aid` (French), or None when they may. Any advisor or
    administrator may edit an aid, except one restricted to some territories: only those
    territories' advisors and the administrators. Imported aids are corrected at their source."""
    if (aid.get("origin") or "curated") != "curated":
        return (
            "Cette aide vient d'Aides-territoires : elle est remplacée à chaque import. "
            "Signalez la correction à Aides-territoires."
        )
    territories = (aid.get("scope") or {}).get("territories") or []
    if territories and not viewer.is_admin and viewer.territory not in territories:
        return (
            "Cette aide est réservée à certains territoires : seuls leurs conseillers et les "
            "administrateurs peuvent la modifier."
        )
    return None


# --- The catalogue's own validator on the whole catalogue ----------------------------------


def form_key(problem: Problem) -> str:
    """The form field an error of the edited aid names (its `field`), or GENERAL."""
    for spec in FIELDS:
        if problem.field == spec.dotted:
            return spec.key
    for spec in FIELDS:  # « sources[2] » is the sources field
        if len(spec.path) == 1 and problem.top_field == spec.path[0]:
            return spec.key
    return GENERAL


def check_edit(files: CatalogFiles, aid_id: str, facts: Mapping[str, Any]) -> dict[str, list[str]]:
    """Run the catalogue's validator on the whole catalogue with the edit applied; the errors
    it did not report before the edit, by form field (French)."""
    before = set(validate(files))
    changed = CatalogFiles(
        aids=[with_facts(a, facts) if a.get("id") == aid_id else a for a in files.aids],
        territories=files.territories,
        regions=files.regions,
        contacts=files.contacts,
        homonyms=files.homonyms,
        origins=files.origins,
        errors=list(files.errors),
    )
    edited = next((a for a in changed.aids if a.get("id") == aid_id), {})
    ours = where_of(changed, "aids", edited)
    errors: dict[str, list[str]] = {}
    for problem in validate(changed):
        if problem in before:
            continue
        key = form_key(problem) if problem.path == ours else GENERAL
        message = problem.message if problem.message.endswith(".") else f"{problem.message}."
        if key == GENERAL:
            text = f"Le catalogue refuse cette modification : {str(problem).rstrip('.')}."
        else:
            text = f"Le catalogue refuse cette valeur : {message}"
        errors.setdefault(key, []).append(text)
    return errors


# --- Recording an edit ------------------------------------------------------------------


def to_json(key: str, value: Any) -> Any:
    """A fact as stored in an edit's before/after (JSON: dates as AAAA-MM-JJ)."""
    if isinstance(value, date):
        return value.isoformat()
    if FIELDS_BY_KEY[key].kind == "number":
        return number(value)
    return copy.deepcopy(value)


def from_json(key: str, value: Any) -> Any:
    if value is not None and FIELDS_BY_KEY[key].kind == "date":
        return date.fromisoformat(value)
    return value


def changes(
    current: Mapping[str, Any], new: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(before, after) of the fields that differ, JSON-ready."""
    before, after = {}, {}
    for key in FIELDS_BY_KEY:
        if key in new and to_json(key, current.get(key)) != to_json(key, new[key]):
            before[key] = to_json(key, current.get(key))
            after[key] = to_json(key, new[key])
    return before, after


def _model_facts(aid: Aid) -> dict[str, Any]:
    return {
        spec.key: (
            list(getattr(aid, spec.key) or [])
            if spec.kind in ("lines", "url_lines")
            else number(getattr(aid, spec.key))
            if spec.kind == "number"
            else getattr(aid, spec.key)
        )
        for spec in FIELDS
    }


def _set_model(aid: Aid, after: Mapping[str, Any]) -> None:
    for key, value in after.items():
        setattr(aid, key, from_json(key, value))


def save_edit(
    session: Session, account_id: int, aid_id: str, facts: Mapping[str, Any]
) -> CatalogEdit | None:
    """Apply checked facts to the aid in the database, keep the change as a pending edit and
    bump the catalogue revision, in the caller's transaction. None when nothing changed."""
    aid = session.get(Aid, aid_id)
    if aid is None:
        raise KeyError(aid_id)
    before, after = changes(_model_facts(aid), facts)
    if not after:
        return None
    _set_model(aid, after)
    edit = CatalogEdit(
        created_at=datetime.now(UTC),
        account_id=account_id,
        aid_id=aid_id,
        before=before,
        after=after,
        status=PENDING,
    )
    session.add(edit)
    store.bump_revision(session)
    session.flush()
    return edit


def pending_edits(session: Session) -> list[CatalogEdit]:
    return list(
        session.scalars(
            select(CatalogEdit).where(CatalogEdit.status == PENDING).order_by(CatalogEdit.id)
        )
    )


def edits_of(session: Session, aid_id: str, limit: int = 20) -> list[CatalogEdit]:
    return list(
        session.scalars(
            select(CatalogEdit)
            .where(CatalogEdit.aid_id == aid_id)
            .order_by(CatalogEdit.id.desc())
            .limit(limit)
        )
    )


def reapply_pending(session: Session) -> int:
    """Apply the pending edits again (oldest first) after the files were loaded; how many."""
    count = 0
    for edit in pending_edits(session):
        aid = session.get(Aid, edit.aid_id)
        if aid is not None:
            _set_model(aid, edit.after)
            count += 1
    return count
