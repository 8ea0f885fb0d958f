"""Which questions are worth asking: those whose answer can change the first aids shown.

The engine ranks the unknown fields it could ask (`Recommendation.questions`, most useful
first). Many of them only reorder aids far down the list. A field is worth asking only when
some possible answer changes the set of aids shown first (the first `shown`): each value is
tried — every value of an enumeration, yes and no, each single need, and for a number the
values on each side of every threshold the catalogue's rules use for it — only those plausible
for the profile when some are (catalog/plausible.py: a creator's headcount is under ten). The
place is the exception: while the profile names no place, the commune is always worth asking,
because it decides the local contacts as well as the regional aids.

Two facts that both matter may be asked in one question (dialogue.yml, `questions_jointes`:
« is your business or your home in a QPV? »), see `asked_together`.

Answers are remembered per catalogue object and profile: the form asks for its questions
several times per turn (rasa-sdk's FormValidationAction calls `required_slots` to extract, to
validate and to pick the next question), each costing dozens of recommendations — three
quarters of the action server's time under load (`make profile`, issue 17). A catalogue is
never changed in place (a new revision is a new object, engine.open_catalog), so a
remembered answer stays right for as long as its catalogue lives.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from datetime import date
from typing import Any

from catalog.dialogue import joint_questions
from catalog.engine import Catalog, recommend
from catalog.plausible import plausible_values
from catalog.profile import ENUMS, FIELDS, Profile
from catalog.rules import is_check, leaf_operator

# How many aids the first answer shows (actions/recommend.py presents as many).
SHOWN = 5
# Fields decided by a place rather than by a value to try (see `matters`).
PLACE_FIELDS = ("commune", "code_postal")
NUMERIC_OPERATORS = ("eq", "lt", "lte", "gt", "gte")
# Asked before the needs when they matter: the stage and the place decide almost everything.
LEADING = ("stade", "commune")
# Remembered answers per catalogue; emptied when this many accumulate.
MEMO_SIZE = 4096
_memo: weakref.WeakKeyDictionary[Catalog, dict[tuple[Any, ...], list[str]]] = (
    weakref.WeakKeyDictionary()
)


def questions_that_matter(
    catalog: Catalog,
    profile: Profile,
    today: date | None = None,
    shown: int = SHOWN,
    plausible_only: bool = True,
) -> list[str]:
    """The engine's questions whose answer can change the first `shown` aids (or, for the
    place, the local contacts), in the engine's order, except the needs: right after the stage
    and the place. With `plausible_only` (before the first results), a field with plausible
    values is tried on those only; after the results, « Pour affiner » offers every question
    some answer could settle (`plausible_only=False`)."""
    today = today or date.today()
    remembered = _memo.setdefault(catalog, {})
    key = (_profile_key(profile), today, shown, plausible_only)
    if key not in remembered:
        if len(remembered) >= MEMO_SIZE:
            remembered.clear()
        remembered[key] = _questions_that_matter(catalog, profile, today, shown, plausible_only)
    return list(remembered[key])


def _profile_key(profile: Profile) -> tuple[Any, ...]:
    return tuple(
        (name, tuple(value) if isinstance(value, list) else value)
        for name, value in sorted(profile.values.items())
    )


def _questions_that_matter(
    catalog: Catalog, profile: Profile, today: date, shown: int, plausible_only: bool = True
) -> list[str]:
    result = recommend(catalog, profile, today)
    first = _top(result.aids, shown)
    kept = [
        name
        for name in result.questions
        if _matters(catalog, result.profile or profile, name, first, today, shown, plausible_only)
    ]
    if "besoins" in kept:
        # The needs do not decide eligibility, so the engine ranks them low; but while unknown
        # every aid's purpose counts as half met, and a digital or ecological aid can lead the
        # answer of someone who wants money for a shop. Asked right after the stage and the
        # place, they put the person's own project first.
        lead = [name for name in kept if name in LEADING]
        rest = [name for name in kept if name not in lead and name != "besoins"]
        kept = [*lead, "besoins", *rest]
    return kept


def asked_together(questions: list[str], field: str) -> tuple[str, ...]:
    """The facts the question on `field` asks at once: every fact of a joint question of
    dialogue.yml (both QPV facts: « your business or your home? ») when all of them are among
    `questions` (they all still matter), else `field` alone. One question instead of two: the
    person answers both in one click, and results come one question sooner."""
    for joint in joint_questions():
        if field in joint.fields and all(name in questions for name in joint.fields):
            return joint.fields
    return (field,)


def _matters(
    catalog: Catalog,
    profile: Profile,
    name: str,
    first: frozenset[str],
    today: date,
    shown: int,
    plausible_only: bool = True,
) -> bool:
    if name in PLACE_FIELDS:
        # No place yet: the commune decides the contacts. A postal code is asked only when
        # the commune is outside the pilots and its region unknown (the engine's rule): it
        # decides whether regional aids apply.
        return True
    for value in candidate_values(catalog, name, profile if plausible_only else None):
        changed = recommend(catalog, profile.with_values(**{name: value}), today)
        if _top(changed.aids, shown) != first:
            return True
    return False


def _top(matches: list[Any], shown: int) -> frozenset[str]:
    return frozenset(match.aid["id"] for match in matches[:shown])


def candidate_values(catalog: Catalog, name: str, profile: Profile | None = None) -> list[Any]:
    """The values tried for a field: enough to reach every branch of the catalogue's rules;
    for a `profile` with plausible values of the field, only those."""
    plausible = plausible_values(profile, name) if profile is not None else None
    if plausible:
        values = _candidates(catalog, name)
        return [value for value in values if value in plausible] or [min(plausible)]
    return _candidates(catalog, name)


def _candidates(catalog: Catalog, name: str) -> list[Any]:
    kind = FIELDS[name]
    if kind == "enum":
        return list(ENUMS[name])
    if kind == "enum_list":
        return [[value] for value in ENUMS[name]]
    if kind == "bool":
        return [True, False]
    if kind in ("int", "number"):
        values: set[float] = {0}
        for threshold in thresholds(catalog, name):
            values.update({threshold - 1, threshold, threshold + 1})
        return sorted(v if kind == "number" else int(v) for v in values if v >= 0)
    return []


def thresholds(catalog: Catalog, name: str) -> set[float]:
    """Every number a rule of the catalogue compares the field with."""
    found: set[float] = set()
    for aid in catalog.files.aids:
        for leaf in _leaves(aid.get("eligibility")):
            if leaf.get("field") != name:
                continue
            operator = leaf_operator(leaf)
            value = leaf[operator]
            if operator in NUMERIC_OPERATORS and isinstance(value, (int, float)):
                found.add(value)
    return found


def _leaves(rule: dict[str, Any] | None) -> Iterator[dict[str, Any]]:
    if not rule:
        return
    if "all" in rule or "any" in rule:
        for child in rule.get("all") or rule.get("any") or []:
            yield from _leaves(child)
    elif "not" in rule:
        yield from _leaves(rule["not"])
    elif not is_check(rule):
        yield rule
