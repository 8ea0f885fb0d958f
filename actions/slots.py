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
    """One line of what was understood, e.g. « création · commerce · Roubaix »."""
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
    return " · ".join(parts)
