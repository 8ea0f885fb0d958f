"""Definitions of terms and aids, from glossary.yml and the aid summaries (an aid withdrawn
until verified again is defined with that warning and without its amount)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import yaml
from rapidfuzz import fuzz, process

from catalog.amounts import text_on
from catalog.engine import Catalog
from catalog.files import DATA_DIR
from catalog.freshness import date_text, withdrawal
from catalog.labels import wording
from catalog.profile import normalize

MIN_SCORE = 85
ARTICLE = (
    "c est quoi ",
    "qu est ce que ",
    "que veut dire ",
    "c quoi ",
    "definition ",
    "l ",
    "le ",
    "la ",
    "les ",
    "un ",
    "une ",
    "d ",
    "du ",
    "des ",
)


@dataclass(frozen=True)
class Entry:
    term: str
    definition: str
    url: str | None
    amount: str | None = None  # for an aid of the catalogue


@lru_cache(maxsize=1)
def _glossary() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = yaml.safe_load(
        (DATA_DIR / "glossary.yml").read_text(encoding="utf-8")
    )
    return entries


def _clean(text: str) -> str:
    key = normalize(text)
    changed = True
    while changed:
        changed = False
        for prefix in ARTICLE:
            if key.startswith(prefix):
                key, changed = key[len(prefix) :], True
    return key


@lru_cache(maxsize=4)
def _choices(catalog: Catalog) -> dict[str, Entry]:
    """Every name a definition can be asked by → its entry (glossary first, then the aids)."""
    choices: dict[str, Entry] = {}
    for item in _glossary():
        entry = Entry(item["term"], item["definition"], item.get("url"))
        for name in [item["term"], *item.get("aliases", [])]:
            choices.setdefault(_clean(name), entry)
    for aid in catalog.files.aids:
        if withdrawal(aid):
            # Facts no official source confirms today: said to be so, no amount given.
            note = wording()["notes"]["withdrawn"].format(date=date_text(aid.get("last_checked")))
            entry = Entry(aid["name"], f"{aid['summary'].strip()}\n{note}", aid["url"])
        else:
            entry = Entry(
                aid["name"],
                aid["summary"].strip(),
                aid["url"],
                text_on(aid.get("amount"), date.today()),
            )
        choices.setdefault(_clean(aid["name"]), entry)
        choices.setdefault(_clean(aid["id"].replace("-", " ")), entry)
    return choices


def define(catalog: Catalog, term: str) -> Entry | None:
    key = _clean(term)
    if not key:
        return None
    choices = _choices(catalog)
    if key in choices:
        return choices[key]
    # A term inside a longer question: « c'est quoi exactement l'ACRE pour moi ? »
    words = f" {key} "
    for name in sorted(choices, key=len, reverse=True):
        if len(name) >= 3 and f" {name} " in words:
            return choices[name]
    best = process.extractOne(key, list(choices), scorer=fuzz.ratio)
    return choices[best[0]] if best and best[1] >= MIN_SCORE else None
