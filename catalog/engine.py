"""The recommendation engine: profile → eligible aids (ranked, explained), contacts, questions."""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from catalog import store
from catalog.files import CatalogFiles
from catalog.labels import wording as labels
from catalog.places import Place, PlaceIndex
from catalog.profile import OUTSIDE_TERRITORIES, Profile
from catalog.rules import evaluate, leaf_operator

CONFIDENCE_WEIGHT = {"confirmed": 1.0, "secondary": 0.95, "unconfirmed": 0.85}
# How much an aid of each type usually weighs in a project (rights and money first).
TYPE_WEIGHT = {
    "exoneration_sociale": 1.0,
    "allocation": 1.0,
    "pret_honneur": 1.0,
    "microcredit": 1.0,
    "garantie": 0.9,
    "subvention": 1.0,
    "pret": 0.9,
    "exoneration_fiscale": 0.9,
    "accompagnement": 0.8,
    "formation": 0.8,
    "local": 0.8,
    "fonds_propres": 0.8,
    "prix": 0.3,
}
# The dialogue can ask these fields; ties in usefulness keep this order.
ASKABLE = (
    "stade",
    "secteur",
    "statut",
    "commune",
    "code_postal",
    "implante_qpv",
    "habite_qpv",
    "indemnise_are",
    "besoins",
    "effectif",
    "anciennete_annees",
    "age",
    "franchise",
    "femme",
    "montant",
)
MAX_CONTACTS = 5


@dataclass
class AidMatch:
    aid: dict[str, Any]
    eligible: bool | None  # True: eligible on what we know; None: depends on unknowns
    score: float
    reasons: list[str]
    to_check: list[str]
    unknown_fields: set[str]

    def as_json(self) -> dict[str, Any]:
        amount = self.aid.get("amount") or {}
        return {
            "id": self.aid["id"],
            "name": self.aid["name"],
            "score": self.score,
            "reasons": self.reasons,
            "to_check": self.to_check,
            "amount": amount.get("text"),
            "url": self.aid["url"],
        }


@dataclass
class Recommendation:
    aids: list[AidMatch]
    contacts: list[dict[str, Any]]
    questions: list[str]
    place: Place | None = None
    profile: Profile | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "aids": [match.as_json() for match in self.aids],
            "contacts": [
                {
                    "id": c["id"],
                    "name": c["name"],
                    "kind": c["kind"],
                    "url": c.get("url"),
                    "phone": c.get("phone"),
                    "territory": c.get("territory"),
                }
                for c in self.contacts
            ],
            "questions": self.questions,
        }


@dataclass(eq=False)  # compared and hashed by identity: one catalogue object per database
class Catalog:
    files: CatalogFiles
    places: PlaceIndex = field(init=False)
    aids_by_id: dict[str, dict[str, Any]] = field(init=False)
    territory_region: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.places = PlaceIndex(self.files)
        self.aids_by_id = {aid["id"]: aid for aid in self.files.aids}
        self.territory_region = {t["id"]: t["region"] for t in self.files.territories}

    def aid(self, aid_id: str) -> dict[str, Any] | None:
        return self.aids_by_id.get(aid_id)

    def territory(self, territory_id: str | None) -> dict[str, Any] | None:
        return next((t for t in self.files.territories if t["id"] == territory_id), None)


# Seconds between two looks at the database's catalogue revision (catalog_revision): a console
# edit or a `qp catalog load` reaches a running process within this delay, without a restart.
REVISION_CHECK_SECONDS = 3.0
log = logging.getLogger(__name__)


@dataclass
class _Opened:
    catalog: Catalog
    revision: int | None
    checked: float  # time.monotonic() of the last revision check
    engine: Engine


_cache: dict[str, _Opened] = {}
_lock = threading.Lock()


def open_catalog(url: str | None = None) -> Catalog:
    """The catalogue as stored in the database (loaded from the files on first use), kept in
    memory and read again when the database's revision changes (checked at most every
    REVISION_CHECK_SECONDS)."""
    url = url or store.database_url()
    with _lock:
        opened = _cache.get(url)
        now = time.monotonic()
        if opened is not None and now - opened.checked < REVISION_CHECK_SECONDS:
            return opened.catalog
        if opened is None:
            engine = store.make_engine(url)
            if not store.is_loaded(engine):
                from catalog.files import read_files

                store.load(read_files(), engine)
        else:
            engine = opened.engine
        try:
            revision = store.revision(engine)
        except SQLAlchemyError:
            if opened is None:
                raise
            log.warning(
                "révision du catalogue illisible : catalogue en mémoire conservé", exc_info=True
            )
            opened.checked = now
            return opened.catalog
        if opened is None or revision != opened.revision:
            # Revision read before the records: a change in between is seen at the next check.
            opened = _Opened(Catalog(store.read(engine)), revision, now, engine)
            _cache[url] = opened
        else:
            opened.checked = now
        return opened.catalog


def locate(catalog: Catalog, profile: Profile) -> tuple[Profile, Place | None]:
    """Fill `territoire` from the commune or postal code when the profile lacks it."""
    place = None
    if profile.known("commune") or profile.known("code_postal"):
        place = catalog.places.resolve(profile.get("commune"), profile.get("code_postal"))
    if place and not place.candidates and not profile.known("territoire"):
        profile = profile.with_values(territoire=place.territory)
    return profile, place


def region_of(catalog: Catalog, profile: Profile, place: Place | None) -> str | None:
    territory = profile.get("territoire")
    if territory and territory != OUTSIDE_TERRITORIES:
        return catalog.territory_region.get(territory)
    return place.region if place else None


def recommend(
    catalog: Catalog, profile: Profile, today: date | None = None, limit: int | None = None
) -> Recommendation:
    today = today or date.today()
    profile, place = locate(catalog, profile)
    region = region_of(catalog, profile, place)
    territory = profile.get("territoire")
    matches = []
    for aid in catalog.files.aids:
        match = _match(aid, profile, region, territory, today)
        if match:
            matches.append(match)
    matches.sort(key=lambda m: (-m.score, m.aid["name"]))
    questions = _questions(matches, profile, region)
    contacts = rank_contacts(catalog, profile)
    if limit is not None:
        matches = matches[:limit]
    return Recommendation(matches, contacts, questions, place, profile)


def is_open(aid: dict[str, Any], today: date) -> bool:
    if aid["status"] == "closed":
        return False
    if aid.get("valid_until") and aid["valid_until"] < today:
        return False
    return not (aid.get("valid_from") and aid["valid_from"] > today)


def _match(
    aid: dict[str, Any], profile: Profile, region: str | None, territory: str | None, today: date
) -> AidMatch | None:
    if not is_open(aid, today):
        return None
    scope = aid.get("scope") or {}
    scope_unknown = False
    if scope.get("regions"):
        if region is None and territory == OUTSIDE_TERRITORIES:
            return None  # somewhere outside the pilots, region unknown: no regional aid
        if region is None:
            scope_unknown = True
        elif region not in scope["regions"]:
            return None
    if scope.get("territories"):
        if territory is None:
            scope_unknown = True
        elif territory not in scope["territories"]:
            return None
    outcome = evaluate(aid.get("eligibility"), profile)
    if outcome.value is False:
        return None
    wording = labels()
    reasons = [
        r for r in dict.fromkeys(_reason(leaf, profile, wording) for leaf in outcome.passed) if r
    ]
    unknown_fields = {leaf["field"] for leaf in outcome.unknown}
    to_check = [
        leaf.get("ask") or wording["notes"]["unknown"].format(condition=_condition(leaf, wording))
        for leaf in outcome.unknown
    ]
    if scope_unknown:
        unknown_fields.add("commune")
        to_check.append(wording["notes"]["region_unknown"])
    to_check += list(aid.get("checks") or [])
    if aid["status"] == "uncertain":
        to_check.append(wording["notes"]["uncertain_status"])
    if aid["confidence"] == "unconfirmed":
        to_check.append(wording["notes"]["unconfirmed"])
    eligible = None if (outcome.value is None or scope_unknown) else True
    score = _score(aid, profile, eligible, len(unknown_fields), len(outcome.passed))
    return AidMatch(aid, eligible, score, reasons, list(dict.fromkeys(to_check)), unknown_fields)


def _score(
    aid: dict[str, Any], profile: Profile, eligible: bool | None, unknowns: int, passed: int
) -> float:
    """0–1. Weighted: certainty of eligibility, needs matched, QPV specificity, how many of
    its conditions the profile meets, amount, and the kind of aid (a right or a loan before a
    competition); then lowered for unconfirmed facts or an uncertain status."""
    certainty = 1.0 if eligible else max(0.3, 0.7 - 0.1 * (unknowns - 1))
    needs = set(profile.get("besoins") or [])
    aid_needs = set(aid.get("needs") or [])
    need_match = (len(needs & aid_needs) / len(needs)) if needs else 0.5
    in_qpv = profile.get("habite_qpv") or profile.get("implante_qpv")
    qpv = (
        1.0
        if aid.get("qpv_specific") and in_qpv
        else (0.6 if aid.get("qpv_specific") and in_qpv is None else 0.3)
    )
    targeted = min(1.0, passed / 3)
    top = (aid.get("amount") or {}).get("max") or 0
    # Without a sum in euros, an exemption or an allowance is still worth a lot.
    amount = (
        min(1.0, math.log10(1 + top) / 5)
        if top
        else (
            0.8
            if aid.get("type") in ("exoneration_sociale", "exoneration_fiscale", "allocation")
            else 0.5
        )
    )
    kind = TYPE_WEIGHT.get(aid.get("type") or "", 0.8)
    score = (
        0.35 * certainty
        + 0.20 * need_match
        + 0.10 * qpv
        + 0.10 * targeted
        + 0.10 * amount
        + 0.15 * kind
    )
    score *= CONFIDENCE_WEIGHT.get(aid["confidence"], 0.85)
    if aid["status"] == "uncertain":
        score *= 0.85
    return round(score, 3)


def _questions(matches: list[AidMatch], profile: Profile, region: str | None) -> list[str]:
    """Unknown askable fields, by how many candidate aids (weighted by score) they decide."""
    impact: dict[str, float] = {}
    for match in matches:
        for name in match.unknown_fields:
            impact[name] = impact.get(name, 0.0) + match.score
    if (
        not profile.known("commune")
        and not profile.known("code_postal")
        and not profile.known("territoire")
    ):
        # The place decides regional aids and, above all, the local contacts.
        impact["commune"] = impact.get("commune", 0.0) + 2.0
    if not profile.known("besoins") and matches:
        # Needs do not decide eligibility but reorder the answer and the contacts.
        impact["besoins"] = impact.get("besoins", 0.0) + 0.5
    if not profile.known("stade"):
        impact["stade"] = impact.get("stade", 0.0) + 3.0
    if (
        profile.get("territoire") == OUTSIDE_TERRITORIES
        and region is None
        and not profile.known("code_postal")
    ):
        # A commune outside the pilots that we cannot place: its postal code gives the region.
        impact["code_postal"] = 1.0
    asked = [name for name in ASKABLE if impact.get(name, 0) > 0 and not profile.known(name)]
    return sorted(asked, key=lambda name: (-round(impact[name], 6), ASKABLE.index(name)))


def rank_contacts(
    catalog: Catalog, profile: Profile, limit: int = MAX_CONTACTS
) -> list[dict[str, Any]]:
    territory = profile.get("territoire")
    needs = set(profile.get("besoins") or [])
    stage = profile.get("stade")
    scored = []
    for contact in catalog.files.contacts:
        local = contact.get("territory")
        if local and local != territory:
            continue
        score = 2.0 if local else 0.0
        contact_needs = set(contact.get("needs") or [])
        score += len(needs & contact_needs)
        stages = contact.get("stages") or []
        if stage and stages:
            if stage not in stages:
                continue
            score += 0.5
        if contact.get("kind") in ("citeslab", "bge") and stage in (None, "idee", "creation"):
            score += 0.5
        score += CONFIDENCE_WEIGHT.get(contact.get("confidence") or "", 0.5) * 0.2
        scored.append((score, contact))
    scored.sort(key=lambda item: (-item[0], item[1]["name"]))
    # One contact per kind first, so the list covers different kinds of help.
    chosen, kinds = [], set()
    for _, contact in scored:
        if contact["kind"] not in kinds:
            chosen.append(contact)
            kinds.add(contact["kind"])
    for _, contact in scored:
        if contact not in chosen:
            chosen.append(contact)
    return chosen[:limit]


def _value_label(name: str, value: Any, wording: dict[str, Any]) -> str:
    if isinstance(value, bool):
        return str(wording["values"]["bool"][value])
    return str(wording["values"].get(name, {}).get(value, value))


def _reason(leaf: dict[str, Any], profile: Profile, wording: dict[str, Any]) -> str | None:
    reason: str | None = leaf.get("reason")
    if reason:
        return reason
    name = leaf["field"]
    actual = profile.get(name)
    if leaf_operator(leaf) == "contains":
        return None
    sentence: str | None = wording["reasons"].get(name, {}).get(actual)
    if sentence:
        return sentence
    spec = wording["fields"][name]
    unit = f" {spec['unit']}" if spec.get("unit") else ""
    if isinstance(actual, float) and actual.is_integer():
        actual = int(actual)
    shown = (
        _value_label(name, actual, wording)
        if not isinstance(actual, (int, float)) or isinstance(actual, bool)
        else f"{actual}{unit}"
    )
    return f"{spec['label']} : {shown}"


def _condition(leaf: dict[str, Any], wording: dict[str, Any]) -> str:
    name = leaf["field"]
    operator = leaf_operator(leaf)
    expected = leaf[operator]
    spec = wording["fields"][name]
    unit = f" {spec['unit']}" if spec.get("unit") else ""
    if operator in ("in", "not_in"):
        words = " ou ".join(_value_label(name, v, wording) for v in expected)
        text = words if operator == "in" else f"autre que {words}"
    elif operator == "eq" or operator == "contains":
        text = _value_label(name, expected, wording)
    else:
        text = {
            "lt": "moins de {v}{u}",
            "lte": "{v}{u} au plus",
            "gt": "plus de {v}{u}",
            "gte": "au moins {v}{u}",
        }[operator].format(v=expected, u=unit)
    return f"{spec['label']} — {text}"
