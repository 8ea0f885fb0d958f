"""The edit form of an aid's facts in the advisors' console: which facts it edits (name,
summary, amount, official page, sources, checks, confidence, status, dates), where each lives in
an aid record, how a record's facts are shown in the form, and how what was typed is read back
into typed facts with French messages per field (catalog/README.md, « Modifications faites dans
la console »). The catalogue's own rules run afterwards, on the whole catalogue
(catalog/aid_edits.py)."""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from catalog.aid_schema import CONFIDENCES, STATUSES, URL
from catalog.labels import AID_STATUS_LABELS, CONFIDENCE_LABELS

CHOICES = {"status": AID_STATUS_LABELS, "confidence": CONFIDENCE_LABELS}
assert set(AID_STATUS_LABELS) == set(STATUSES)
assert set(CONFIDENCE_LABELS) == set(CONFIDENCES)

MAX_TEXT = 300  # name, amount text
MAX_LONG_TEXT = 2000  # summary
MAX_LINE = 1000  # one source or one check
MAX_LINES = 30
MAX_AMOUNT = 1e10


@dataclass(frozen=True)
class Field:
    key: str  # Aid column, form field and key of an edit's before/after
    path: tuple[str, ...]  # where the value lives in an aid record (catalog/aid_schema.py)
    label: str  # French label of the form
    kind: str  # text | long_text | number | url | lines | url_lines | choice | date

    @property
    def dotted(self) -> str:
        """The path as the validator names a field (« amount.min »)."""
        return ".".join(self.path)


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
            value = number(value)
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
            shown[spec.key] = str(number(value))
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
            for line_number, line in enumerate(lines, start=1):
                if len(line) > MAX_LINE:
                    fail(spec.key, f"Ligne {line_number} : pas plus de {MAX_LINE} caractères.")
                elif spec.kind == "url_lines" and not _is_url(line):
                    fail(
                        spec.key,
                        f"Ligne {line_number} : « {line[:80]} » n'est pas une adresse "
                        "commençant par http:// ou https://.",
                    )
            values[spec.key] = lines
        elif spec.kind == "number":
            values[spec.key] = None
            text = re.sub(r"[\s\u00a0\u202f€]", "", raw).replace(",", ".")
            if text:
                try:
                    amount: float | None = float(text)
                except ValueError:
                    amount = None
                if amount is None or not math.isfinite(amount):
                    fail(
                        spec.key, "Indiquez un nombre d'euros (par exemple 15000), ou laissez vide."
                    )
                elif amount < 0 or amount > MAX_AMOUNT:
                    fail(spec.key, "Le montant doit être un nombre positif.")
                else:
                    values[spec.key] = number(amount)
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


def number(value: Any) -> int | float | None:
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value) if float(value).is_integer() else float(value)
