"""Shared helpers: the catalogue of this process and the profile held in the slots."""

from __future__ import annotations

from typing import Any

from catalog.engine import Catalog, open_catalog
from catalog.labels import wording as labels
from catalog.profile import Profile, parse_profile, valid_fields

BOOKKEEPING_SLOTS = ("champs_ignores", "champs_demandes", "aides_recommandees")


def catalog() -> Catalog:
    return open_catalog()


def profile_from_slots(slots: dict[str, Any]) -> Profile:
    """The profile held in the slots; a value that does not fit the contract is left unknown."""
    return parse_profile(valid_fields(slots))


def summary(profile_values: dict[str, Any]) -> str:
    """One line of what was understood, e.g. « création · commerce · Roubaix · 24 ans ·
    domicile en quartier prioritaire », so that the person can correct any of it."""
    wording = labels()
    parts = []
    for field in ("stade", "secteur", "statut", "commune", "besoins"):
        value = profile_values.get(field)
        if value in (None, []):
            continue
        if field == "commune":
            parts.append(str(value))
        elif field == "besoins":
            parts.append(
                "besoin : " + ", ".join(wording["values"]["besoins"].get(v, v) for v in value)
            )
        else:
            parts.append(wording["values"][field].get(value, value))
    recap = wording.get("recap") or {}
    for field in ("age", "anciennete_annees", "effectif", "montant"):
        number = _number(profile_values.get(field))
        if number is None:
            continue
        key = field
        if field == "anciennete_annees" and 0 < number < 1:
            key, number = "anciennete_mois", round(number * 12)
        elif field == "effectif" and number == 0:
            key = "effectif_zero"
        elif field in ("anciennete_annees", "effectif") and number == 1:
            key = f"{field}_un"
        parts.append(recap[key].format(n=_french_number(number)))
    for field in ("habite_qpv", "implante_qpv"):
        value = profile_values.get(field)
        if isinstance(value, bool):
            parts.append(recap[f"{field}_{'oui' if value else 'non'}"])
    return " · ".join(parts)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _french_number(number: float) -> str:
    """« 10 000 », « 2,5 »: as a French reader writes it."""
    if number == int(number):
        return f"{int(number):,}".replace(",", "\u202f")
    return f"{number:.1f}".replace(".", ",")
