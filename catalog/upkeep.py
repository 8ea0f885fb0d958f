"""Upkeep of the catalogue from the advisors' console (see catalog/README.md, « Modifications
faites dans la console »):

- which aids are due for a new check (last checked more than six months ago, or never);
- reading and checking an edit of an aid's facts (field checks, then the catalogue's own
  validator on the whole catalogue with the change applied), French messages per field;
- recording it: the aid is updated in the database at once, the change kept as a pending
  `CatalogEdit` and the catalogue revision bumped (running processes reload it);
- optimistic locking: every aid has a version, carried by the edit form; a save made on an
  older version is refused (`EditConflictError`, with the changes made since) instead of silently
  overwriting someone else's change;
- review: a change to a national aid (no region, no territory in its scope: it reaches every
  territory) is only proposed (`a_valider`); another advisor or an administrator approves it
  (then it is applied as above) or refuses it;
- `qp catalog apply-edits`: writing the pending edits into the YAML files of catalog/data/
  (ruamel.yaml round trip: comments, key order and quoting kept), then marking them written;
- `qp catalog load`: applying the still pending edits again on top of the files.

Everything here is plain code over records and a SQLAlchemy session: no web, no Rasa.
"""

from __future__ import annotations

import copy
import io
import math
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.emitter import RoundTripEmitter
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from catalog import store
from catalog.accounts import Viewer
from catalog.files import CatalogFiles, read_files
from catalog.labels import AID_STATUS_LABELS, CONFIDENCE_LABELS, FAMILY_LABELS
from catalog.models import Aid, CatalogEdit
from catalog.validate import CONFIDENCES, STATUSES, URL, validate

STALE_MONTHS = 6
PENDING, WRITTEN = "en_attente", "ecrite"
PROPOSED, REFUSED = "a_valider", "refusee"
EDIT_STATUS_LABELS = {
    PROPOSED: "à valider",
    PENDING: "en attente",
    WRITTEN: "écrite",
    REFUSED: "refusée",
}

STATUS_LABELS = AID_STATUS_LABELS
CHOICES = {"status": STATUS_LABELS, "confidence": CONFIDENCE_LABELS}
assert set(STATUS_LABELS) == set(STATUSES)
assert set(CONFIDENCE_LABELS) == set(CONFIDENCES)

MAX_TEXT = 300  # name, amount text
MAX_LONG_TEXT = 2000  # summary
MAX_LINE = 1000  # one source or one check
MAX_LINES = 30
MAX_AMOUNT = 1e10


@dataclass(frozen=True)
class Field:
    key: str  # Aid column, form field and key of an edit's before/after
    path: tuple[str, ...]  # where the value lives in an aid record of the YAML files
    label: str  # French label of the form
    kind: str  # text | long_text | number | url | lines | url_lines | choice | date


FIELDS = (
    Field("name", ("name",), "Nom de l'aide", "text"),
    Field(
        "summary",
        ("summary",),
        "Résumé (une à trois phrases, en vouvoyant la personne)",
        "long_text",
    ),
    Field("amount_text", ("amount", "text"), "Montant, tel que l'assistant l'affiche", "text"),
    Field("amount_min", ("amount", "min"), "Montant minimum en euros", "number"),
    Field("amount_max", ("amount", "max"), "Montant maximum en euros", "number"),
    Field("url", ("url",), "Page officielle (adresse http ou https)", "url"),
    Field("sources", ("sources",), "Sources consultées (une adresse par ligne)", "url_lines"),
    Field("checks", ("checks",), "Points à vérifier par la personne (un par ligne)", "lines"),
    Field("confidence", ("confidence",), "Niveau de confiance", "choice"),
    Field("status", ("status",), "Statut", "choice"),
    Field("valid_until", ("valid_until",), "Date de fin (vide si aucune)", "date"),
    Field("last_checked", ("last_checked",), "Date de dernière vérification", "date"),
)
FIELDS_BY_KEY = {f.key: f for f in FIELDS}
TODAY_FIELD = "verifiee_aujourdhui"  # the « vérifiée aujourd'hui » check box
GENERAL = "_general"  # errors that belong to no single field


class UpkeepError(Exception):
    """The pending edits cannot be written into the files (French message)."""


# --- Which aids to check again ------------------------------------------------------------


def stale_before(today: date, months: int = STALE_MONTHS) -> date:
    """The date `months` calendar months before today (the day clamped to the month's end)."""
    month_index = today.year * 12 + today.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for day in range(today.day, 0, -1):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def is_stale(last_checked: date | None, today: date) -> bool:
    """« À revérifier »: never checked, or last checked more than six months ago."""
    return last_checked is None or last_checked < stale_before(today)


@dataclass(frozen=True)
class AidRow:
    """One line of the console's catalogue list."""

    id: str
    name: str
    family: str
    status: str
    confidence: str
    last_checked: date | None
    stale: bool
    territories: tuple[str, ...]
    origin: str
    pending: bool

    @property
    def family_label(self) -> str:
        return FAMILY_LABELS.get(self.family, self.family)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def confidence_label(self) -> str:
        return CONFIDENCE_LABELS.get(self.confidence, self.confidence)


SORTS = {
    "verification": "date de vérification (à revérifier d'abord)",
    "nom": "nom",
    "famille": "famille",
}


def overview(
    aids: Iterable[Mapping[str, Any]],
    today: date,
    pending: set[str] = frozenset(),
    sort: str = "verification",
    family: str | None = None,
    only_stale: bool = False,
) -> list[AidRow]:
    """The aids as the console lists them, filtered and sorted (default: stale ones first,
    never checked before the oldest check)."""
    rows = []
    for aid in aids:
        if family and aid.get("family") != family:
            continue
        stale = is_stale(aid.get("last_checked"), today)
        if only_stale and not stale:
            continue
        scope = aid.get("scope") or {}
        rows.append(
            AidRow(
                aid["id"],
                aid["name"],
                aid.get("family") or "",
                aid["status"],
                aid["confidence"],
                aid.get("last_checked"),
                stale,
                tuple(scope.get("territories") or ()),
                aid.get("origin") or "curated",
                aid["id"] in pending,
            )
        )
    if sort == "nom":
        rows.sort(key=lambda r: (r.name.casefold(), r.id))
    elif sort == "famille":
        rows.sort(
            key=lambda r: (
                list(FAMILY_LABELS).index(r.family) if r.family in FAMILY_LABELS else 99,
                r.name.casefold(),
            )
        )
    else:
        rows.sort(
            key=lambda r: (
                not r.stale,
                r.last_checked is not None,
                r.last_checked or date.min,
                r.name.casefold(),
            )
        )
    return rows


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


# --- Facts of a record, the form, field checks -----------------------------------------


def facts_of(record: Mapping[str, Any]) -> dict[str, Any]:
    """The editable facts of an aid record (files' or database's shape), by field key."""
    facts = {}
    for spec in FIELDS:
        value: Any = record
        for part in spec.path:
            value = value.get(part) if isinstance(value, Mapping) else None
        if spec.kind in ("lines", "url_lines"):
            value = [str(item) for item in value or []]
        elif spec.kind == "number":
            value = _number(value)
        elif spec.kind == "date":
            value = value if isinstance(value, date) else None
        facts[spec.key] = value
    return facts


def with_facts(record: Mapping[str, Any], facts: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the record with the facts set (files' shape)."""
    changed = copy.deepcopy(dict(record))
    for key, value in facts.items():
        path = FIELDS_BY_KEY[key].path
        target = changed
        for part in path[:-1]:
            if not isinstance(target.get(part), dict):
                target[part] = {}
            target = target[part]
        target[path[-1]] = copy.deepcopy(value)
    return changed


def form_strings(facts: Mapping[str, Any]) -> dict[str, str]:
    """Facts as the edit form shows them."""
    shown = {}
    for spec in FIELDS:
        value = facts.get(spec.key)
        if value is None:
            shown[spec.key] = ""
        elif spec.kind in ("lines", "url_lines"):
            shown[spec.key] = "\n".join(value)
        elif spec.kind == "date":
            shown[spec.key] = value.isoformat()
        elif spec.kind == "number":
            shown[spec.key] = str(_number(value))
        else:
            shown[spec.key] = str(value)
    return shown


def parse_form(form: Mapping[str, str], today: date) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The facts typed in the edit form, and the French errors by field (empty when valid)."""
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}

    def fail(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    for spec in FIELDS:
        raw = (form.get(spec.key) or "").replace("\r\n", "\n").replace("\r", "\n")
        if spec.kind == "text":
            text = _squeeze(raw)
            if len(text) > MAX_TEXT:
                fail(spec.key, f"Ce texte ne doit pas dépasser {MAX_TEXT} caractères.")
            values[spec.key] = text or None
        elif spec.kind == "long_text":
            text = _squeeze(raw)
            if len(text) > MAX_LONG_TEXT:
                fail(spec.key, f"Ce texte ne doit pas dépasser {MAX_LONG_TEXT} caractères.")
            values[spec.key] = text or None
        elif spec.kind == "url":
            text = raw.strip()
            if text and not _is_url(text):
                fail(
                    spec.key,
                    "Indiquez une adresse complète commençant par http:// ou "
                    "https:// (par exemple https://www.urssaf.fr).",
                )
            values[spec.key] = text or None
        elif spec.kind in ("lines", "url_lines"):
            lines = [_squeeze(line) for line in raw.split("\n")]
            lines = [line for line in lines if line]
            if len(lines) > MAX_LINES:
                fail(spec.key, f"Pas plus de {MAX_LINES} lignes.")
            for number, line in enumerate(lines, start=1):
                if len(line) > MAX_LINE:
                    fail(spec.key, f"Ligne {number} : pas plus de {MAX_LINE} caractères.")
                elif spec.kind == "url_lines" and not _is_url(line):
                    fail(
                        spec.key,
                        f"Ligne {number} : « {line[:80]} » n'est pas une adresse "
                        "commençant par http:// ou https://.",
                    )
            values[spec.key] = lines
        elif spec.kind == "number":
            values[spec.key] = None
            text = re.sub(r"[\s\u00a0\u202f€]", "", raw).replace(",", ".")
            if text:
                try:
                    number = float(text)
                except ValueError:
                    number = None
                if number is None or not math.isfinite(number):
                    fail(
                        spec.key, "Indiquez un nombre d'euros (par exemple 15000), ou laissez vide."
                    )
                elif number < 0 or number > MAX_AMOUNT:
                    fail(spec.key, "Le montant doit être un nombre positif.")
                else:
                    values[spec.key] = _number(number)
        elif spec.kind == "choice":
            text = raw.strip()
            if text not in CHOICES[spec.key]:
                fail(spec.key, "Choisissez une valeur dans la liste.")
            values[spec.key] = text or None
        elif spec.kind == "date":
            text = raw.strip()
            values[spec.key] = None
            if text:
                parsed = parse_date(text)
                if parsed is None:
                    fail(
                        spec.key,
                        "Indiquez une date valide au format AAAA-MM-JJ (par exemple 2026-12-31).",
                    )
                values[spec.key] = parsed
    if form.get(TODAY_FIELD):
        values["last_checked"] = today
        errors.pop("last_checked", None)
    if not values.get("name"):
        fail("name", "Indiquez le nom de l'aide.")
    if not values.get("summary"):
        fail("summary", "Indiquez un résumé.")
    if not values.get("url") and "url" not in errors:
        fail("url", "Indiquez l'adresse de la page officielle.")
    if not values.get("sources") and "sources" not in errors:
        fail("sources", "Indiquez au moins une source.")
    low, high = values.get("amount_min"), values.get("amount_max")
    if low is not None and high is not None and low > high:
        fail("amount_min", "Le montant minimum ne peut pas dépasser le montant maximum.")
    checked = values.get("last_checked")
    if checked is None and "last_checked" not in errors:
        fail(
            "last_checked",
            "Indiquez la date de dernière vérification, ou cochez « vérifiée aujourd'hui ».",
        )
    elif checked is not None and checked > today:
        fail("last_checked", "La date de vérification ne peut pas être dans le futur.")
    return values, errors


def _squeeze(text: str) -> str:
    """Runs of spaces, tabs and line breaks as one space; non-breaking spaces (French
    typography: « 15 000 € ») are kept."""
    return re.sub(r"[ \t\n]+", " ", text).strip(" \t\n")


def parse_date(text: str) -> date | None:
    """AAAA-MM-JJ (what a date field sends) or JJ/MM/AAAA; None when not a real date."""
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text) or None
    parts = (match.group(1), match.group(2), match.group(3)) if match else None
    if parts is None:
        match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
        parts = (match.group(3), match.group(2), match.group(1)) if match else None
    if parts is None:
        return None
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None


def _is_url(text: str) -> bool:
    return len(text) <= MAX_LINE and bool(URL.match(text))


def _number(value: Any) -> int | float | None:
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value) if float(value).is_integer() else float(value)


# --- The catalogue's own validator on the whole catalogue ----------------------------------

# Validator messages name the record's keys; the first key found tells the form field.
_VALIDATOR_KEYS = (
    ("amount.min", "amount_min"),
    ("amount.max", "amount_max"),
    ("valid_until", "valid_until"),
    ("last_checked", "last_checked"),
    ("sources", "sources"),
    ("checks", "checks"),
    ("confidence", "confidence"),
    ("status", "status"),
    ("url", "url"),
    ("summary", "summary"),
    ("name", "name"),
    ("amount", "amount_text"),
)


# The validator's technical names, as the form's French says them.
_READABLE = (
    ("à amount.max", "au montant maximum"),
    ("amount.min", "le montant minimum"),
    ("amount.max", "le montant maximum"),
    ("valid_until", "la date de fin"),
    ("valid_from", "la date de début"),
    ("last_checked", "la date de vérification"),
)


def _readable(text: str) -> str:
    text = re.sub(r"\s*\((?:[a-z_]+(?:\.[a-z_]+)?)\)$", "", text)  # « … (valid_until) »
    for token, words in _READABLE:
        text = text.replace(token, words)
    return text if text.endswith(".") else f"{text}."


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
    errors: dict[str, list[str]] = {}
    for message in validate(changed):
        if message in before:
            continue
        text = message.split(": ", 1)[1] if ": " in message else message
        key = next((k for token, k in _VALIDATOR_KEYS if token in text), GENERAL)
        errors.setdefault(key, []).append(f"Le catalogue refuse cette valeur : {_readable(text)}")
    return errors


# --- Recording an edit ------------------------------------------------------------------


def to_json(key: str, value: Any) -> Any:
    """A fact as stored in an edit's before/after (JSON: dates as AAAA-MM-JJ)."""
    if isinstance(value, date):
        return value.isoformat()
    if FIELDS_BY_KEY[key].kind == "number":
        return _number(value)
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
            else _number(getattr(aid, spec.key))
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


# --- Writing the pending edits into the YAML files --------------------------------------


class _CatalogEmitter(RoundTripEmitter):
    """The files' layout: top-level records at column 0 (« - id: … », keys at 2), nested lists
    indented under their key (« sources: » then « ····- … »)."""

    def _top_sequence(self) -> bool:
        return (
            self.indent == 0 and len(self.indents.values) == 1 and bool(self.indents.values[0][1])
        )

    def increase_indent(
        self, flow: bool = False, sequence: bool | None = None, indentless: bool = False
    ) -> None:
        if not flow and not indentless and self._top_sequence():
            self.indents.append(self.indent, sequence)
            self.indent = 2
            return
        super().increase_indent(flow, sequence, indentless)

    def expect_block_sequence_item(self, first: bool = False) -> None:
        if not self._top_sequence():
            return super().expect_block_sequence_item(first)
        saved, self.sequence_dash_offset = self.sequence_dash_offset, 0
        try:
            return super().expect_block_sequence_item(first)
        finally:
            self.sequence_dash_offset = saved


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long lines
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.Emitter = _CatalogEmitter
    yaml.representer.add_representer(
        type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    return yaml


def load_yaml(text: str) -> Any:
    """A data file as ruamel.yaml's round-trip objects (comments and quoting kept)."""
    return _yaml().load(text)


def dump_yaml(data: Any) -> str:
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


# Key order of an aid record (catalog/data/README.md), to place a key the record lacks.
RECORD_KEYS = (
    "id",
    "name",
    "family",
    "provider",
    "operator",
    "type",
    "summary",
    "amount",
    "qpv_specific",
    "needs",
    "scope",
    "eligibility",
    "checks",
    "status",
    "valid_from",
    "valid_until",
    "url",
    "sources",
    "confidence",
    "last_checked",
    "research_ref",
)
FOLD_WIDTH = 90


def _folded(text: str) -> FoldedScalarString:
    """A `>-` block whose lines stay under FOLD_WIDTH characters, like the hand-written ones."""
    text = _squeeze(text)
    scalar = FoldedScalarString(text)
    positions, start = [], 0
    while len(text) - start > FOLD_WIDTH:
        cut = text.rfind(" ", start, start + FOLD_WIDTH + 1)
        if cut <= start:
            cut = text.find(" ", start + FOLD_WIDTH)
            if cut < 0:
                break
        positions.append(cut)
        start = cut + 1
    scalar.fold_pos = positions
    return scalar


def _styled(value: Any, like: Any, default: type | None = DoubleQuotedScalarString) -> Any:
    """A string in the style of the value it replaces (quotes, folded block)."""
    if not isinstance(value, str):
        return value
    for style in (
        FoldedScalarString,
        LiteralScalarString,
        DoubleQuotedScalarString,
        SingleQuotedScalarString,
    ):
        if isinstance(like, style):
            return _folded(value) if style is FoldedScalarString else style(value)
    if isinstance(like, str) or default is None:
        return value
    return _folded(value) if default is FoldedScalarString else default(value)


def _insert(record: CommentedMap, key: str, value: Any) -> None:
    """Set a key the record lacks, after the keys that come before it in RECORD_KEYS."""
    order = RECORD_KEYS.index(key) if key in RECORD_KEYS else len(RECORD_KEYS)
    position = len(record)
    for index, existing in enumerate(record):
        if existing in RECORD_KEYS and RECORD_KEYS.index(existing) > order:
            position = index
            break
    record.insert(position, key, value)


def _set_list(record: CommentedMap, key: str, values: list[str]) -> None:
    """Replace a list's items in place. Comments that followed the list (the blank line and
    comment lines before the next key) stay after it: ruamel keeps them on the last item of a
    block list, and on the key of an empty flow list (« checks: [] »)."""
    old = record.get(key)
    if not isinstance(old, CommentedSeq):
        old = CommentedSeq()
        if key in record:
            record[key] = old
        else:
            _insert(record, key, old)
    like = old[0] if len(old) else None
    tail = old.ca.items.pop(len(old) - 1, None) if len(old) else None
    after_key = record.ca.items.get(key)
    if (
        tail is None
        and after_key
        and len(after_key) > 2
        and after_key[2] is not None
        and not len(old)
    ):
        tail = [after_key[2], None, None, None]
        after_key[2] = None
    while len(old):
        old.pop()
    for value in values:
        old.append(_styled(value, like))
    if values:
        if not old.fa.flow_style() or like is None:
            old.fa.set_block_style()
        if tail is not None:
            old.ca.items[len(old) - 1] = tail
    else:
        old.fa.set_flow_style()
        if tail is not None and tail[0] is not None:
            entry = record.ca.items.setdefault(key, [None, None, None, None])
            if entry[2] is None:
                entry[2] = tail[0]


def _set_fact(record: CommentedMap, key: str, value: Any) -> None:
    spec = FIELDS_BY_KEY[key]
    if spec.kind in ("lines", "url_lines"):
        _set_list(record, spec.path[0], list(value or []))
        return
    if spec.kind == "date" and value is not None:
        value = date.fromisoformat(value) if isinstance(value, str) else value
    target = record
    for part in spec.path[:-1]:
        if not isinstance(target.get(part), CommentedMap):
            nested = CommentedMap()
            if part in target:
                target[part] = nested
            else:
                _insert(target, part, nested)
        target = target[part]
    last = spec.path[-1]
    default = (
        FoldedScalarString
        if spec.kind == "long_text"
        else (None if spec.kind == "choice" else DoubleQuotedScalarString)
    )
    styled = _styled(value, target.get(last), default)
    if last in target:
        target[last] = styled
    elif len(spec.path) == 1:
        _insert(target, last, styled)
    else:
        target[last] = styled


def _file_facts(record: Mapping[str, Any]) -> dict[str, Any]:
    return {key: to_json(key, value) for key, value in facts_of(record).items()}


@dataclass
class WriteReport:
    written: list[int] = field(default_factory=list)  # edit ids written
    files: list[Path] = field(default_factory=list)  # files changed
    missing: list[tuple[int, str]] = field(default_factory=list)  # (edit id, aid id)
    conflicts: list[str] = field(default_factory=list)  # warnings, in French


def write_edits(
    directory: Path, edits: Iterable[tuple[int, str, Mapping[str, Any], Mapping[str, Any]]]
) -> WriteReport:
    """Write edits — (edit id, aid id, before, after), oldest first — into the aid files of
    `directory`. The files are validated with the change (`catalog/validate.py`); on error
    nothing is written and UpkeepError says why."""
    report = WriteReport()
    paths = sorted((directory / "aids").glob("*.yml"))
    documents = {path: load_yaml(path.read_text(encoding="utf-8")) for path in paths}
    located = {}
    for path, records in documents.items():
        for record in records or []:
            if isinstance(record, CommentedMap) and record.get("id"):
                located[str(record["id"])] = (path, record)
    changed: set[Path] = set()
    for edit_id, aid_id, before, after in edits:
        if aid_id not in located:
            report.missing.append((edit_id, aid_id))
            continue
        path, record = located[aid_id]
        in_file = _file_facts(record)
        for key, value in after.items():
            if key in FIELDS_BY_KEY:
                if key in before and in_file.get(key) != before[key]:
                    report.conflicts.append(
                        f"{path.name} ({aid_id}) : « {FIELDS_BY_KEY[key].label} » avait changé "
                        "dans le fichier depuis la modification ; la valeur de la console "
                        "l'emporte."
                    )
                _set_fact(record, key, value)
        changed.add(path)
        report.written.append(edit_id)
    if not changed:
        return report
    texts = {path: dump_yaml(documents[path]) for path in sorted(changed)}
    original = {path: path.read_text(encoding="utf-8") for path in texts}
    errors_before = set(validate(read_files(directory)))
    for path, text in texts.items():
        _write_atomically(path, text)
    new_errors = [e for e in validate(read_files(directory)) if e not in errors_before]
    if new_errors:
        for path, text in original.items():
            _write_atomically(path, text)
        raise UpkeepError(
            "les modifications rendraient le catalogue invalide ; rien n'a été "
            "écrit :\n" + "\n".join(new_errors)
        )
    report.files = sorted(texts)
    return report


def _write_atomically(path: Path, text: str) -> None:
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        Path(temporary).chmod(path.stat().st_mode & 0o777)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def apply_pending_edits(engine: Engine, directory: Path) -> WriteReport:
    """`qp catalog apply-edits`: write the pending edits into the files of `directory`, then
    mark them written (`ecrite`). Edits of an aid absent from the files stay pending."""
    store.migrate(engine)
    with Session(engine) as session, session.begin():
        pending = pending_edits(session)
        report = write_edits(directory, [(e.id, e.aid_id, e.before, e.after) for e in pending])
        now = datetime.now(UTC)
        written = set(report.written)
        for edit in pending:
            if edit.id in written:
                edit.status, edit.written_at = WRITTEN, now
    return report
