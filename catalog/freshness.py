"""How fresh a checked fact is: a fact last checked more than six months ago (or never) is
« à revérifier ». The console's catalogue list and the upkeep commands use this one rule."""

from __future__ import annotations

from datetime import date

STALE_MONTHS = 6


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
