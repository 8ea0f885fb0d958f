"""`qp catalog validate`: schema, references, ids, URLs and dates of the catalogue files."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from catalog.files import CatalogFiles
from catalog.profile import ENUMS, FIELDS, TERRITORY_IDS
from catalog.qpv_map import check_territory_qpv
from catalog.rules import INNER, OPERATORS

ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")
FAMILIES = ("qpv", "creation", "transition", "regional")
AID_TYPES = (
    "subvention",
    "pret",
    "pret_honneur",
    "microcredit",
    "garantie",
    "exoneration_fiscale",
    "exoneration_sociale",
    "allocation",
    "accompagnement",
    "formation",
    "local",
    "prix",
    "fonds_propres",
)
STATUSES = ("open", "closed", "uncertain")
CONFIDENCES = ("confirmed", "secondary", "unconfirmed")
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
    "other",
)
RULE_FIELDS = set(FIELDS) - {"commune", "code_postal", "territoire"}
# Every territory offers at least these kinds of contact (one of each group).
REQUIRED_CONTACT_KINDS = (
    ("citeslab", "bge", "other"),
    ("cci",),
    ("cma",),
    ("initiative",),
    ("adie",),
    ("france_active",),
    ("france_travail",),
    ("epci",),
)


def validate(files: CatalogFiles) -> list[str]:
    errors = list(files.errors)
    regions = {r.get("id") for r in files.regions}
    territories = {t.get("id") for t in files.territories}
    _unique(files, "regions", errors)
    _unique(files, "territories", errors)
    _unique(files, "aids", errors)
    _unique(files, "contacts", errors)
    for region in files.regions:
        where = _where(files, "regions", region)
        _required(region, ("id", "name", "departments"), where, errors)
    for territory in files.territories:
        _territory(files, territory, regions, errors)
    missing = set(TERRITORY_IDS) - territories
    if missing:
        errors.append(f"territories.yml: territoires manquants : {', '.join(sorted(missing))}")
    _communes_unique(files, errors)
    for aid in files.aids:
        _aid(files, aid, regions, territories, errors)
    for contact in files.contacts:
        _contact(files, contact, territories, errors)
    _contact_coverage(files, errors)
    return errors


def _contact_coverage(files: CatalogFiles, errors: list[str]) -> None:
    kinds: dict[str, set[str]] = {}
    for contact in files.contacts:
        kinds.setdefault(contact.get("territory"), set()).add(contact.get("kind"))
    for territory in files.territories:
        have = kinds.get(territory.get("id"), set())
        errors.extend(
            f"contacts.yml: le territoire {territory.get('id')} n'a aucun "
            f"contact de type {' ou '.join(group)}"
            for group in REQUIRED_CONTACT_KINDS
            if not have & set(group)
        )


def _where(files: CatalogFiles, kind: str, record: dict) -> str:
    origin = files.origins.get((kind, str(record.get("id"))), kind)
    return f"{origin} ({record.get('id')})"


def _unique(files: CatalogFiles, kind: str, errors: list[str]) -> None:
    seen: set[str] = set()
    for record in getattr(files, kind):
        rid = record.get("id")
        if rid in seen:
            errors.append(f"{kind}: identifiant en double : {rid}")
        seen.add(rid)
        if not isinstance(rid, str) or not ID.match(rid):
            errors.append(f"{kind}: identifiant invalide {rid!r} (minuscules, chiffres, tirets)")


def _required(record: dict, keys: tuple[str, ...], where: str, errors: list[str]) -> None:
    errors.extend(
        f"{where}: champ obligatoire manquant : {key}"
        for key in keys
        if record.get(key) in (None, "", [])
    )


def _url(value: Any, where: str, key: str, errors: list[str]) -> None:
    if value is not None and (not isinstance(value, str) or not URL.match(value)):
        errors.append(f"{where}: {key} n'est pas une URL http(s) valide : {value!r}")


def _date(value: Any, where: str, key: str, errors: list[str]) -> None:
    if value is not None and not isinstance(value, date):
        errors.append(f"{where}: {key} doit être une date AAAA-MM-JJ : {value!r}")


def _choice(value: Any, choices: tuple[str, ...], where: str, key: str, errors: list[str]) -> None:
    if value not in choices:
        errors.append(f"{where}: {key} vaut {value!r}, attendu l'un de : {', '.join(choices)}")


def _territory(files, territory: dict, regions: set, errors: list[str]) -> None:
    where = _where(files, "territories", territory)
    _required(territory, ("id", "name", "region", "communes"), where, errors)
    if territory.get("region") not in regions:
        errors.append(f"{where}: région inconnue : {territory.get('region')!r}")
    for commune in territory.get("communes") or []:
        cwhere = f"{where} commune {commune.get('insee')}"
        if not re.match(r"^\d[\dAB]\d{3}$", str(commune.get("insee"))):
            errors.append(f"{cwhere}: code INSEE invalide")
        if not commune.get("name"):
            errors.append(f"{cwhere}: nom manquant")
        codes = commune.get("postal_codes") or []
        if not codes:
            errors.append(f"{cwhere}: aucun code postal")
        errors.extend(
            f"{cwhere}: code postal invalide {code!r}"
            for code in codes
            if not re.match(r"^\d{5}$", str(code))
        )
    errors.extend(check_territory_qpv(territory, where))
    service = territory.get("economic_service") or {}
    _url(service.get("url"), where, "economic_service.url", errors)


def _communes_unique(files: CatalogFiles, errors: list[str]) -> None:
    seen: dict[str, str] = {}
    for territory in files.territories:
        for commune in territory.get("communes") or []:
            insee = commune.get("insee")
            if insee in seen:
                errors.append(
                    f"territories.yml: commune {insee} dans {seen[insee]} et {territory.get('id')}"
                )
            seen[insee] = territory.get("id")


def _aid(files, aid: dict, regions: set, territories: set, errors: list[str]) -> None:
    where = _where(files, "aids", aid)
    _required(
        aid,
        (
            "id",
            "name",
            "family",
            "provider",
            "type",
            "summary",
            "status",
            "url",
            "sources",
            "confidence",
            "last_checked",
        ),
        where,
        errors,
    )
    _choice(aid.get("family"), FAMILIES, where, "family", errors)
    _choice(aid.get("type"), AID_TYPES, where, "type", errors)
    _choice(aid.get("status"), STATUSES, where, "status", errors)
    _choice(aid.get("confidence"), CONFIDENCES, where, "confidence", errors)
    _url(aid.get("url"), where, "url", errors)
    for source in aid.get("sources") or []:
        _url(source, where, "sources", errors)
    for key in ("valid_from", "valid_until", "last_checked"):
        _date(aid.get(key), where, key, errors)
    if aid.get("status") == "closed" and not aid.get("valid_until"):
        errors.append(f"{where}: une aide fermée doit avoir une date de fin (valid_until)")
    start, end = aid.get("valid_from"), aid.get("valid_until")
    if isinstance(start, date) and isinstance(end, date) and end < start:
        errors.append(f"{where}: valid_until est antérieure à valid_from")
    amount = aid.get("amount") or {}
    if not isinstance(amount, dict):
        errors.append(f"{where}: amount doit être un objet {{text, min, max}}")
    else:
        low, high = amount.get("min"), amount.get("max")
        for key, value in (("min", low), ("max", high)):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0
            ):
                errors.append(f"{where}: amount.{key} doit être un nombre positif ou null")
        if isinstance(low, (int, float)) and isinstance(high, (int, float)) and low > high:
            errors.append(f"{where}: amount.min est supérieur à amount.max")
    for need in aid.get("needs") or []:
        _choice(need, ENUMS["besoins"], where, "needs", errors)
    scope = aid.get("scope") or {}
    errors.extend(
        f"{where}: scope.regions : région inconnue {region!r}"
        for region in scope.get("regions") or []
        if region not in regions
    )
    errors.extend(
        f"{where}: scope.territories : territoire inconnu {territory!r}"
        for territory in scope.get("territories") or []
        if territory not in territories
    )
    if not isinstance(aid.get("checks") or [], list):
        errors.append(f"{where}: checks doit être une liste de phrases")
    if aid.get("eligibility") is not None:
        _rule(aid["eligibility"], f"{where} eligibility", errors)


def _rule(rule: Any, where: str, errors: list[str]) -> None:
    if not isinstance(rule, dict):
        errors.append(f"{where}: une règle doit être un objet")
        return
    inner = [key for key in INNER if key in rule]
    if inner:
        if len(rule) != 1:
            errors.append(f"{where}: un nœud {inner[0]} ne doit rien contenir d'autre")
        children = rule[inner[0]]
        if inner[0] == "not":
            _rule(children, f"{where}.not", errors)
        elif not isinstance(children, list) or not children:
            errors.append(f"{where}: {inner[0]} doit être une liste non vide")
        else:
            for index, child in enumerate(children):
                _rule(child, f"{where}.{inner[0]}[{index}]", errors)
        return
    field = rule.get("field")
    if field not in RULE_FIELDS:
        errors.append(f"{where}: champ de profil inconnu dans une règle : {field!r}")
        return
    operators = [key for key in rule if key in OPERATORS]
    extra = set(rule) - set(OPERATORS) - {"field", "reason", "ask"}
    if len(operators) != 1 or extra:
        errors.append(
            f"{where}: une condition sur {field} doit avoir un seul opérateur parmi "
            f"{', '.join(OPERATORS)}"
        )
        return
    operator, expected = operators[0], rule[operators[0]]
    values = expected if isinstance(expected, list) else [expected]
    if operator in ("in", "not_in") and not isinstance(expected, list):
        errors.append(f"{where}: {operator} attend une liste")
    kind = FIELDS[field]
    for value in values:
        if kind in ("enum", "enum_list") and value not in ENUMS[field]:
            errors.append(f"{where}: valeur inconnue pour {field} : {value!r}")
        elif kind == "bool" and not isinstance(value, bool):
            errors.append(f"{where}: {field} attend true ou false")
        elif kind in ("int", "number") and (
            isinstance(value, bool) or not isinstance(value, (int, float))
        ):
            errors.append(f"{where}: {field} attend un nombre")
    if operator == "contains" and kind != "enum_list":
        errors.append(f"{where}: contains ne s'applique qu'à une liste (besoins)")


def _contact(files, contact: dict, territories: set, errors: list[str]) -> None:
    where = _where(files, "contacts", contact)
    _required(contact, ("id", "name", "kind", "confidence"), where, errors)
    _choice(contact.get("kind"), CONTACT_KINDS, where, "kind", errors)
    _choice(contact.get("confidence"), CONFIDENCES, where, "confidence", errors)
    if contact.get("territory") is not None and contact["territory"] not in territories:
        errors.append(f"{where}: territoire inconnu {contact['territory']!r}")
    _url(contact.get("url"), where, "url", errors)
    for source in contact.get("sources") or []:
        _url(source, where, "sources", errors)
    for need in contact.get("needs") or []:
        _choice(need, ENUMS["besoins"], where, "needs", errors)
    for stage in contact.get("stages") or []:
        _choice(stage, ENUMS["stade"], where, "stages", errors)
    _date(contact.get("last_checked"), where, "last_checked", errors)
    if not (contact.get("url") or contact.get("phone") or contact.get("email")):
        errors.append(f"{where}: un contact doit avoir au moins une URL, un téléphone ou un e-mail")
