"""What « Ma fiche » shows: the profile in plain French, the aids of the recommendation with
what to check and what to bring, and the local contacts (name, description, website).

Built once, when the fiche is made, from the recommendation the person was shown, and stored
as it is (catalog/fiches.py), so that the page shows what the assistant said that day. It holds
the profile's contract values only, never the person's e-mail address or phone number (a
callback request keeps those in its own table); organisations are given by their name, public
description and website.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from catalog.cards import card_of
from catalog.dialogue import fiche_wording
from catalog.engine import AidMatch
from catalog.labels import wording as labels

PROFILE_ORDER = (
    "stade",
    "secteur",
    "statut",
    "indemnise_are",
    "besoins",
    "commune",
    "code_postal",
    "habite_qpv",
    "implante_qpv",
    "age",
    "femme",
    "anciennete_annees",
    "effectif",
    "montant",
    "franchise",
)


def _value(name: str, value: Any, wording: dict[str, Any]) -> str:
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return ", ".join(_value(name, item, wording) for item in value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    unit = (wording["fields"].get(name) or {}).get("unit")
    if isinstance(value, int | float) and unit:
        return f"{value:,}".replace(",", "\u202f").replace(".", ",") + f" {unit}"
    return str((wording["values"].get(name) or {}).get(value, value))


def profile_rows(profile: dict[str, Any]) -> list[dict[str, str]]:
    """The known fields of the profile: [{"label": "Étape du projet", "value": "création"}…]."""
    wording = labels()
    return [
        {
            "label": str((wording["fields"].get(name) or {}).get("label", name)),
            "value": _value(name, profile[name], wording),
        }
        for name in PROFILE_ORDER
        if profile.get(name) not in (None, [])
    ]


def to_bring(aid: dict[str, Any], profile: dict[str, Any]) -> list[str]:
    """The pieces to prepare for an appointment about this aid (an indicative list)."""
    wording = fiche_wording()
    pieces = list(wording["toujours"])
    situation = wording["statut"].get(profile.get("statut") or "")
    if situation:
        pieces.append(situation)
    pieces += wording["type"].get(aid.get("type") or "", [])
    return list(dict.fromkeys(pieces))


def fiche_content(
    matches: Sequence[AidMatch], contacts: Sequence[dict[str, Any]], profile: dict[str, Any]
) -> dict[str, Any]:
    """The fiche of a recommendation: the aids shown, the contacts shown, the profile."""
    aids = []
    for rank, match in enumerate(matches, start=1):
        card = card_of(match, rank)
        aids.append({**card.model_dump(mode="json"), "bring": to_bring(match.aid, profile)})
    return {
        "profile": profile_rows(profile),
        "aids": aids,
        "contacts": [
            {
                "name": str(contact["name"]),
                "description": str(contact.get("description") or ""),
                "url": contact.get("url"),
            }
            for contact in contacts
        ],
    }
