"""The recap: everything the assistant understood of the profile, in one line of plain French.

« création · commerce · demandeur d'emploi · Roubaix · besoin : financement · 24 ans ·
domicile en quartier prioritaire ». Every known field is said (the territory only through the
commune, the postal code not at all), so the person can check it and correct any value in one
message. Wording: catalog/data/labels.yml (`values` for the codes, `recap` for the rest).
"""

from __future__ import annotations

from typing import Any

from catalog.labels import wording as labels

# What the person usually says first, then the figures, then the yes/no facts.
NAMED = ("stade", "secteur", "statut")
NUMBERS = ("age", "anciennete_annees", "effectif", "montant")
FACTS = ("habite_qpv", "implante_qpv", "indemnise_are", "femme", "franchise")


def recap(values: dict[str, Any]) -> str:
    """The known profile values of `values` (other keys ignored), joined by « · »."""
    wording = labels()
    parts = [
        str(wording["values"][name].get(values[name], values[name]))
        for name in NAMED
        if values.get(name)
    ]
    if values.get("commune"):
        parts.append(str(values["commune"]))
    needs = values.get("besoins")
    if needs:
        names = wording["values"]["besoins"]
        shown = needs if isinstance(needs, list) else [needs]
        parts.append("besoin : " + ", ".join(str(names.get(v, v)) for v in shown))
    said = wording["recap"]
    for name in NUMBERS:
        number = _number(values.get(name))
        if number is None:
            continue
        key = name
        if name == "anciennete_annees" and 0 < number < 1:
            key, number = "anciennete_mois", round(number * 12)
        elif name == "anciennete_annees" and number == 0:
            key = "anciennete_zero"
        elif name == "effectif" and number == 0:
            key = "effectif_zero"
        elif name in ("anciennete_annees", "effectif") and number == 1:
            key = f"{name}_un"
        parts.append(str(said[key]).format(n=french_number(number)))
    for name in FACTS:
        value = values.get(name)
        if isinstance(value, bool):
            parts.append(str(said[f"{name}_{'oui' if value else 'non'}"]))
    return " · ".join(parts)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def french_number(number: float) -> str:
    """« 10 000 », « 2,5 »: as a French reader writes it."""
    if number == int(number):
        return f"{int(number):,}".replace(",", "\u202f")
    return f"{number:.1f}".replace(".", ",")
