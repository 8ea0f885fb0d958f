"""The recap: everything the assistant understood of the profile, in one line of plain French.

« création · commerce · demandeur d'emploi · Roubaix · besoin : financement · 24 ans · vous
habitez en quartier prioritaire (QPV) ». Every known field is said (the territory only through
the commune), so the person can check it and correct any value in one message. The wording is
in catalog/data/dialogue.yml (`recap`) and the value labels in catalog/data/labels.yml.
"""

from __future__ import annotations

from typing import Any

from catalog.amounts import euros
from catalog.dialogue import recap_wording
from catalog.labels import wording as labels

# The order of the recap: what the person usually says first, then the details.
ORDER = (
    "stade",
    "secteur",
    "statut",
    "commune",
    "besoins",
    "age",
    "anciennete_annees",
    "effectif",
    "montant",
    "habite_qpv",
    "implante_qpv",
    "indemnise_are",
    "femme",
    "franchise",
)


def recap(values: dict[str, Any]) -> str:
    """The known values of `values` (profile fields; others ignored), joined by « · »."""
    parts = [_part(name, values.get(name)) for name in ORDER]
    return " · ".join(part for part in parts if part)


def _part(name: str, value: Any) -> str | None:
    if value is None or value == [] or value == "":
        return None
    words = recap_wording()
    if name == "commune":
        return str(value)
    if name in ("stade", "secteur", "statut"):
        return str(labels()["values"][name].get(value, value))
    if name == "besoins":
        names = labels()["values"]["besoins"]
        shown = value if isinstance(value, list) else [value]
        return str(words["besoins"]).format(besoins=", ".join(names.get(v, v) for v in shown))
    if isinstance(value, bool):
        return str(words[name][value])
    number = _number(value)
    if number is None:
        return None
    if name == "montant":
        return str(words["montant"]).format(montant=euros(number))
    if name == "anciennete_annees" and number < 1:
        return str(words["anciennete_moins_d_un_an"])
    if number == 1 or (name == "effectif" and number == 0):
        return str(words[name]["un" if number == 1 else "zero"])
    shown_number = int(number) if float(number).is_integer() else str(number).replace(".", ",")
    return str(words[name]["plusieurs"]).format(n=shown_number)


def _number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        return float(str(value).replace(",", "."))
    except ValueError:
        return None
