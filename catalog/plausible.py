"""What an unsaid fact most probably is, given the rest of the profile (« plausible values »).

A business at the idea or creation stage employs nobody yet, or a handful of people: fewer than
ten employees (a very small business, TPE) are the only plausible headcount. Asking a creator
« how many employees? » is odd, and no plausible answer can take away an aid reserved for
small businesses. Two uses, both documented in docs/simulation.md:

- deciding whether a question is worth asking (catalog/questions.py) tries only the plausible
  values of the field, not every threshold of the catalogue;
- ranking (catalog/rules.py, `assume_likely`): a condition that every plausible value meets
  counts as likely met, like a `likely` check, so the aid is ranked close to a certain one. It
  stays « à vérifier » with that condition: a presumption never makes an aid certain.

The person's own answer always wins: a field the profile knows is never presumed, and the
field stays askable after the results (« Pour affiner »).
"""

from __future__ import annotations

from typing import Any

from catalog.profile import Profile

# field -> {value of the deciding field -> the plausible values}; `stade` decides `effectif`.
SMALL_TEAM = tuple(range(10))
PLAUSIBLE: dict[str, tuple[str, dict[str, tuple[Any, ...]]]] = {
    "effectif": ("stade", {"idee": SMALL_TEAM, "creation": SMALL_TEAM}),
    "indemnise_are": ("statut", {"rsa": (False,)}),
}


def plausible_values(profile: Profile, field: str) -> tuple[Any, ...] | None:
    """The values `field` can plausibly take for this profile while unknown, or None when any
    value is plausible (or the field is known)."""
    if profile.known(field) or field not in PLAUSIBLE:
        return None
    decider, by_value = PLAUSIBLE[field]
    return by_value.get(str(profile.get(decider) or ""))
