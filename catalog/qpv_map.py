"""Checks of a territory's QPV map (qpv_map.yml): official code form, communes, official count.

A QPV of the 2024 list (décret n° 2023-1314) or of the 2025 overseas list has a code « QN »
+ department on 3 characters (« 059 », « 02A », « 974 ») + a 2-digit order number + a letter
M, N or I. Each territory records how many QPV it has and where that number was checked; a
list of another length is rejected, so a QPV cannot be lost or added silently.
"""

from __future__ import annotations

import re
from typing import Any, TypeGuard

from catalog.problems import Problem

# Departments: 001–095, 02A, 02B, 971–976, 978 (Saint-Martin), 987 (Polynésie française).
CODE = re.compile(r"^QN(?:0(?:0[1-9]|[1-8]\d|9[0-5])|02[AB]|97[1-68]|987)\d{2}[MNI]$")
INSEE = re.compile(r"^\d[\dAB]\d{3}$")
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def valid_code(code: Any) -> TypeGuard[str]:
    return isinstance(code, str) and bool(CODE.match(code))


def check_territory_qpv(territory: dict[str, Any], where: str) -> list[Problem]:
    """The errors of one territory's QPV map, in French; empty when it is right."""
    errors: list[Problem] = []
    communes = {c.get("insee") for c in territory.get("communes") or []}
    qpvs = territory.get("qpv")
    official = territory.get("qpv_official")
    if not isinstance(official, dict):
        return [Problem(where, "", "carte des QPV absente (qpv_map.yml) ou sans nombre officiel")]
    count = official.get("official_count")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        errors.append(Problem(where, "official_count", f"doit être un entier positif : {count!r}"))
    if not URL.match(str(official.get("count_source") or "")):
        errors.append(
            Problem(where, "count_source", f"doit être une URL : {official.get('count_source')!r}")
        )
    if not DATE.match(str(official.get("checked") or "")):
        errors.append(Problem(where, "checked", "doit être une date AAAA-MM-JJ"))
    if not isinstance(qpvs, list):
        return [*errors, Problem(where, "qpv", "doit être une liste")]
    seen: set[str] = set()
    for index, qpv in enumerate(qpvs):
        if not isinstance(qpv, dict):
            errors.append(Problem(where, f"qpv[{index}]", "doit être un objet"))
            continue
        code = str(qpv.get("code")) if qpv.get("code") is not None else None
        qwhere = f"{where} QPV {code or qpv.get('name')!r}"
        at = f"qpv[{index}]"
        if code is None or not valid_code(code):
            errors.append(
                Problem(
                    qwhere,
                    f"{at}.code",
                    f"code QPV invalide {code!r} (attendu QN + département sur 3 "
                    "caractères + numéro sur 2 chiffres + M, N ou I, ex. QN05301M)",
                )
            )
        elif code in seen:
            errors.append(Problem(qwhere, f"{at}.code", "QPV en double"))
        else:
            seen.add(code)
            if code[2:5] not in _departments(qpv.get("communes")):
                errors.append(
                    Problem(
                        qwhere,
                        f"{at}.code",
                        "le code ne correspond pas au département des communes",
                    )
                )
        if not str(qpv.get("name") or "").strip():
            errors.append(Problem(qwhere, f"{at}.name", "nom manquant"))
        listed = qpv.get("communes")
        if not isinstance(listed, list) or not listed:
            errors.append(Problem(qwhere, f"{at}.communes", "communes manquantes"))
            continue
        bad = [c for c in listed if not INSEE.match(str(c))]
        if bad:
            errors.append(Problem(qwhere, f"{at}.communes", f"code INSEE invalide {bad[0]!r}"))
        if not communes & set(listed):
            errors.append(
                Problem(qwhere, f"{at}.communes", "aucune de ses communes n'est dans le territoire")
            )
    if isinstance(count, int) and len(qpvs) != count:
        errors.append(
            Problem(
                where,
                "",
                f"{len(qpvs)} QPV listés, {count} selon le nombre officiel "
                f"({official.get('count_source')})",
            )
        )
    return errors


def _departments(communes: Any) -> set[str]:
    """The departments of a QPV's communes, on 3 characters as in its code."""
    if not isinstance(communes, list):
        return set()
    return {c[:3] if c[:2] in ("97", "98") else "0" + c[:2] for c in map(str, communes)}
