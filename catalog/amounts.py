"""Dated amounts of an aid: which value is in force on a day, and how to say it in French.

An aid's `amount` may carry `values`, a list of dated values in the manner of OpenFisca
parameters: each value starts on a date (`since`) and cites the text that set it
(`reference: {title, url}`). The value in force on a day is the one with the latest start on or
before that day; its wording ends with « en vigueur depuis le … ». Without `values`, or before
the first start, the plain `amount.text`, `min` and `max` apply (see data/README.md).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from catalog.problems import Problem

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
VALUE_KEYS = {"since", "min", "max", "text", "reference"}
REFERENCE_KEYS = {"title", "url"}


def values(amount: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The dated values, oldest first."""
    dated = [v for v in (amount or {}).get("values") or [] if isinstance(v, dict)]
    return sorted(dated, key=lambda v: v.get("since") or date.min)


def in_force(amount: dict[str, Any] | None, day: date) -> dict[str, Any] | None:
    """The dated value in force on `day`, or None (no dated values, or all start later)."""
    current = None
    for value in values(amount):
        start = value.get("since")
        if isinstance(start, date) and start <= day:
            current = value
    return current


def effective(amount: dict[str, Any] | None, day: date) -> dict[str, Any]:
    """`{text, min, max, since, reference}` as they stand on `day`."""
    amount = amount or {}
    value = in_force(amount, day)
    if value is None:
        return {
            "text": amount.get("text"),
            "min": amount.get("min"),
            "max": amount.get("max"),
            "since": None,
            "reference": None,
        }
    return {
        "text": wording(value),
        "min": value.get("min"),
        "max": value.get("max"),
        "since": value["since"],
        "reference": value.get("reference"),
    }


def text_on(amount: dict[str, Any] | None, day: date) -> str | None:
    """What users read about the amount on `day`."""
    text = effective(amount, day)["text"]
    return str(text) if text is not None else None


def wording(value: dict[str, Any]) -> str:
    """« 17 000 € maximum, en vigueur depuis le 6 décembre 2024 »."""
    text = value.get("text") or _range(value.get("min"), value.get("max"))
    return f"{text.rstrip('. ')}, en vigueur depuis le {french_date(value['since'])}"


def _range(low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f"De {euros(low)} à {euros(high)}"
    if high is not None:
        return f"{euros(high)} maximum"
    return f"{euros(low)} minimum"


def euros(number: float) -> str:
    """12000 → « 12 000 € » (narrow no-break space between thousands)."""
    whole = int(number) if float(number).is_integer() else number
    if isinstance(whole, int):
        return f"{whole:,}".replace(",", "\u202f") + " €"
    return f"{whole:,.2f}".replace(",", "\u202f").replace(".", ",") + " €"


def french_date(day: date) -> str:
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {MONTHS[day.month - 1]} {day.year}"


def check(amount: Any, where: str) -> list[Problem]:
    """The problems of `amount.values` (empty when it is absent or well formed)."""
    if not isinstance(amount, dict) or amount.get("values") is None:
        return []
    dated = amount["values"]
    if not isinstance(dated, list) or not dated:
        return [Problem(where, "amount.values", "doit être une liste non vide de valeurs datées")]
    errors: list[Problem] = []
    starts: list[date] = []
    for index, value in enumerate(dated):
        at = f"amount.values[{index}]"
        if not isinstance(value, dict):
            errors.append(Problem(where, at, "doit être un objet {since, max, reference…}"))
            continue
        extra = set(value) - VALUE_KEYS
        if extra:
            errors.append(Problem(where, at, f"clés inconnues : {', '.join(sorted(extra))}"))
        start = value.get("since")
        if not isinstance(start, date):
            errors.append(
                Problem(where, f"{at}.since", f"doit être une date AAAA-MM-JJ : {start!r}")
            )
        else:
            starts.append(start)
        for key in ("min", "max"):
            number = value.get(key)
            if number is not None and (
                isinstance(number, bool) or not isinstance(number, (int, float)) or number < 0
            ):
                errors.append(Problem(where, f"{at}.{key}", "doit être un nombre positif ou null"))
        low, high = value.get("min"), value.get("max")
        if isinstance(low, (int, float)) and isinstance(high, (int, float)) and low > high:
            errors.append(Problem(where, f"{at}.min", "min est supérieur à max"))
        if low is None and high is None and not value.get("text"):
            errors.append(Problem(where, at, "il faut un montant (min ou max) ou un texte"))
        reference = value.get("reference")
        if not isinstance(reference, dict) or not reference.get("title"):
            errors.append(
                Problem(
                    where,
                    f"{at}.reference",
                    "doit donner au moins un titre (texte ou page source)",
                )
            )
        else:
            if set(reference) - REFERENCE_KEYS:
                message = "n'accepte que les clés title et url"
                errors.append(Problem(where, f"{at}.reference", message))
            url = reference.get("url")
            if url is not None and (not isinstance(url, str) or not url.startswith("http")):
                errors.append(
                    Problem(where, f"{at}.reference.url", f"n'est pas une URL http(s) : {url!r}")
                )
    if len(set(starts)) != len(starts):
        errors.append(Problem(where, "amount.values", "deux valeurs à la même date"))
    return errors


def to_json(amount: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    """The dated values as stored in the database (dates as ISO strings)."""
    dated = (amount or {}).get("values")
    if not dated:
        return None
    return [
        {**v, "since": v["since"].isoformat() if isinstance(v.get("since"), date) else None}
        for v in dated
    ]


def from_json(stored: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """The dated values read back from the database (ISO strings to dates)."""
    if not stored:
        return None
    return [
        {**v, "since": date.fromisoformat(v["since"]) if v.get("since") else None} for v in stored
    ]
