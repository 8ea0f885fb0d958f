"""The recommendation engine: profile → eligible aids (ranked, explained), contacts, questions.

What the profile does not say is « à vérifier » (unknown), never a silent no: an aid whose rule
is unknown stays in the answer with what to check. The engine reads the date it answers for
(`today`, the real date by default): closed or ended aids are left out, so are aids withdrawn
until their facts are verified again, an uncertain aid without an end date is only « à
vérifier », and a fact last checked more than six months ago is flagged « à revérifier »
(catalog/freshness.py).
"""

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

from catalog import amounts, store
from catalog.files import CatalogFiles
from catalog.freshness import age_text, date_text, is_stale, withdrawal
from catalog.labels import wording as labels
from catalog.places import Place, PlaceIndex
from catalog.profile import OUTSIDE_TERRITORIES, Profile
from catalog.rules import evaluate, is_check, leaf_operator, presumed

# Certainty of an aid that only a `likely` check keeps « à vérifier » (see _certainty).
CHECK_CERTAINTY = 0.9
# Needs that name a project (premises, digital, ecological, hiring) rather than a kind of help
# (money, support, training). An aid whose purpose — its first need — is such a project serves
# a person who did not state that project only as a side: its need match is multiplied by
# SIDE_NEED_FACTOR (see need_fit).
PROJECT_NEEDS = frozenset({"local", "numerique", "transition_ecologique", "recrutement"})
SIDE_NEED_FACTOR = 0.5
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
# Whom each kind of organisation serves, as a rule on the profile (a contact record may give
# its own `audience`). False: the contact is left out; True: it comes first; unknown: it stays.
QPV_LINK = {"any": [{"field": "habite_qpv", "eq": True}, {"field": "implante_qpv", "eq": True}]}
KIND_AUDIENCE: dict[str, dict[str, Any]] = {
    # CitésLab: first welcome for the residents and the businesses of the priority areas.
    "citeslab": QPV_LINK,
    # France Travail: the job seeker's rights when creating (ARE, ARCE), or an employer hiring.
    "france_travail": {
        "any": [
            {"field": "statut", "in": ["demandeur_emploi", "rsa"]},
            {"field": "indemnise_are", "eq": True},
            {"field": "besoins", "contains": "recrutement"},
        ]
    },
}


@dataclass
class AidMatch:
    aid: dict[str, Any]
    eligible: bool | None  # True: eligible on what we know; None: depends on unknowns
    score: float
    reasons: list[str]
    to_check: list[str]
    unknown_fields: set[str]
    day: date = field(default_factory=date.today)  # the date the amount is read for
    likely: bool = False  # only `likely` checks are left to confirm (see _certainty)
    open_checks: bool = False  # a `check` no answer can settle is still unknown

    @property
    def amount_text(self) -> str | None:
        """The amount in force on `day` (« …, en vigueur depuis le … » for a dated value)."""
        return amounts.text_on(self.aid.get("amount"), self.day)

    @property
    def stale(self) -> bool:
        """The aid's facts were last checked more than six months before `day` (or never)."""
        return is_stale(self.aid.get("last_checked"), self.day)

    @property
    def stale_note(self) -> str | None:
        """« Informations vérifiées le … : à revérifier » for a stale aid, else None."""
        return stale_note(self.aid.get("last_checked"), self.day) if self.stale else None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.aid["id"],
            "name": self.aid["name"],
            "score": self.score,
            "reasons": self.reasons,
            "to_check": self.to_check + ([self.stale_note] if self.stale_note else []),
            "amount": self.amount_text,
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


def stale_note(last_checked: date | None, today: date) -> str:
    """The sentence that flags a fact last checked more than six months ago."""
    notes = labels()["notes"]
    if last_checked is None:
        return str(notes["never_checked"])
    return str(notes["stale"]).format(
        date=date_text(last_checked), age=age_text(last_checked, today)
    )


def contact_stale_note(contact: dict[str, Any], today: date) -> str | None:
    """« (coordonnées vérifiées le … : à revérifier) » for a contact last checked more than six
    months ago, else None."""
    checked = contact.get("last_checked")
    if not is_stale(checked, today):
        return None
    notes = labels()["notes"]
    if checked is None:
        return str(notes["contact_never_checked"])
    return str(notes["contact_stale"]).format(date=date_text(checked))


def recommend(
    catalog: Catalog, profile: Profile, today: date | None = None, limit: int | None = None
) -> Recommendation:
    """The answer for `profile` on `today` (the real date when not given: the callers at the
    edge, the actions and the command line, leave it out; tests pass a fixed date)."""
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
    if not is_open(aid, today) or withdrawal(aid):
        return None  # ended, not yet open, or withdrawn until verified again
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
    # Unknown leaves: a field the dialogue can ask, or a condition no field decides (`check`).
    unknown_fields = {leaf["field"] for leaf in outcome.unknown if not is_check(leaf)}
    unknown_checks = list(
        dict.fromkeys(leaf["check"] for leaf in outcome.unknown if is_check(leaf))
    )
    to_check = [
        leaf["check"]
        if is_check(leaf)
        else leaf.get("ask")
        or wording["notes"]["unknown"].format(condition=_condition(leaf, wording))
        for leaf in outcome.unknown
    ]
    if scope_unknown:
        unknown_fields.add("commune")
        to_check.append(wording["notes"]["region_unknown"])
    to_check += list(aid.get("checks") or [])
    # An uncertain aid with no announced end may have ended: never more than « à vérifier ».
    # (One past its announced end is not open, see is_open.)
    uncertain = aid["status"] == "uncertain" and not aid.get("valid_until")
    if aid["status"] == "uncertain":
        to_check.append(wording["notes"]["uncertain_status"])
    if aid["confidence"] == "unconfirmed":
        to_check.append(wording["notes"]["unconfirmed"])
    eligible = None if (outcome.value is None or scope_unknown or uncertain) else True
    likely = (
        outcome.value is None
        and not (scope_unknown or uncertain)
        and evaluate(aid.get("eligibility"), profile, assume_likely=True).value is True
    )
    unknowns = len(unknown_fields) + len(unknown_checks) + int(uncertain)
    certainty = _certainty(eligible, likely, unknowns)
    # A `likely` check is a condition the person's situation most probably meets: it counts
    # among the conditions met, so a right aimed at that situation (ACRE for a minimum income)
    # is not ranked below an aid whose only written condition is the stage of the project. So
    # does a condition every plausible value meets (catalog/plausible.py).
    met = len(outcome.passed) + (
        sum(
            1
            for leaf in outcome.unknown
            if (is_check(leaf) and leaf.get("likely") is True) or presumed(leaf, profile)
        )
        if likely
        else 0
    )
    score = _score(aid, profile, certainty, met, today)
    return AidMatch(
        aid,
        eligible,
        score,
        reasons,
        list(dict.fromkeys(to_check)),
        unknown_fields,
        today,
        likely,
        bool(unknown_checks),
    )


def qpv_link(profile: Profile) -> bool | None:
    """Does the person live, or the business stand, in a QPV? True if either is true, False
    only when both are known to be false, unknown otherwise (whatever the order)."""
    return evaluate(QPV_LINK, profile).value


def _certainty(eligible: bool | None, likely: bool, unknowns: int) -> float:
    """How sure the eligibility is, 0.3–1. Certain: 1. Left to confirm only a detail most
    people in the person's situation meet (`likely` checks, e.g. « not the AAH alone » for a
    minimum income): CHECK_CERTAINTY, so that right stays among the first answers. Otherwise
    0.7, less for each more unknown (a question to ask, or a condition to check)."""
    if eligible:
        return 1.0
    if likely:
        return CHECK_CERTAINTY
    return max(0.3, 0.7 - 0.1 * (max(unknowns, 1) - 1))


def _score(
    aid: dict[str, Any],
    profile: Profile,
    certainty: float,
    passed: int,
    today: date | None = None,
) -> float:
    """0–1. Weighted: certainty of eligibility (`_certainty`), needs matched, QPV
    specificity, how many of its conditions the profile meets, amount, and the kind of aid (a
    right or a loan before a competition); then lowered for unconfirmed facts or an uncertain
    status."""
    need_match = need_fit(aid, profile)
    in_qpv = qpv_link(profile)
    qpv = (
        1.0
        if aid.get("qpv_specific") and in_qpv
        else (0.6 if aid.get("qpv_specific") and in_qpv is None else 0.3)
    )
    targeted = min(1.0, passed / 3)
    top = amounts.effective(aid.get("amount"), today or date.today())["max"] or 0
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


def need_fit(aid: dict[str, Any], profile: Profile) -> float:
    """0–1: how well the aid serves the needs the person stated (0.5 when none is stated).

    The share of the person's needs the aid serves, halved when the aid's purpose — the first
    need of its record — is a project the person did not state (PROJECT_NEEDS): a grant for a
    digital or a shop-front project serves a « financement » need only if the person has that
    project, so it comes after the aids that finance the project the person described."""
    needs = set(profile.get("besoins") or [])
    if not needs:
        return 0.5
    aid_needs = list(aid.get("needs") or [])
    share = len(needs & set(aid_needs)) / len(needs)
    if aid_needs and aid_needs[0] in PROJECT_NEEDS and aid_needs[0] not in needs:
        share *= SIDE_NEED_FACTOR
    return share


def _questions(matches: list[AidMatch], profile: Profile, region: str | None) -> list[str]:
    """Unknown askable fields, by how many candidate aids (weighted by score) they decide. An
    aid left with only `likely` checks is as good as decided: its other unknown fields (the age
    of an RSA beneficiary for ACRE) would not change the answer, so they do not count. An aid
    with a `check` no answer settles stays « à vérifier » whatever the person says: its fields
    count half."""
    impact: dict[str, float] = {}
    # Aids kept for one region or territory: the place decides them all at once, but only those
    # of one place can remain, so the place weighs as much as the best-scored place, not all.
    by_place: dict[tuple[str, ...], float] = {}
    for match in matches:
        if match.likely:
            continue
        weight = match.score * (0.5 if match.open_checks else 1.0)
        scope = match.aid.get("scope") or {}
        place = tuple(sorted(scope.get("regions") or scope.get("territories") or []))
        for name in match.unknown_fields:
            if name == "commune" and place:
                by_place[place] = by_place.get(place, 0.0) + weight
            else:
                impact[name] = impact.get(name, 0.0) + weight
    if by_place:
        impact["commune"] = impact.get("commune", 0.0) + max(by_place.values())
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
    ordered = sorted(asked, key=lambda name: (-round(impact[name], 6), ASKABLE.index(name)))
    if "commune" in ordered:
        # Where, right after the stage and the QPV question: the place decides the local
        # contacts and every regional aid, whatever the other fields weigh.
        first = [name for name in ("stade", "implante_qpv") if name in ordered]
        rest = [name for name in ordered if name not in first and name != "commune"]
        ordered = [*first, "commune", *rest]
    return ordered


def rank_contacts(
    catalog: Catalog, profile: Profile, limit: int = MAX_CONTACTS
) -> list[dict[str, Any]]:
    """The organisations to contact, best first: those of the person's territory and national
    ones, for their stage; ranked by the needs they serve (a national service made for the
    need, such as France Num for digital, before a local generalist), then by locality; a
    contact whose audience the profile rules out (CitésLab outside the QPV, France Travail for
    someone neither job seeker nor hiring) is left out. One contact per kind comes first, so
    the list covers different kinds of help."""
    territory = profile.get("territoire")
    needs = set(profile.get("besoins") or [])
    stage = profile.get("stade")
    scored = []
    for contact in catalog.files.contacts:
        local = contact.get("territory")
        if local and local != territory:
            continue
        stages = contact.get("stages") or []
        if stage and stages and stage not in stages:
            continue
        audience = audience_of(contact, profile)
        if audience is False:
            continue
        contact_needs = set(contact.get("needs") or [])
        served = needs & contact_needs
        score = 1.5 * len(served)
        if served:
            # Specialised: the share of what the contact does that the person needs.
            score += len(served) / len(contact_needs)
        score += 1.0 if local else 0.0
        if stage and stages:
            score += 0.5
        if audience is True:
            score += (
                1.0  # made for this person (CitésLab in a QPV, France Travail for a job seeker)
            )
        if contact.get("kind") in ("citeslab", "bge") and stage in (None, "idee", "creation"):
            score += 0.5
        score += CONFIDENCE_WEIGHT.get(contact.get("confidence") or "", 0.5) * 0.2
        scored.append((score, contact))
    scored.sort(key=lambda item: (-item[0], item[1]["name"]))
    chosen, kinds = [], set()
    for _, contact in scored:
        if _diversity_key(contact) not in kinds:
            chosen.append(contact)
            kinds.add(_diversity_key(contact))
    for _, contact in scored:
        if contact not in chosen:
            chosen.append(contact)
    return chosen[:limit]


def audience_of(contact: dict[str, Any], profile: Profile) -> bool | None:
    """Is the contact made for this person? None when it serves everyone or the profile does
    not say enough."""
    rule = contact.get("audience") or KIND_AUDIENCE.get(str(contact.get("kind")))
    return evaluate(rule, profile).value if rule else None


def _diversity_key(contact: dict[str, Any]) -> str:
    """Contacts of one kind are one kind of help; each `autre` contact is its own."""
    return str(contact["id"] if contact["kind"] == "autre" else contact["kind"])


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
