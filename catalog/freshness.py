"""Freshness of the catalogue's facts: an aid or a contact last checked more than six months
ago (or never) is « à revérifier ». The rule itself (six calendar months) is the console's
(`is_stale`); this module lists the stale facts, oldest first, and words their age in French,
for the answers, `qp catalog stale` and the console.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from catalog.files import CatalogFiles
from catalog.upkeep import STALE_MONTHS, is_stale, stale_before

__all__ = ["STALE_MONTHS", "StaleFact", "age_text", "date_text", "is_stale", "stale_before"]

AID, CONTACT = "aide", "contact"


@dataclass(frozen=True)
class StaleFact:
    """One aid or contact due for a new check."""

    kind: str  # AID or CONTACT
    id: str
    name: str
    last_checked: date | None

    def age(self, today: date) -> str:
        return age_text(self.last_checked, today)


def stale_facts(files: CatalogFiles, today: date) -> list[StaleFact]:
    """The aids and contacts to check again on `today`: never checked first, then oldest."""
    facts = [
        *_stale(AID, files.aids, today),
        *_stale(CONTACT, files.contacts, today),
    ]
    facts.sort(key=lambda f: (f.last_checked is not None, f.last_checked or today, f.kind, f.id))
    return facts


def _stale(kind: str, records: Iterable[Mapping[str, Any]], today: date) -> list[StaleFact]:
    return [
        StaleFact(kind, record["id"], record.get("name") or "", record.get("last_checked"))
        for record in records
        if is_stale(record.get("last_checked"), today)
    ]


def months_between(earlier: date, later: date) -> int:
    """Whole calendar months from `earlier` to `later` (0 when later is not after)."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    if later.day < earlier.day:
        months -= 1
    return max(months, 0)


def age_text(last_checked: date | None, today: date) -> str:
    """« 9 mois », « 1 an et 2 mois », « jamais vérifié »."""
    if last_checked is None:
        return "jamais vérifié"
    months = months_between(last_checked, today)
    years, months = divmod(months, 12)
    parts = []
    if years:
        parts.append(f"{years} an{'s' if years > 1 else ''}")
    if months or not years:
        parts.append(f"{months} mois")
    return " et ".join(parts)


def date_text(day: date | None) -> str:
    """A date as French readers write it: 06/02/2026."""
    return day.strftime("%d/%m/%Y") if day else "date inconnue"
