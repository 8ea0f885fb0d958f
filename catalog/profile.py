"""The user's profile (contract §1): field definitions, validation and answer parsing."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

TERRITORY_IDS = (
    "aix-marseille",
    "arras",
    "laval",
    "maubeuge-val-de-sambre",
    "montbeliard",
    "montpellier",
    "est-ensemble",
    "grand-paris-sud",
    "grand-narbonne",
    "grand-nancy",
    "orly-choisy",
    "roubaix",
    "toulouse",
    "saint-louis-reunion",
)
OUTSIDE_TERRITORIES = "hors_territoire"

ENUMS: dict[str, tuple[str, ...]] = {
    "stade": ("idee", "creation", "reprise", "developpement"),
    "secteur": (
        "commerce",
        "artisanat",
        "restauration",
        "services",
        "btp",
        "industrie",
        "numerique",
        "transport",
        "sante_social",
        "autre",
    ),
    "statut": ("demandeur_emploi", "rsa", "salarie", "etudiant", "independant", "autre"),
    "besoins": (
        "financement",
        "accompagnement",
        "local",
        "formation",
        "numerique",
        "transition_ecologique",
        "recrutement",
    ),
    "territoire": (*TERRITORY_IDS, OUTSIDE_TERRITORIES),
}

# field -> kind: enum | enum_list | bool | int | number | text | postal_code
FIELDS: dict[str, str] = {
    "stade": "enum",
    "secteur": "enum",
    "statut": "enum",
    "indemnise_are": "bool",
    "besoins": "enum_list",
    "commune": "text",
    "code_postal": "postal_code",
    "territoire": "enum",
    "habite_qpv": "bool",
    "implante_qpv": "bool",
    "age": "int",
    "femme": "bool",
    "anciennete_annees": "number",
    "effectif": "int",
    "montant": "number",
    "franchise": "bool",
}

MAX_TEXT = 200
POSTAL_CODE = re.compile(r"^\d{5}$")


class ProfileError(ValueError):
    """A profile holds an unknown field or a value outside the contract."""


@dataclass(frozen=True)
class Profile:
    """A validated profile: every contract field, None when unknown."""

    values: dict[str, Any]

    def get(self, field: str) -> Any:
        return self.values.get(field)

    def known(self, field: str) -> bool:
        value = self.values.get(field)
        return value is not None and value != []

    def with_values(self, **changes: Any) -> Profile:
        merged = dict(self.values)
        merged.update(changes)
        return Profile(merged)


def parse_profile(raw: Any) -> Profile:
    """Validate a profile mapping (absent or null fields are unknown)."""
    if not isinstance(raw, dict):
        raise ProfileError("le profil doit être un objet JSON")
    values: dict[str, Any] = dict.fromkeys(FIELDS)
    for field, value in raw.items():
        if field not in FIELDS:
            raise ProfileError(f"champ inconnu : {field!r}")
        values[field] = _check(field, value)
    return Profile(values)


def _check(field: str, value: Any) -> Any:
    if value is None:
        return None
    kind = FIELDS[field]
    if kind == "enum":
        if value not in ENUMS[field]:
            raise ProfileError(f"valeur inconnue pour {field} : {value!r}")
        return value
    if kind == "enum_list":
        if not isinstance(value, list):
            raise ProfileError(f"{field} doit être une liste")
        for item in value:
            if item not in ENUMS[field]:
                raise ProfileError(f"valeur inconnue pour {field} : {item!r}")
        return list(dict.fromkeys(value))
    if kind == "bool":
        if not isinstance(value, bool):
            raise ProfileError(f"{field} doit valoir true, false ou null")
        return value
    if kind in ("int", "number"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ProfileError(f"{field} doit être un nombre")
        if value < 0 or value > 1e9:
            raise ProfileError(f"{field} hors limites : {value!r}")
        if kind == "int" and value != int(value):
            raise ProfileError(f"{field} doit être un entier")
        return int(value) if kind == "int" else value
    if kind == "postal_code":
        if not isinstance(value, str) or not POSTAL_CODE.match(value):
            raise ProfileError(f"{field} doit contenir 5 chiffres")
        return value
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise ProfileError(f"{field} doit être un texte de moins de {MAX_TEXT} caractères")
    return value.strip()


# --- parsing free-text answers -------------------------------------------------------------


def normalize(text: str) -> str:
    """Lowercase, strip accents and punctuation, collapse spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("œ", "oe").replace("æ", "ae")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(text.split())


_DONT_KNOW = re.compile(
    r"^(je (ne )?(sais|sai|c) pas( trop)?|jsp|j sais pas|sais pas|ne sais pas|aucune idee|"
    r"pas d idee|je ne suis pas sur e?|passer|je passe|peu importe|ne sait pas|inconnu|"
    r"je prefere ne pas (le )?dire|je prefere ne pas repondre|pas de reponse)$"
)


def is_dont_know(text: str) -> bool:
    return bool(_DONT_KNOW.match(normalize(text)))


_NUMBER = re.compile(
    r"(\d+(?:[ .\u202f\u00a0]\d{3})*(?:[.,]\d+)?)\s*(k|k€|mille|m€|millions?)?", re.IGNORECASE
)


def parse_number(text: str) -> float | None:
    """First number in a free answer: '15 000 €' → 15000, '20k' → 20000, '2,5' → 2.5."""
    if not text:
        return None
    match = _NUMBER.search(text)
    if not match:
        words = normalize(text).split()
        for word in words:
            if word in _WORD_NUMBERS:
                return float(_WORD_NUMBERS[word])
        return None
    digits = re.sub(r"[ .\u202f\u00a0](?=\d{3}\b)", "", match.group(1)).replace(",", ".")
    try:
        number = float(digits)
    except ValueError:
        return None
    unit = (match.group(2) or "").lower()
    if unit.startswith("k") or unit == "mille":
        number *= 1000
    elif unit.startswith("m"):
        number *= 1_000_000
    return number


_WORD_NUMBERS = {
    "zero": 0,
    "aucun": 0,
    "aucune": 0,
    "personne": 0,
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "six": 6,
    "sept": 7,
    "huit": 8,
    "neuf": 9,
    "dix": 10,
}


def is_bare_number(text: str) -> bool:
    """A message that is only a number, maybe with a unit: « 3 », « zéro », « 5 ans »."""
    words = normalize(text).split()
    units = {
        "an",
        "ans",
        "annee",
        "annees",
        "salarie",
        "salaries",
        "personne",
        "personnes",
        "euro",
        "euros",
        "k",
        "mois",
    }
    numbers = [w for w in words if w.isdigit() or w in _WORD_NUMBERS]
    return (
        bool(numbers)
        and len(numbers) == 1
        and all(w.isdigit() or w in _WORD_NUMBERS or w in units for w in words)
    )


_YES = {
    "oui",
    "ouais",
    "yes",
    "ok",
    "exact",
    "exactement",
    "bien sur",
    "carrement",
    "oui oui",
    "tout a fait",
    "absolument",
    "affirmatif",
    "voui",
    "ui",
    "yep",
    "d accord",
}
_NO = {"non", "nan", "no", "pas du tout", "non non", "absolument pas", "nope", "pas vraiment"}


def parse_yes_no(text: str) -> bool | None:
    norm = normalize(text)
    if norm in _YES or norm.startswith("oui "):
        return True
    if norm in _NO or norm.startswith("non "):
        return False
    return None


def parse_postal_code(text: str) -> str | None:
    match = re.search(r"(?<!\d)(\d{5})(?!\d)", text or "")
    return match.group(1) if match else None


def valid_fields(values: dict[str, Any]) -> dict[str, Any]:
    """The profile fields of `values` (e.g. Rasa slots) whose value fits the contract; the
    others, and every other key, are left out."""
    kept: dict[str, Any] = {}
    for name in FIELDS:
        value = values.get(name)
        if value is None:
            continue
        try:
            parse_profile({name: value})
        except ProfileError:
            continue
        kept[name] = value
    return kept
