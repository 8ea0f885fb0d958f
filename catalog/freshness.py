"""How fresh a checked fact is: a fact last checked more than six months ago (or never) is
« à revérifier ». The console's catalogue list, the upkeep commands, the answers and
`qp catalog stale` use this one rule; this module also lists the stale facts, oldest first, and
words their age in French. An aid whose facts no official source could confirm is
`withdrawn` (since a date, with the reason): it is not recommended until a check later than
its withdrawal. While withdrawn, none of its facts is shown as current (it is left out of the
answers, and defined only with a warning), so it is not a stale fact to check again: it is
listed apart, as withdrawn (`withdrawn_aids`), and its old `last_checked` is kept, never
replaced by a date no source backs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from catalog.files import CatalogFiles

STALE_MONTHS = 6
AID, CONTACT = "aide", "contact"


def stale_before(today: date, months: int = STALE_MONTHS) -> date:
    """The date `months` calendar months before today (the day clamped to the month's end)."""
    month_index = today.year * 12 + today.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for day in range(today.day, 0, -1):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def is_stale(last_checked: date | None, today: date) -> bool:
    """« À revérifier »: never checked, or last checked more than six months ago."""
    return last_checked is None or last_checked < stale_before(today)


def is_due(record: Mapping[str, Any], today: date, kind: str = AID) -> bool:
    """A fact to check again on `today`: stale, unless it is an aid withdrawn from the
    recommendations (nothing of it is shown as current, see `withdrawal`)."""
    if kind == AID and withdrawal(record) is not None:
        return False
    return is_stale(record.get("last_checked"), today)


def withdrawal(aid: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The aid's withdrawal ({since, reason}) while it holds, else None: it holds until the
    aid is checked again after the withdrawal (`last_checked` later than `since`)."""
    withdrawn = aid.get("withdrawn")
    if not withdrawn:
        return None
    checked = aid.get("last_checked")
    if checked is not None and checked > withdrawn["since"]:
        return None
    return withdrawn  # type: ignore[no-any-return]


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
    """The aids and contacts to check again on `today`: never checked first, then oldest.
    Withdrawn aids are not among them (`is_due`; `withdrawn_aids` lists them)."""
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
        if is_due(record, today, kind)
    ]


def withdrawn_aids(aids: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The aids withdrawn from the recommendations, by id: what `qp catalog stale` and the
    console list apart from the stale facts."""
    return sorted((a for a in aids if withdrawal(a)), key=lambda a: str(a["id"]))


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
