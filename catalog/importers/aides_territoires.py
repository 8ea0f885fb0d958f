"""Import of aids exported from Aides-territoires (aids-research.md §4.1) into the catalogue.

`map_aid` turns one Aides-territoires aid into a record of our aid schema
(catalog/data/README.md), or None when the aid does not fit: not meant for businesses, or a
perimeter we cannot place. `import_file` reads an export (a list of aids, or one API page),
maps it and upserts the records. A curated record (one of the YAML files) is never touched.
Fetching from the API is an edge concern: see `bot/aides_territoires.py`.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session

from catalog import store, validate
from catalog.aid_schema import URL, StoredAid
from catalog.files import CatalogFiles, data_dir, read_files
from catalog.models import Aid
from catalog.profile import ENUMS

ORIGIN = "aides-territoires"
SITE = "https://aides-territoires.beta.gouv.fr"
ID_PREFIX = "at-"
RESEARCH_REF = "4.1"
SUMMARY_LENGTH = 300
CHECK_LENGTH = 400
NOTICE = "Aide importée d'Aides-territoires : conditions à vérifier sur la fiche."
NO_AMOUNT = "Montant non précisé : à vérifier sur la fiche Aides-territoires"
# Audiences and aid types are compared on normalised keys (see `_key`): the codes of
# src/aids/constants.py and the French labels the API returns are both accepted.
BUSINESS_AUDIENCES = {"private sector", "entreprises privees"}
NATIONAL = {"france", "europe"}
METROPOLITAN = {"france metropolitaine", "metropole"}
# Aid type -> our type; when an aid has several, the first of TYPE_PREFERENCE wins.
AID_TYPES = {
    "grant": "subvention",
    "subvention": "subvention",
    "loan": "pret",
    "pret": "pret",
    "recoverable advance": "pret",
    "avance recuperable": "pret",
    "tax credit": "exoneration_fiscale",
    "credit d impot": "exoneration_fiscale",
    "technical": "accompagnement",
    "financial": "accompagnement",
    "legal": "accompagnement",
    "other": "accompagnement",
    "autre aide": "accompagnement",
}
TYPE_PREFERENCE = ("subvention", "pret", "exoneration_fiscale", "accompagnement")
MONEY_TYPES = {"subvention", "pret", "exoneration_fiscale"}
# Need -> words that start a word of the categories ("theme|category" strings).
NEED_WORDS = {
    "financement": ("financement", "investissement", "tresorerie", "fonds propres"),
    "accompagnement": ("accompagnement", "conseil", "ingenierie"),
    "local": ("immobilier", "foncier", "locaux", "local commercial"),
    "formation": ("formation", "apprentissage", "competences"),
    "numerique": ("numerique", "digital", "informatique", "cybersecurite", "donnees"),
    "transition_ecologique": (
        "ecolog",
        "energ",
        "environnement",
        "climat",
        "dechet",
        "biodiversite",
        "economie circulaire",
        "decarbon",
        "renovation",
    ),
    "recrutement": ("emploi", "recrutement", "insertion professionnelle"),
}
TRANSITION_NEEDS = {"numerique", "transition_ecologique"}


class ExportError(Exception):
    """The export file cannot be read or is not an Aides-territoires export (French message)."""


class SkippedAidError(Exception):
    """A record that we do not import, with the reason (French)."""


@dataclass
class ImportReport:
    imported: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (record, reason)
    ignored_curated: list[str] = field(default_factory=list)
    invalid: list[tuple[str, list[str]]] = field(default_factory=list)  # (id, messages)

    def counts(self) -> dict[str, int]:
        return {
            name: len(getattr(self, name))
            for name in (
                "imported",
                "updated",
                "unchanged",
                "skipped",
                "ignored_curated",
                "invalid",
            )
        }

    def summary(self) -> str:
        """One French line, e.g. for `qp catalog import`."""
        c = self.counts()
        parts = [
            _plural(c["imported"], "aide importée", "aides importées"),
            _plural(c["updated"], "mise à jour", "mises à jour"),
        ]
        if c["unchanged"]:
            parts.append(_plural(c["unchanged"], "inchangée", "inchangées"))
        if c["skipped"]:
            parts.append(
                _plural(c["skipped"], "ignorée", "ignorées")
                + " (hors entreprises ou hors territoire)"
            )
        if c["ignored_curated"]:
            parts.append(f"{c['ignored_curated']} déjà dans le catalogue (fiche relue conservée)")
        if c["invalid"]:
            parts.append(_plural(c["invalid"], "refusée", "refusées") + " (fiche invalide)")
        return "Import Aides-territoires : " + ", ".join(parts)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count <= 1 else many}"


# --- mapping -------------------------------------------------------------------------------


def map_aid(
    record: dict[str, Any],
    regions: Iterable[dict[str, Any]] | None = None,
    today: date | None = None,
) -> dict[str, Any] | None:
    """Our aid record for one Aides-territoires aid, or None when it is skipped."""
    try:
        return _map(record, list(regions) if regions is not None else _file_regions(), today)
    except SkippedAidError:
        return None


def _map(
    record: dict[str, Any], regions: list[dict[str, Any]], today: date | None
) -> dict[str, Any]:
    """Like `map_aid`, but raises SkippedAidError with the reason."""
    today = today or date.today()
    audiences = {_key(_name(a)) for a in record.get("targeted_audiences") or []}
    if not audiences & BUSINESS_AUDIENCES:
        raise SkippedAidError("ne vise pas les entreprises")
    scope = _scope(record.get("perimeter"), regions)
    slug = _key(str(record.get("slug") or record.get("id") or "")).replace(" ", "-")
    page = _link(_absolute(record.get("url"))) or f"{SITE}/aides/{slug}/"
    aid_type = _type(record.get("aid_types") or [])
    needs = _needs(record.get("categories") or [], aid_type)
    start = _day(record.get("start_date"))
    deadline = _day(record.get("submission_deadline"))
    closed = deadline is not None and deadline < today
    description = _plain(record.get("description"))
    eligibility = _plain(record.get("eligibility"))
    checks = (
        [f"Conditions indiquées par Aides-territoires : {_shorten(eligibility, CHECK_LENGTH)}"]
        if eligibility
        else []
    )
    aid: dict[str, Any] = {
        "id": (ID_PREFIX + slug)[:100].rstrip("-"),
        "name": _shorten(_plain(record.get("name")) or _plain(record.get("short_title")), 300),
        "family": "transition" if set(needs) & TRANSITION_NEEDS else "creation",
        "provider": _shorten(_first(record.get("financers")) or "Aides-territoires", 300),
        "operator": _shorten(_first(record.get("instructors")), 300) or None,
        "type": aid_type,
        "summary": _shorten(
            description or _plain(record.get("short_title")) or _plain(record.get("name")),
            SUMMARY_LENGTH,
        ),
        "amount": _amount(record),
        "qpv_specific": False,
        "needs": needs,
        "eligibility": None,
        "checks": [*checks, NOTICE],
        "status": "closed" if closed else "open",
        "valid_from": start,
        "valid_until": deadline,
        "url": (_link(record.get("origin_url")) or _link(record.get("application_url")) or page),
        "sources": [page],
        "confidence": "secondary",
        "last_checked": _day(record.get("date_updated")) or today,
        "research_ref": RESEARCH_REF,
        "origin": ORIGIN,
    }
    if scope:
        aid["scope"] = {"regions": scope}
    return aid


def _scope(perimeter: Any, regions: list[dict[str, Any]]) -> list[str]:
    """Region ids of the perimeter ([] for national); SkippedAidError when we cannot place it."""
    name = re.sub(r"\s*\(.*\)\s*$", "", _name(perimeter))
    key = _key(name)
    if not key:
        raise SkippedAidError("périmètre non précisé")
    if key in NATIONAL:
        return []
    if key in METROPOLITAN:  # every region but the overseas ones (departments 97x)
        return [
            r["id"]
            for r in regions
            if not any(str(d).startswith("97") for d in r.get("departments") or [])
        ]
    by_name = {_key(r["name"]): r["id"] for r in regions} | {
        _key(r["id"]): r["id"] for r in regions
    }
    if key in by_name:
        return [by_name[key]]
    raise SkippedAidError(f"territoire non couvert : {name}")


def _type(aid_types: list[Any]) -> str:
    found = set()
    for value in aid_types:
        key = _key(_name(value))
        mapped = AID_TYPES.get(key) or (
            "accompagnement" if "engineering" in key or "ingenierie" in key else None
        )
        if mapped:
            found.add(mapped)
    return next((t for t in TYPE_PREFERENCE if t in found), "accompagnement")


def _needs(categories: list[Any], aid_type: str) -> list[str]:
    text = " ".join(_key(_name(c)) for c in categories)
    needs = {
        need
        for need, words in NEED_WORDS.items()
        if any(re.search(rf"\b{word}", text) for word in words)
    }
    needs.add("financement" if aid_type in MONEY_TYPES else "accompagnement")
    return [need for need in ENUMS["besoins"] if need in needs] or ["financement"]


def _amount(record: dict[str, Any]) -> dict[str, Any]:
    loan = _number(record.get("loan_amount"))
    advance = _number(record.get("recoverable_advance_amount"))
    low = _number(record.get("subvention_rate_lower_bound"))
    high = _number(record.get("subvention_rate_upper_bound"))
    parts = []
    if loan:
        parts.append(f"Prêt jusqu'à {_euros(loan)}")
    if advance:
        parts.append(f"Avance récupérable jusqu'à {_euros(advance)}")
    if low and high and low != high:
        parts.append(f"Subvention de {low:g} à {high:g} % des dépenses")
    elif low or high:
        rate = high or low
        prefix = "jusqu'à " if high and not low else ("d'au moins " if low and not high else "de ")
        parts.append(f"Subvention {prefix}{rate:g} % des dépenses")
    top = max((v for v in (loan, advance) if v), default=None)
    return {"text": " ; ".join(parts) or NO_AMOUNT, "min": None, "max": top}


# --- small text helpers --------------------------------------------------------------------


def _key(value: str) -> str:
    """Lowercase ASCII words separated by one space: "Hauts-de-France" -> "hauts de france"."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return " ".join(re.split(r"[^a-z0-9]+", ascii_text.lower())).strip()


def _name(value: Any) -> str:
    """The name of a value given as a string or as an object {"name": ...}."""
    if isinstance(value, dict):
        value = value.get("name") or value.get("label") or ""
    return value if isinstance(value, str) else ""


def _first(values: Any) -> str:
    names = [_name(v).strip() for v in values or [] if _name(v).strip()]
    return names[0] if names else ""


def _plain(value: Any) -> str:
    """Text without HTML tags, entities or runs of white space."""
    if not isinstance(value, str):
        return ""
    text = re.sub(r"<(script|style)\b.*?</\1\s*>", " ", value, flags=re.DOTALL | re.IGNORECASE)
    text = html.unescape(re.sub(r"<[^>]*>", " ", text))
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r" ([,.)])", r"\1", text)


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.-–") + "…"


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _euros(value: float) -> str:
    return f"{value:,.0f}".replace(",", " ") + " €"


def _absolute(url: Any) -> Any:
    return SITE + url if isinstance(url, str) and url.startswith("/") else url


def _link(url: Any) -> str | None:
    return url if isinstance(url, str) and URL.match(url) else None


@lru_cache(maxsize=4)
def _regions_of(path: str) -> tuple[dict[str, Any], ...]:
    return tuple(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or [])


def _file_regions() -> list[dict[str, Any]]:
    return list(_regions_of(str(data_dir() / "regions.yml")))


# --- reading and storing -------------------------------------------------------------------


def read_export(path: Path) -> list[Any]:
    """The aids of an export: a JSON list, or an API page {"results"|"hydra:member": [...]}."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        reason = {
            FileNotFoundError: "fichier introuvable",
            PermissionError: "accès refusé",
            IsADirectoryError: "c'est un dossier",
            UnicodeDecodeError: "le fichier n'est pas en UTF-8",
        }.get(type(error), getattr(error, "strerror", None) or str(error))
        raise ExportError(f"impossible de lire {path} : {reason}") from None
    except json.JSONDecodeError as error:
        raise ExportError(
            f"JSON invalide dans {path} : {error.msg} (ligne {error.lineno}, colonne {error.colno})"
        ) from None
    if isinstance(data, dict):
        data = data.get("results", data.get("hydra:member"))
    if not isinstance(data, list):
        raise ExportError(
            f"{path} n'est pas un export Aides-territoires (liste d'aides ou page "
            "de l'API attendue)"
        )
    return data


def import_file(path: Path | str, engine: Engine, today: date | None = None) -> ImportReport:
    return import_records(read_export(Path(path)), engine, today)


def import_records(
    records: Iterable[Any], engine: Engine, today: date | None = None
) -> ImportReport:
    """Map Aides-territoires aids and upsert those that fit (migrating the schema first)."""
    store.migrate(engine)
    files = read_files()
    report = ImportReport()
    mapped = []
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            report.skipped.append((f"#{index}", "enregistrement illisible"))
            continue
        try:
            mapped.append(_map(record, files.regions, today))
        except SkippedAidError as reason:
            label = str(record.get("slug") or record.get("id") or f"#{index}")
            report.skipped.append((label, str(reason)))
    return upsert(mapped, engine, report, files)


def check(aid: dict[str, Any], files: CatalogFiles) -> list[str]:
    """The catalogue validator's messages for one mapped aid (same checks as the YAML)."""
    where = f"{ORIGIN} ({aid.get('id')})"
    problems = validate.check_id(aid.get("id"), set(), where) + validate.validate_aid(
        aid,
        {str(r.get("id")) for r in files.regions},
        {str(t.get("id")) for t in files.territories},
        where,
        StoredAid,
    )
    return [str(problem) for problem in problems]


def upsert(
    aids: Iterable[dict[str, Any]],
    engine: Engine,
    report: ImportReport | None = None,
    files: CatalogFiles | None = None,
) -> ImportReport:
    """Insert or replace mapped aids in one transaction; curated ids are never overwritten."""
    report = report or ImportReport()
    files = files or read_files()
    curated = {str(a.get("id")) for a in files.aids}
    # The edit counter is the catalogue's bookkeeping, not a fact of the record: compared apart.
    columns = [attr.key for attr in inspect(Aid).column_attrs if attr.key != "version"]
    with Session(engine) as session, session.begin():
        for aid in aids:
            aid_id = str(aid.get("id"))
            existing = session.get(Aid, aid_id)
            if aid_id in curated or (existing is not None and existing.origin == "catalogue"):
                report.ignored_curated.append(aid_id)
                continue
            errors = check(aid, files)
            if errors:
                report.invalid.append((aid_id, errors))
                continue
            new = store.aid_row(StoredAid.model_validate(dict(aid, origin=ORIGIN)))
            if existing is None:
                session.add(new)
                session.flush()
                report.imported.append(aid_id)
            elif all(getattr(existing, c) == getattr(new, c) for c in columns):
                report.unchanged.append(aid_id)
            else:
                new.version = existing.version + 1  # a console form opened before is now stale
                session.merge(new)
                report.updated.append(aid_id)
    return report
