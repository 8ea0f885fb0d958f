"""Place resolution: what the user wrote → commune, territory, region and, where known, QPV.

A commune may be qualified by its department or region (« Saint-Louis la Réunion »,
« Saint-Louis 974 », « Saint-Louis (Haut-Rhin) »): the qualifier picks one of the homonyms."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from catalog.files import CatalogFiles
from catalog.profile import OUTSIDE_TERRITORIES, normalize

# Leading words that do not tell places apart (« à Roubaix », « la Mosson », « Les Lilas »).
ARTICLES = re.compile(
    r"^(?:a |au |aux |en |sur |dans |vers |pres de |ville de |commune de |"
    r"quartier |quartier de |quartier du |cite |le |la |les |l )+"
)
FUZZY_THRESHOLD = 80
MIN_FUZZY_LENGTH = 5
SHORT_NAME_STOP = {"saint", "sainte", "port", "pont", "mont", "bois", "fontaine", "ville"}
# QPV names are matched more strictly than communes: there are many, and many are short.
QPV_FUZZY_THRESHOLD = 90
QPV_MIN_FUZZY_LENGTH = 8
# Words that do not name a neighbourhood by themselves (« Gare », « Centre Ville »,
# « Quartier Est »).
GENERIC_QPV_WORDS = {
    "quartier", "quartiers", "prioritaire", "intercommunal", "intercommunale", "zone", "secteur",
    "centre", "ville", "ancien", "historique", "gare", "nord", "sud", "est", "ouest", "bas",
    "haut", "hauts", "cite", "residence", "multisites", "de", "du", "des", "la", "le", "les",
    "l", "d", "et",
}  # fmt: skip


@dataclass(frozen=True)
class Place:
    territory: str  # a territory id or "hors_territoire"
    region: str | None = None
    commune_insee: str | None = None
    commune_name: str | None = None
    postal_code: str | None = None
    qpv_name: str | None = None
    qpv_code: str | None = None
    candidates: tuple[str, ...] = field(default_factory=tuple)  # when ambiguous


def place_key(text: str) -> str:
    """How place names are compared: no accents, case, hyphens or leading article."""
    key = ARTICLES.sub("", normalize(text))
    key = re.sub(r"\bst\b", "saint", key)
    key = re.sub(r"\bste\b", "sainte", key)
    return key.replace(" ", "")


class PlaceIndex:
    def __init__(self, files: CatalogFiles):
        self.regions_by_department = {
            dep: r["id"] for r in files.regions for dep in r.get("departments") or []
        }
        self.communes: dict[str, dict[str, Any]] = {}
        self.by_name: dict[str, list[str]] = {}
        self.by_postal: dict[str, list[str]] = {}
        self.qpv_by_name: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        self.qpv_by_commune: dict[str, list[dict[str, Any]]] = {}
        # « fourches » → Les Fourches: names as words, to find them in a sentence
        self.qpv_phrases: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for territory in files.territories:
            for commune in territory.get("communes") or []:
                record = dict(commune, territory=territory["id"], region=territory["region"])
                self.communes[commune["insee"]] = record
                self.by_name.setdefault(place_key(commune["name"]), []).append(commune["insee"])
                for code in commune.get("postal_codes") or []:
                    self.by_postal.setdefault(str(code), []).append(commune["insee"])
            ours = {c["insee"] for c in territory.get("communes") or []}
            for qpv in territory.get("qpv") or []:
                # An intercommunal QPV belongs to each of its communes in the territory.
                inside = [insee for insee in qpv.get("communes") or [] if insee in ours]
                for insee in inside:
                    self.qpv_by_commune.setdefault(insee, []).append(qpv)
                if not inside:
                    continue
                for part in {qpv["name"], *re.split(r"\s[-–/]\s|\s?-\s", qpv["name"])}:
                    if _distinctive(part):
                        self.qpv_by_name.setdefault(place_key(part), []).append((inside[0], qpv))
                        phrase = ARTICLES.sub("", normalize(part))
                        self.qpv_phrases.setdefault(phrase, []).append((inside[0], qpv))
        # The usual short name of a compound commune: « Évry » for Évry-Courcouronnes.
        self.by_short_name: dict[str, list[str]] = {}
        for insee, commune in self.communes.items():
            first = re.split(r"[-\s]", commune["name"])[0]
            key = place_key(first)
            if "-" in commune["name"] and len(key) >= 4 and key not in SHORT_NAME_STOP:
                self.by_short_name.setdefault(key, []).append(insee)
        # Communes elsewhere in France named like one of ours: "Saint-Louis" must be asked.
        self.elsewhere: dict[str, list[dict[str, Any]]] = {}
        for commune in files.homonyms:
            self.elsewhere.setdefault(place_key(commune["name"]), []).append(commune)
        self._names = list(self.by_name)
        self._qpv_names = list(self.qpv_by_name)
        # « reunion », « hautrhin », « 974 » → the departments they name.
        self.departments_by_name: dict[str, set[str]] = {}
        for region in files.regions:
            departments = {str(d) for d in region.get("departments") or []}
            for name in (region["id"], region.get("name") or ""):
                if name:
                    self.departments_by_name.setdefault(place_key(name), set()).update(departments)
            for department in departments:
                self.departments_by_name.setdefault(department.lower(), set()).add(department)
        for commune in files.homonyms:
            if commune.get("department_name") and commune.get("department"):
                key = place_key(commune["department_name"])
                self.departments_by_name.setdefault(key, set()).add(str(commune["department"]))

    def region_of_postal_code(self, code: str) -> str | None:
        department = code[:3] if code.startswith("97") else code[:2]
        if department == "20":
            department = "2A" if int(code) < 20200 else "2B"
        return self.regions_by_department.get(department)

    def resolve(self, text: str | None, postal_code: str | None = None) -> Place | None:
        """Resolve a commune name, a postal code or a QPV name. None when nothing matches."""
        text = (text or "").strip()
        match = re.search(r"(?<!\d)(\d{5})(?!\d)", text)
        if match and not postal_code:
            postal_code = match.group(1)
            text = (text[: match.start()] + text[match.end() :]).strip()
        key = place_key(text) if text else ""
        qualified = self._qualified(text) if key and key not in self.by_name else None
        if qualified:
            return qualified
        inseeds: list[str] = []
        if key:
            inseeds = self.by_name.get(key, [])
            if not inseeds and len(self.by_short_name.get(key, [])) == 1:
                inseeds = self.by_short_name[key]
            if not inseeds and self._names and len(key) >= MIN_FUZZY_LENGTH:
                best = process.extractOne(key, self._names, scorer=fuzz.ratio)
                if best and best[1] >= FUZZY_THRESHOLD:
                    inseeds = self.by_name[best[0]]
        if postal_code:
            by_code = self.by_postal.get(postal_code, [])
            if inseeds and not set(inseeds) & set(by_code):
                # The postal code says which commune of that name: maybe one elsewhere.
                other = next(
                    (
                        h
                        for h in self.elsewhere.get(key, [])
                        if postal_code in (h.get("postal_codes") or [])
                    ),
                    None,
                )
                return Place(
                    territory=OUTSIDE_TERRITORIES,
                    region=self.region_of_postal_code(postal_code),
                    commune_name=other["name"] if other else None,
                    postal_code=postal_code,
                )
            if inseeds:
                inseeds = [i for i in inseeds if i in by_code]
            elif len(by_code) == 1 or (by_code and not key):
                inseeds = by_code
        if key and not inseeds:
            qpv_place = self._resolve_qpv(key)
            if qpv_place:
                return qpv_place
        others = self.elsewhere.get(key, []) if key and not postal_code else []
        if len(inseeds) > 1 or (inseeds and others):
            candidates = [self._label(self.communes[i]) for i in inseeds]
            candidates += [self._label(other) for other in others]
            if len(set(candidates)) > 1:
                first = self.communes[inseeds[0]]
                return Place(
                    territory=first["territory"],
                    region=first["region"],
                    postal_code=postal_code,
                    candidates=tuple(candidates),
                )
        if inseeds:
            commune = self.communes[inseeds[0]]
            return Place(
                territory=commune["territory"],
                region=commune["region"],
                commune_insee=commune["insee"],
                commune_name=commune["name"],
                postal_code=postal_code or _single(commune.get("postal_codes")),
            )
        if postal_code:
            return Place(
                territory=OUTSIDE_TERRITORIES,
                region=self.region_of_postal_code(postal_code),
                postal_code=postal_code,
            )
        return None

    def _qualified(self, text: str) -> Place | None:
        """« Saint-Louis la Réunion », « Saint-Louis (974) »: a commune name followed by a
        department or region that leaves one commune of that name; None otherwise."""
        words = re.sub(r"[(),]", " ", text).split()
        for size in (1, 2, 3):
            if len(words) <= size:
                break
            departments = self.departments_by_name.get(place_key(" ".join(words[-size:])))
            if not departments:
                continue
            key = place_key(" ".join(words[:-size]))
            ours = [i for i in self.by_name.get(key, []) if _department(i) in departments]
            theirs = [h for h in self.elsewhere.get(key, []) if h.get("department") in departments]
            if len(ours) == 1 and not theirs:
                commune = self.communes[ours[0]]
                return Place(
                    territory=commune["territory"],
                    region=commune["region"],
                    commune_insee=commune["insee"],
                    commune_name=commune["name"],
                    postal_code=_single(commune.get("postal_codes")),
                )
            if len(theirs) == 1 and not ours:
                codes = theirs[0].get("postal_codes") or []
                return Place(
                    territory=OUTSIDE_TERRITORIES,
                    region=self.region_of_postal_code(codes[0]) if codes else None,
                    commune_name=theirs[0]["name"],
                    postal_code=_single(codes),
                )
            if key in self.by_name or key in self.elsewhere:
                # No homonym there (« Saint-Louis Bretagne »): the name alone, which asks.
                return self.resolve(" ".join(words[:-size]))
        return None

    def _label(self, commune: dict[str, Any]) -> str:
        """« Saint-Louis (97450) »: a name with its postal code, which settles the choice."""
        codes = commune.get("postal_codes") or []
        return f"{commune['name']} ({codes[0]})" if codes else commune["name"]

    def _resolve_qpv(self, key: str) -> Place | None:
        matches = self.qpv_by_name.get(key)
        if not matches and self._qpv_names and len(key) >= QPV_MIN_FUZZY_LENGTH:
            # Stricter than for communes: « Rennes » must not become « Arènes » (Toulouse).
            best = process.extractOne(key, self._qpv_names, scorer=fuzz.ratio)
            if best and best[1] >= QPV_FUZZY_THRESHOLD:
                matches = self.qpv_by_name[best[0]]
        return self._single_qpv_place(matches)

    def qpv_named_in(self, text: str) -> Place | None:
        """The QPV of the official list whose distinctive name appears, word for word, in a
        sentence (« j'habite aux Fourches à Laval » → Les Fourches); None when none does or
        when the name belongs to QPV of several communes."""
        words = f" {normalize(text)} "
        found = [p for p in self.qpv_phrases if f" {p} " in words]
        if not found:
            return None
        return self._single_qpv_place(self.qpv_phrases[max(found, key=len)])

    def _single_qpv_place(self, matches: list[tuple[str, dict[str, Any]]] | None) -> Place | None:
        """The place of the one QPV the matches name; None when there is none, or when the name
        is shared by QPV of several communes (« Centre Ville »)."""
        if not matches or len({insee for insee, _ in matches}) > 1:
            return None
        insee, qpv = matches[0]
        commune = self.communes[insee]
        return Place(
            territory=commune["territory"],
            region=commune["region"],
            commune_insee=insee,
            commune_name=commune["name"],
            postal_code=_single(commune.get("postal_codes")),
            qpv_name=qpv["name"],
            qpv_code=qpv.get("code"),
        )

    def qpv_of_commune(self, insee: str) -> list[dict[str, Any]]:
        return self.qpv_by_commune.get(insee, [])


def _distinctive(part: str) -> bool:
    """Whether a QPV name (or part of it) can name a place: long enough, not only generic words."""
    words = set(re.split(r"[\s'’()-]+", normalize(part))) - {""}
    return len(place_key(part)) >= 5 and not words <= GENERIC_QPV_WORDS


def _department(insee: str) -> str:
    """The department of a commune's INSEE code: « 97414 » → « 974 », « 59512 » → « 59 »."""
    return insee[:3] if insee.startswith("97") else insee[:2]


def _single(codes: list[str] | None) -> str | None:
    return codes[0] if codes and len(codes) == 1 else None
