"""« Mon adresse est-elle en QPV ? »: an address → a geocoded point → the official perimeters →
« en QPV (code, nom) », « hors QPV » or « à vérifier », never a guess.

The geocoder is given by the caller (adapters/ban.py in production, a local fake in tests):
anything with `search(query, limit) -> list[GeocodedAddress]` that raises
`GeocodingUnavailableError` when it cannot answer. Without geocoder answer or without perimeters,
the check falls back on place names (the commune's QPV of the official list) and says
« à vérifier » with the official address checker's link.

A point is tested only in a commune of the 14 territories, and only when every QPV of that
commune's official list (qpv_map.yml) has its perimeter in the database: elsewhere a missing
perimeter would turn into a false « hors QPV ».
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from catalog.places import PlaceIndex
from catalog.qpv_perimeters import BORDER_TOLERANCE_M, PerimeterIndex

OFFICIAL_CHECKER = "https://sig.ville.gouv.fr"
MIN_SCORE = 0.5  # below, the geocoder's best candidate is not the address the person gave
PRECISE_TYPES = {"housenumber"}  # a street or a commune is not a point
MAX_ADDRESS_LENGTH = 200

EN_QPV, HORS_QPV, A_VERIFIER = "en_qpv", "hors_qpv", "a_verifier"


class GeocodingUnavailableError(RuntimeError):
    """The geocoder could not be reached or gave no usable answer."""


@dataclass(frozen=True)
class GeocodedAddress:
    """One candidate of the geocoder."""

    label: str
    score: float
    type: str  # housenumber, street, locality or municipality
    lon: float
    lat: float
    citycode: str | None = None  # INSEE code of the commune
    postcode: str | None = None
    city: str | None = None


class Geocoder(Protocol):
    def search(self, query: str, limit: int = 5) -> list[GeocodedAddress]: ...


@dataclass(frozen=True)
class AddressCheck:
    """The answer. `status` is EN_QPV, HORS_QPV or A_VERIFIER; `reason` says why it is
    « à vérifier » (a key of catalog/data/dialogue.yml, after « qpv_adresse_ »)."""

    status: str
    reason: str | None = None
    label: str | None = None  # the address as the geocoder understood it
    commune_insee: str | None = None
    commune_name: str | None = None
    qpv_code: str | None = None
    qpv_name: str | None = None
    # The official list of the commune's QPV (fallback and « à vérifier » answers).
    commune_qpv: tuple[dict[str, Any], ...] = field(default_factory=tuple)


# Street words that make a text an address (with a number before them, or alone after one).
STREET_WORDS = (
    r"rue|r\.|avenue|av\.?|ave|boulevard|bd|bld|blvd|place|pl\.|all[ée]e|chemin|ch\.|impasse|"
    r"imp\.?|quai|route|rte|cours|square|sq\.?|r[ée]sidence|cit[ée]|passage|sentier|voie|"
    r"rond[- ]point|esplanade|parvis|promenade|mail|faubourg|fbg|chauss[ée]e|lotissement|"
    r"hameau|villa|clos|r[ée]sidence|venelle|ruelle|traverse|mont[ée]e|côte|cote|square|"
    r"galerie|zone|za|zi|zac|parc"
)
ADDRESS = re.compile(
    rf"(?<![\w])(\d{{1,4}}\s?(?:bis|ter|quater|[a-d])?\s*,?\s+(?:{STREET_WORDS})\s.+)",
    re.IGNORECASE,
)
# Where the question begins after the address: « …, c'est en QPV ? », « … est-elle en QPV ».
QUESTION_TAIL = re.compile(
    r"\s*[,;:]?\s*(?:\?|!|\bc\s?['’]?\s?est\b|\best[- ]ce\b|\best[- ](?:il|elle)\b|"
    r"\b(?:est|sont|serait|se trouve|se situe)\s+(?:en|dans|bien|il|elle|hors)\b|"
    r"\b(?:en|hors)\s+(?:qpv|quartier|zone)|\bdans\s+(?:un|une|le|la|les)\s+(?:qpv|quartier|zone))",
    re.IGNORECASE,
)


def find_address(text: str) -> str | None:
    """The street address in a message (« 12 rue X, 59100 Roubaix, c'est en QPV ? » →
    « 12 rue X, 59100 Roubaix »), or None when it holds no number + street."""
    text = " ".join((text or "").split())[: MAX_ADDRESS_LENGTH * 2]
    match = ADDRESS.search(text)
    if not match:
        return None
    address = match.group(1)
    tail = QUESTION_TAIL.search(address)
    if tail:
        address = address[: tail.start()]
    address = address.strip(" ,;:?!.")
    return address[:MAX_ADDRESS_LENGTH] if len(address) >= 5 else None


def check_address(
    query: str,
    geocoder: Geocoder | None,
    places: PlaceIndex,
    perimeters: PerimeterIndex | None,
    tolerance_m: float = BORDER_TOLERANCE_M,
) -> AddressCheck:
    """Whether the address `query` is in a QPV, out of every QPV, or « à vérifier »."""
    query = " ".join((query or "").split())[:MAX_ADDRESS_LENGTH]
    if geocoder is None:
        return _by_name(query, places, "geocodeur_indisponible")
    try:
        candidates = geocoder.search(query, limit=5)
    except GeocodingUnavailableError:
        return _by_name(query, places, "geocodeur_indisponible")
    best = max(candidates, key=lambda c: c.score, default=None)
    if best is None or best.score < MIN_SCORE:
        return _by_name(query, places, "introuvable")
    commune = places.communes.get(best.citycode or "")
    commune_qpv = tuple(places.qpv_of_commune(best.citycode or "")) if commune else ()
    # What every answer about this point says; each case below sets its status and reason.
    located = AddressCheck(
        A_VERIFIER,
        label=best.label,
        commune_insee=best.citycode,
        commune_name=(commune or {}).get("name") or best.city,
        commune_qpv=commune_qpv,
    )
    if best.type not in PRECISE_TYPES:
        return replace(located, reason="imprecise")
    if commune is None:
        return replace(located, reason="hors_territoires")
    if not commune_qpv:
        # The official list gives this commune no QPV: no address of it is in one.
        return replace(located, status=HORS_QPV)
    if not perimeters or any(q.get("code") not in perimeters.codes for q in commune_qpv):
        return replace(located, reason="perimetres_absents")
    found = perimeters.lookup(best.lon, best.lat, tolerance_m)
    if found.near_border:
        near = found.near_border[0]
        return replace(located, reason="frontiere", qpv_code=near.code, qpv_name=near.name)
    if found.inside:
        inside = found.inside[0]
        return replace(located, status=EN_QPV, qpv_code=inside.code, qpv_name=inside.name)
    return replace(located, status=HORS_QPV)


def _by_name(query: str, places: PlaceIndex, reason: str) -> AddressCheck:
    """Without a geocoded point: what the words of the address say (a commune, a postal code,
    a QPV name), always « à vérifier »."""
    place = None
    words = re.sub(r"^\s*\d{1,4}\s?(?:bis|ter)?\b", " ", query)
    for part in [query, *reversed(re.split(r"[,;]", words))]:
        place = places.resolve(part.strip()) if part.strip() else None
        if place and place.commune_insee:
            break
        place = None
    if place is None:
        return AddressCheck(A_VERIFIER, reason)
    return AddressCheck(
        A_VERIFIER,
        reason,
        commune_insee=place.commune_insee,
        commune_name=place.commune_name,
        qpv_code=place.qpv_code,
        qpv_name=place.qpv_name,
        commune_qpv=tuple(places.qpv_of_commune(place.commune_insee or "")),
    )


def answer_text(check: AddressCheck) -> str:
    """The answer in French, as the dialogue and `qp qpv check` give it."""
    from catalog.dialogue import message

    address = check.label or ""
    if check.status == EN_QPV:
        return message(
            "qpv_adresse_en_qpv", adresse=address, nom=check.qpv_name, code=check.qpv_code
        )
    if check.status == HORS_QPV:
        if not check.commune_qpv:
            return message(
                "qpv_adresse_commune_sans_qpv", adresse=address, commune=check.commune_name
            )
        return message("qpv_adresse_hors_qpv", adresse=address)
    parts = [
        message(
            f"qpv_adresse_{check.reason}",
            adresse=address,
            commune=check.commune_name or "",
            nom=check.qpv_name or "",
            code=check.qpv_code or "",
        )
    ]
    if check.commune_qpv and check.reason != "frontiere":
        parts.append(_commune_list(check))
    parts.append(message("qpv_adresse_a_verifier", lien=OFFICIAL_CHECKER))
    return " ".join(parts)


def _commune_list(check: AddressCheck) -> str:
    from catalog.dialogue import message

    known = sorted(check.commune_qpv, key=lambda q: q.get("code") != check.qpv_code)
    names = ", ".join(f"{q['name']} ({q['code']})" for q in known[:8])
    if len(known) > 8:
        names += message("qpv_et_autres", nombre=len(known) - 8)
    count = message("qpv_un") if len(known) == 1 else message("qpv_plusieurs", nombre=len(known))
    return message("qpv_adresse_liste", commune=check.commune_name, compte=count, quartiers=names)
