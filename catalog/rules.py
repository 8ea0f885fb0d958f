"""Three-valued evaluation of eligibility rules written as data (see data/README.md).

A rule is a tree: `all`, `any`, `not`, or a leaf `{field, <operator>: value}`. A leaf on an
unknown field is unknown (None); inner nodes follow Kleene logic. The evaluation also returns
the reasons of the leaves that passed and the unknown leaves, so the engine can explain.

A leaf `{check: "sentence"}` is a condition no profile field can decide (a scholarship, a
disability, a high value-added service…): it is always unknown, so the aid is « à vérifier »
with that sentence rather than silently kept or dropped. `likely: true` marks a check most
people who meet the rest of the branch also meet (an exception, such as « not the AAH
alone »): the engine then ranks the aid close to a certain one. A leaf on an unknown field
that every plausible value of that field meets (catalog/plausible.py: a creator's headcount)
counts the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from catalog.plausible import plausible_values
from catalog.profile import Profile

OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda actual, expected: actual == expected,
    "in": lambda actual, expected: actual in expected,
    "not_in": lambda actual, expected: actual not in expected,
    "lt": lambda actual, expected: actual < expected,
    "lte": lambda actual, expected: actual <= expected,
    "gt": lambda actual, expected: actual > expected,
    "gte": lambda actual, expected: actual >= expected,
    "contains": lambda actual, expected: expected in actual,
}
INNER = ("all", "any", "not")
CHECK = "check"


@dataclass
class Outcome:
    """Result of a rule: value is True, False or None (unknown)."""

    value: bool | None
    passed: list[dict[str, Any]] = field(default_factory=list)  # leaves that passed (for reasons)
    unknown: list[dict[str, Any]] = field(default_factory=list)  # leaves on unknown fields


def evaluate(rule: dict[str, Any] | None, profile: Profile, assume_likely: bool = False) -> Outcome:
    """The rule's value on the profile. With `assume_likely`, a check marked `likely: true`
    counts as met, and so does a leaf on an unknown field that all its plausible values meet
    (the engine asks: is only such a detail left to confirm?)."""
    if not rule:
        return Outcome(True)
    if "all" in rule:
        children = [evaluate(child, profile, assume_likely) for child in rule["all"]]
        return _combine(children, conjunction=True)
    if "any" in rule:
        children = [evaluate(child, profile, assume_likely) for child in rule["any"]]
        return _combine(children, conjunction=False)
    if "not" in rule:
        inner = evaluate(rule["not"], profile, assume_likely)
        value = None if inner.value is None else not inner.value
        # Reasons of a negated subtree would read backwards: keep only unknowns.
        return Outcome(value, [], inner.unknown)
    return _leaf(rule, profile, assume_likely)


def _leaf(rule: dict[str, Any], profile: Profile, assume_likely: bool = False) -> Outcome:
    if is_check(rule):
        if assume_likely and rule.get("likely") is True:
            return Outcome(True)
        return Outcome(None, [], [rule])
    name = rule["field"]
    operator = leaf_operator(rule)
    if not profile.known(name):
        if assume_likely and presumed(rule, profile):
            return Outcome(True)
        return Outcome(None, [], [rule])
    result = _holds(operator, profile.get(name), rule[operator])
    return Outcome(result, [rule] if result else [], [])


def presumed(rule: dict[str, Any], profile: Profile) -> bool:
    """A leaf on an unknown field that every plausible value of the field meets."""
    if is_check(rule) or profile.known(rule["field"]):
        return False
    plausible = plausible_values(profile, rule["field"])
    if not plausible:
        return False
    operator = leaf_operator(rule)
    return all(_holds(operator, value, rule[operator]) for value in plausible)


def _holds(operator: str, actual: Any, expected: Any) -> bool:
    try:
        return OPERATORS[operator](actual, expected)
    except TypeError:
        return False


def _combine(children: list[Outcome], conjunction: bool) -> Outcome:
    decisive = not conjunction
    if any(child.value is decisive for child in children):
        # Decided: for `any`, keep the reasons of the branches that passed only.
        passed = [leaf for child in children if child.value is True for leaf in child.passed]
        return Outcome(decisive, passed if decisive or conjunction else [], [])
    passed = [leaf for child in children for leaf in child.passed]
    unknown = [leaf for child in children if child.value is None for leaf in child.unknown]
    if unknown:
        return Outcome(None, passed, unknown)
    return Outcome(not decisive, passed, [])


def is_check(rule: dict[str, Any]) -> bool:
    """A leaf that no profile field decides (always unknown)."""
    return CHECK in rule


def leaf_operator(rule: dict[str, Any]) -> str:
    operators = [key for key in rule if key in OPERATORS]
    if len(operators) != 1:
        raise ValueError(f"a rule leaf needs exactly one operator: {rule!r}")
    return operators[0]


def fields_of(rule: dict[str, Any] | None) -> set[str]:
    """Every profile field a rule reads."""
    if not rule:
        return set()
    if "all" in rule or "any" in rule:
        return set().union(
            *(fields_of(child) for child in rule.get("all") or rule.get("any") or [])
        )
    if "not" in rule:
        return fields_of(rule["not"])
    if is_check(rule):
        return set()
    return {rule["field"]}
