"""Recording advisors' edits of an aid (catalog/README.md, « Modifications faites dans la
console »): who may edit an aid, the catalogue's own validator run on the whole catalogue with
the edit applied (its structured errors placed on the form's fields), and the edit itself —
the aid updated in the database at once, the change kept as a pending `CatalogEdit`, the
catalogue revision bumped so that running processes reload it — and applied again after each
`qp catalog load` until `qp catalog apply-edits` writes it into the files (catalog/write_back.py).

Optimistic locking: every aid has a version, carried by the edit form; a save made on an older
version is refused (`EditConflictError`, with the changes made since) instead of silently
overwriting someone else's change. Review: a change to a national aid (no region, no territory
in its scope: it reaches every territory) is only proposed (`a_valider`); another advisor or
an administrator approves it (then it is applied as above) or refuses it.

Plain code over records and a SQLAlchemy session: no web, no Rasa."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalog import store
from catalog.accounts import Viewer
from catalog.aid_form import FIELDS, FIELDS_BY_KEY, number, with_facts
from catalog.files import CatalogFiles
from catalog.models import Aid, CatalogEdit
from catalog.problems import Problem
from catalog.validate import validate, where_of

PENDING, WRITTEN = "en_attente", "ecrite"
PROPOSED, REFUSED = "a_valider", "refusee"
EDIT_STATUS_LABELS = {
    PROPOSED: "à valider",
    PENDING: "en attente",
    WRITTEN: "écrite",
    REFUSED: "refusée",
}
GENERAL = "_general"  # errors that belong to no single field of the form

# --- Who may edit -------------------------------------------------------------------------


def edit_refusal(viewer: Viewer, aid: Mapping[str, Any]) -> str | None:
    """Why `viewer` may not edit `aid` (French), or None when they may. Any advisor or
    administrator may edit an aid, except one restricted to some territories: only those
    territories' advisors and the administrators. Imported aids are corrected at their source."""
    if (aid.get("origin") or "catalogue") != "catalogue":
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


@dataclass(frozen=True)
class EditSummary:
    """An edit as a conflict reports it (plain values: usable after the transaction ends)."""

    id: int
    aid_id: str
    account_id: int
    created_at: datetime
    before: dict[str, Any]
    after: dict[str, Any]


class EditConflictError(Exception):
    """The aid changed since the edit form was opened: nothing was saved. `current` is the
    aid's version now, `since` the applied edits made after the form's version."""

    def __init__(self, current: int, since: list[EditSummary]) -> None:
        super().__init__("la fiche a changé depuis l'ouverture du formulaire")
        self.current = current
        self.since = since


class ReviewError(Exception):
    """A proposal cannot be approved or refused as asked (French message)."""


def needs_review(record: Mapping[str, Any]) -> bool:
    """A national aid (no region, no territory in its scope) reaches every territory: a change
    to it waits for another account's approval."""
    scope = record.get("scope") or {}
    return not scope.get("regions") and not scope.get("territories")


def _claim_version(session: Session, aid_id: str, expected: int) -> bool:
    """Raise the aid's version from `expected` by one, atomically (one conditional UPDATE):
    False when someone else changed it first."""
    return bool(
        store.rows_touched(
            session.execute(
                update(Aid)
                .where(Aid.id == aid_id, Aid.version == expected)
                .values(version=expected + 1)
                .execution_options(synchronize_session=False)
            )
        )
    )


def changes_since(session: Session, aid_id: str, version: int) -> list[CatalogEdit]:
    """The applied edits that made the aid's versions after `version`, oldest first."""
    return list(
        session.scalars(
            select(CatalogEdit)
            .where(
                CatalogEdit.aid_id == aid_id,
                CatalogEdit.version > version,
                CatalogEdit.status.in_((PENDING, WRITTEN)),
            )
            .order_by(CatalogEdit.id)
        )
    )


def _conflict(session: Session, aid: Aid, expected: int) -> EditConflictError:
    session.refresh(aid)
    return EditConflictError(
        aid.version,
        [
            EditSummary(e.id, e.aid_id, e.account_id, e.created_at, dict(e.before), dict(e.after))
            for e in changes_since(session, aid.id, expected)
        ],
    )


def save_edit(
    session: Session,
    account_id: int,
    aid_id: str,
    facts: Mapping[str, Any],
    expected_version: int | None = None,
    now: datetime | None = None,
) -> CatalogEdit | None:
    """Record checked facts for the aid, in the caller's transaction. None when nothing
    changed. `expected_version`: the version the form was opened on (None: the current one);
    EditConflictError when the aid changed since. A national aid's change is only proposed
    (status `a_valider`, the aid untouched); any other is applied at once, kept as a pending
    edit, and the catalogue revision is bumped."""
    now = now or datetime.now(UTC)
    aid = session.get(Aid, aid_id)
    if aid is None:
        raise KeyError(aid_id)
    expected = aid.version if expected_version is None else expected_version
    if aid.version != expected:
        raise _conflict(session, aid, expected)
    before, after = changes(_model_facts(aid), facts)
    if not after:
        return None
    edit = CatalogEdit(
        created_at=now,
        account_id=account_id,
        aid_id=aid_id,
        before=before,
        after=after,
        base_version=expected,
    )
    if needs_review(store.aid_record(aid)):
        edit.status = PROPOSED
    else:
        if not _claim_version(session, aid_id, expected):
            raise _conflict(session, aid, expected)
        _set_model(aid, after)
        aid.version = expected + 1
        edit.status, edit.version = PENDING, expected + 1
        store.bump_revision(session)
    session.add(edit)
    session.flush()
    return edit


def proposals(session: Session) -> list[CatalogEdit]:
    """The changes to national aids waiting for approval, oldest first."""
    return list(
        session.scalars(
            select(CatalogEdit).where(CatalogEdit.status == PROPOSED).order_by(CatalogEdit.id)
        )
    )


def review(
    session: Session, edit_id: int, reviewer: Viewer, approve: bool, now: datetime | None = None
) -> CatalogEdit:
    """Approve (apply, as `save_edit` does) or refuse a proposal, in the caller's transaction.
    Its author may withdraw it (refuse) but not approve it; approving needs the right to edit
    the aid, and the aid unchanged since the proposal (else ReviewError: it must be refused
    and proposed again on the current facts)."""
    now = now or datetime.now(UTC)
    edit = session.get(CatalogEdit, edit_id)
    if edit is None or edit.status != PROPOSED:
        raise ReviewError("Cette proposition n'existe pas ou a déjà été traitée.")
    aid = session.get(Aid, edit.aid_id)
    if approve:
        if edit.account_id == reviewer.id:
            raise ReviewError(
                "Vous ne pouvez pas valider votre propre proposition : un autre conseiller ou "
                "un administrateur doit la relire."
            )
        if aid is None:
            raise ReviewError("Cette aide n'existe plus dans le catalogue.")
        refusal = edit_refusal(reviewer, store.aid_record(aid))
        if refusal:
            raise ReviewError(refusal)
        if aid.version != edit.base_version or not _claim_version(session, aid.id, aid.version):
            raise ReviewError(
                "La fiche a été modifiée depuis cette proposition : elle ne peut plus être "
                "appliquée telle quelle. Refusez-la ; son auteur pourra la refaire sur la "
                "fiche actuelle."
            )
        _set_model(aid, edit.after)
        aid.version = edit.base_version + 1
        edit.status, edit.version = PENDING, edit.base_version + 1
        store.bump_revision(session)
    else:
        edit.status = REFUSED
    edit.reviewer_id, edit.reviewed_at = reviewer.id, now
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
