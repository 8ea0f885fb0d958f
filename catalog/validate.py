"""`qp catalog validate`: schema, references, ids, URLs and dates of the catalogue files.

Each error is a `Problem` (catalog/problems.py): the file and record, the record's field, and a
French message, so that the console can show it next to the field it names."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from catalog.aid_schema import CONFIDENCES, ID, URL, AidRecord, problems_of
from catalog.files import CatalogFiles
from catalog.problems import Problem
from catalog.profile import ENUMS, FIELDS, TERRITORY_IDS
from catalog.qpv_map import check_territory_qpv
from catalog.rules import CHECK, INNER, OPERATORS

# The aid's own schema (values of family, type, status, confidence; URLs and ids) is in
# catalog/aid_schema.py; contacts and territories are checked here.
CONTACT_KINDS = (
    "citeslab",
    "bge",
    "cci",
    "cma",
    "initiative",
    "adie",
    "france_active",
    "france_travail",
    "epci",
    "reseau_entreprendre",
    "france_services",
    "conseillers_entreprises",
    "autre",
)
Record = dict[str, Any]
RULE_FIELDS = set(FIELDS) - {"commune", "code_postal", "territoire"}
# Every territory offers at least these kinds of contact (one of each group).
REQUIRED_CONTACT_KINDS = (
    ("citeslab", "bge", "autre"),
    ("cci",),
    ("cma",),
    ("initiative",),
    ("adie",),
    ("france_active",),
    ("france_travail",),
    ("epci",),
)


def validate(files: CatalogFiles) -> list[Problem]:
    errors = list(files.errors)
    regions = {str(r.get("id")) for r in files.regions}
    territories = {str(t.get("id")) for t in files.territories}
    _unique(files, "regions", errors)
    _unique(files, "territories", errors)
    _unique(files, "aids", errors)
    _unique(files, "contacts", errors)
    for region in files.regions:
        where = where_of(files, "regions", region)
        _required(region, ("id", "name", "departments"), where, errors)
    for territory in files.territories:
        _territory(files, territory, regions, errors)
    missing = set(TERRITORY_IDS) - territories
    if missing:
        errors.append(
            Problem("territories.yml", "", f"territoires manquants : {', '.join(sorted(missing))}")
        )
    _communes_unique(files, errors)
    for aid in files.aids:
        errors.extend(validate_aid(aid, regions, territories, where_of(files, "aids", aid)))
    for contact in files.contacts:
        _contact(files, contact, territories, errors)
    _contact_coverage(files, errors)
    return errors


def _contact_coverage(files: CatalogFiles, errors: list[Problem]) -> None:
    kinds: dict[str | None, set[str | None]] = {}
    for contact in files.contacts:
        kinds.setdefault(contact.get("territory"), set()).add(contact.get("kind"))
    for territory in files.territories:
        have = kinds.get(territory.get("id"), set())
        errors.extend(
            Problem(
                "contacts.yml",
                "kind",
                f"le territoire {territory.get('id')} n'a aucun contact de type "
                f"{' ou '.join(group)}",
            )
            for group in REQUIRED_CONTACT_KINDS
            if not have & set(group)
        )


def where_of(files: CatalogFiles, kind: str, record: Record) -> str:
    origin = files.origins.get((kind, str(record.get("id"))), kind)
    return f"{origin} ({record.get('id')})"


def _unique(files: CatalogFiles, kind: str, errors: list[Problem]) -> None:
    seen: set[str] = set()
    for record in getattr(files, kind):
        errors.extend(check_id(record.get("id"), seen, where_of(files, kind, record)))


def check_id(rid: Any, seen: set[str], where: str) -> list[Problem]:
    """A record's id: well formed, and not one of `seen` (which it joins)."""
    errors = []
    if rid in seen:
        errors.append(Problem(where, "id", f"identifiant en double : {rid}"))
    if isinstance(rid, str):
        seen.add(rid)
    if not isinstance(rid, str) or not ID.match(rid):
        errors.append(
            Problem(where, "id", f"identifiant invalide {rid!r} (minuscules, chiffres, tirets)")
        )
    return errors


def _required(record: Record, keys: tuple[str, ...], where: str, errors: list[Problem]) -> None:
    errors.extend(
        Problem(where, key, "champ obligatoire manquant")
        for key in keys
        if record.get(key) in (None, "", [])
    )


def _url(value: Any, where: str, key: str, errors: list[Problem]) -> None:
    if value is not None and (not isinstance(value, str) or not URL.match(value)):
        errors.append(Problem(where, key, f"n'est pas une URL http(s) valide : {value!r}"))


def _date(value: Any, where: str, key: str, errors: list[Problem]) -> None:
    if value is not None and not isinstance(value, date):
        errors.append(Problem(where, key, f"doit être une date AAAA-MM-JJ : {value!r}"))


def _choice(
    value: Any, choices: tuple[str, ...], where: str, key: str, errors: list[Problem]
) -> None:
    if value not in choices:
        errors.append(
            Problem(where, key, f"vaut {value!r}, attendu l'un de : {', '.join(choices)}")
        )


# A territory's keys in territories.yml, and those read from qpv_map.yml (catalog/files.py).
TERRITORY_KEYS = {"id", "name", "region", "epci", "communes", "qpv", "qpv_official"}
TERRITORY_KEY_ERROR = (
    "clé inconnue pour un territoire (le service économique de l'intercommunalité est un "
    "contact de type epci dans contacts.yml)"
)


def _territory(
    files: CatalogFiles, territory: Record, regions: set[str], errors: list[Problem]
) -> None:
    where = where_of(files, "territories", territory)
    _required(territory, ("id", "name", "region", "communes"), where, errors)
    if territory.get("region") not in regions:
        errors.append(Problem(where, "region", f"région inconnue : {territory.get('region')!r}"))
    for index, commune in enumerate(territory.get("communes") or []):
        at = f"communes[{index}]"
        cwhere = f"{where} commune {commune.get('insee')}"
        if not re.match(r"^\d[\dAB]\d{3}$", str(commune.get("insee"))):
            errors.append(Problem(cwhere, f"{at}.insee", "code INSEE invalide"))
        if not commune.get("name"):
            errors.append(Problem(cwhere, f"{at}.name", "nom manquant"))
        codes = commune.get("postal_codes") or []
        if not codes:
            errors.append(Problem(cwhere, f"{at}.postal_codes", "aucun code postal"))
        errors.extend(
            Problem(cwhere, f"{at}.postal_codes", f"code postal invalide {code!r}")
            for code in codes
            if not re.match(r"^\d{5}$", str(code))
        )
    errors.extend(check_territory_qpv(territory, where))
    errors.extend(
        Problem(where, key, TERRITORY_KEY_ERROR) for key in sorted(set(territory) - TERRITORY_KEYS)
    )


def _communes_unique(files: CatalogFiles, errors: list[Problem]) -> None:
    seen: dict[str, Any] = {}
    for territory in files.territories:
        for commune in territory.get("communes") or []:
            insee = commune.get("insee")
            if insee in seen:
                errors.append(
                    Problem(
                        "territories.yml",
                        "communes",
                        f"commune {insee} dans {seen[insee]} et {territory.get('id')}",
                    )
                )
            seen[insee] = territory.get("id")


def validate_aid(
    aid: Record,
    regions: set[str],
    territories: set[str],
    where: str,
    model: type[AidRecord] = AidRecord,
) -> list[Problem]:
    """The errors of one aid record (files' shape, or `StoredAid` with its origin): its schema
    (catalog/aid_schema.py), the regions and territories it names, and its eligibility rule."""
    errors = problems_of(aid, where, model)
    scope = aid.get("scope") if isinstance(aid, dict) else None
    scope = scope if isinstance(scope, dict) else {}
    for key, known, what in (
        ("regions", regions, "région inconnue"),
        ("territories", territories, "territoire inconnu"),
    ):
        listed = scope.get(key)
        errors.extend(
            Problem(where, f"scope.{key}[{index}]", f"{what} {value!r}")
            for index, value in enumerate(listed if isinstance(listed, list) else [])
            if value not in known
        )
    if isinstance(aid, dict) and aid.get("eligibility") is not None:
        _rule(aid["eligibility"], where, "eligibility", errors)
    return errors


def _rule(rule: Any, where: str, at: str, errors: list[Problem]) -> None:
    if not isinstance(rule, dict):
        errors.append(Problem(where, at, "une règle doit être un objet"))
        return
    inner = [key for key in INNER if key in rule]
    if inner:
        if len(rule) != 1:
            errors.append(Problem(where, at, f"un nœud {inner[0]} ne doit rien contenir d'autre"))
        children = rule[inner[0]]
        if inner[0] == "not":
            _rule(children, where, f"{at}.not", errors)
        elif not isinstance(children, list) or not children:
            errors.append(Problem(where, at, f"{inner[0]} doit être une liste non vide"))
        else:
            for index, child in enumerate(children):
                _rule(child, where, f"{at}.{inner[0]}[{index}]", errors)
        return
    if CHECK in rule:
        text, likely = rule[CHECK], rule.get("likely", False)
        if set(rule) - {CHECK, "likely"} or not isinstance(text, str) or not text.strip():
            errors.append(
                Problem(where, at, f"une condition {CHECK} est une phrase (et likely: true/false)")
            )
        elif not isinstance(likely, bool):
            errors.append(Problem(where, f"{at}.likely", "attend true ou false"))
        return
    field = rule.get("field")
    if field not in RULE_FIELDS:
        errors.append(Problem(where, at, f"champ de profil inconnu dans une règle : {field!r}"))
        return
    operators = [key for key in rule if key in OPERATORS]
    extra = set(rule) - set(OPERATORS) - {"field", "reason", "ask"}
    if len(operators) != 1 or extra:
        errors.append(
            Problem(
                where,
                at,
                f"une condition sur {field} doit avoir un seul opérateur parmi "
                f"{', '.join(OPERATORS)}",
            )
        )
        return
    operator, expected = operators[0], rule[operators[0]]
    values = expected if isinstance(expected, list) else [expected]
    if operator in ("in", "not_in") and not isinstance(expected, list):
        errors.append(Problem(where, at, f"{operator} attend une liste"))
    kind = FIELDS[field]
    for value in values:
        if kind in ("enum", "enum_list") and value not in ENUMS[field]:
            errors.append(Problem(where, at, f"valeur inconnue pour {field} : {value!r}"))
        elif kind == "bool" and not isinstance(value, bool):
            errors.append(Problem(where, at, f"{field} attend true ou false"))
        elif kind in ("int", "number") and (
            isinstance(value, bool) or not isinstance(value, (int, float))
        ):
            errors.append(Problem(where, at, f"{field} attend un nombre"))
    if operator == "contains" and kind != "enum_list":
        errors.append(Problem(where, at, "contains ne s'applique qu'à une liste (besoins)"))


def _contact(
    files: CatalogFiles, contact: Record, territories: set[str], errors: list[Problem]
) -> None:
    where = where_of(files, "contacts", contact)
    _required(contact, ("id", "name", "kind", "confidence"), where, errors)
    _choice(contact.get("kind"), CONTACT_KINDS, where, "kind", errors)
    _choice(contact.get("confidence"), CONFIDENCES, where, "confidence", errors)
    if contact.get("territory") is not None and contact["territory"] not in territories:
        errors.append(Problem(where, "territory", f"territoire inconnu {contact['territory']!r}"))
    _url(contact.get("url"), where, "url", errors)
    for index, source in enumerate(contact.get("sources") or []):
        _url(source, where, f"sources[{index}]", errors)
    for index, need in enumerate(contact.get("needs") or []):
        _choice(need, ENUMS["besoins"], where, f"needs[{index}]", errors)
    for index, stage in enumerate(contact.get("stages") or []):
        _choice(stage, ENUMS["stade"], where, f"stages[{index}]", errors)
    _date(contact.get("last_checked"), where, "last_checked", errors)
    if contact.get("audience") is not None:
        _rule(contact["audience"], where, "audience", errors)
    if not (contact.get("url") or contact.get("phone") or contact.get("email")):
        errors.append(
            Problem(where, "", "un contact doit avoir au moins une URL, un téléphone ou un e-mail")
        )
