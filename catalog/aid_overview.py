"""The console's list of the catalogue's aids: one row per aid with its family, status,
confidence, last check and whether it is « à revérifier » (catalog/freshness.py) or withdrawn
from the recommendations until verified again (with the reason; it is then not « à
revérifier »), or has an edit waiting to be written into the files; filtered and sorted (stale
ones first by default)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from catalog.freshness import date_text, is_due, withdrawal
from catalog.labels import AID_STATUS_LABELS, CONFIDENCE_LABELS, FAMILY_LABELS


@dataclass(frozen=True)
class AidRow:
    """One line of the console's catalogue list."""

    id: str
    name: str
    family: str
    status: str
    confidence: str
    last_checked: date | None
    stale: bool
    territories: tuple[str, ...]
    origin: str
    pending: bool
    # Withdrawn from the recommendations: « depuis le 02/12/2026 : <reason> », else None.
    withdrawn: str | None = None

    @property
    def family_label(self) -> str:
        return FAMILY_LABELS.get(self.family, self.family)

    @property
    def status_label(self) -> str:
        return AID_STATUS_LABELS.get(self.status, self.status)

    @property
    def confidence_label(self) -> str:
        return CONFIDENCE_LABELS.get(self.confidence, self.confidence)


SORTS = {
    "verification": "date de vérification (à revérifier d'abord)",
    "nom": "nom",
    "famille": "famille",
}


def overview(
    aids: Iterable[Mapping[str, Any]],
    today: date,
    pending: frozenset[str] | set[str] = frozenset(),
    sort: str = "verification",
    family: str | None = None,
    only_stale: bool = False,
) -> list[AidRow]:
    """The aids as the console lists them, filtered and sorted (default: stale ones first,
    never checked before the oldest check)."""
    rows = []
    for aid in aids:
        if family and aid.get("family") != family:
            continue
        stale = is_due(aid, today)  # a withdrawn aid is listed as such, not as stale
        if only_stale and not stale:
            continue
        scope = aid.get("scope") or {}
        withdrawn = withdrawal(aid)
        rows.append(
            AidRow(
                aid["id"],
                aid["name"],
                aid.get("family") or "",
                aid["status"],
                aid["confidence"],
                aid.get("last_checked"),
                stale,
                tuple(scope.get("territories") or ()),
                aid.get("origin") or "catalogue",
                aid["id"] in pending,
                f"depuis le {date_text(withdrawn['since'])} : {withdrawn['reason']}"
                if withdrawn
                else None,
            )
        )
    if sort == "nom":
        rows.sort(key=lambda r: (r.name.casefold(), r.id))
    elif sort == "famille":
        rows.sort(
            key=lambda r: (
                list(FAMILY_LABELS).index(r.family) if r.family in FAMILY_LABELS else 99,
                r.name.casefold(),
            )
        )
    else:
        rows.sort(
            key=lambda r: (
                not r.stale,
                r.last_checked is not None,
                r.last_checked or date.min,
                r.name.casefold(),
            )
        )
    return rows
