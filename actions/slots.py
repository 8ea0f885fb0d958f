"""Shared helpers: the catalogue of this process and the profile held in the slots."""

from __future__ import annotations

from typing import Any

from catalog.engine import Catalog, open_catalog
from catalog.profile import Profile, parse_profile, valid_fields
from catalog.recap import recap

BOOKKEEPING_SLOTS = ("champs_ignores", "champs_demandes", "aides_recommandees")


def catalog() -> Catalog:
    return open_catalog()


def profile_from_slots(slots: dict[str, Any]) -> Profile:
    """The profile held in the slots; a value that does not fit the contract is left unknown."""
    return parse_profile(valid_fields(slots))


def summary(profile_values: dict[str, Any]) -> str:
    """Everything understood, e.g. « création · commerce · Roubaix · 24 ans » (catalog/recap.py)."""
    return recap(profile_values)
