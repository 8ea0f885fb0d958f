"""Canonical profile values for entity texts the NLU did not map (« épicerie à » → commerce).

Uses the synonyms of the NLU training data (data/nlu/synonyms.yml), the single list of the
words users write for each contract value.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from catalog.profile import ENUMS, normalize

SYNONYMS_FILE = Path(__file__).resolve().parent.parent / "data" / "nlu" / "synonyms.yml"


@lru_cache(maxsize=1)
def _synonyms() -> dict[str, str]:
    """normalized text → canonical value."""
    table: dict[str, str] = {}
    data = (
        yaml.safe_load(SYNONYMS_FILE.read_text(encoding="utf-8")) if SYNONYMS_FILE.exists() else {}
    )
    for block in (data or {}).get("nlu", []):
        if "synonym" not in block:
            continue
        value = str(block["synonym"])
        for line in str(block.get("examples", "")).splitlines():
            text = normalize(line.strip().removeprefix("- "))
            if text:
                table.setdefault(text, value)
    return table


def canonical(field: str, text: object) -> str | None:
    """The value of `field` that `text` means, or None."""
    allowed = ENUMS[field]
    if text in allowed:
        return str(text)
    key = normalize(str(text or ""))
    if not key:
        return None
    if key.replace(" ", "_") in allowed:
        return key.replace(" ", "_")
    table = _synonyms()
    if table.get(key) in allowed:
        return table[key]
    # The longest known phrase inside the text: « épicerie à » → « epicerie ».
    words = f" {key} "
    phrases = dict(table)
    phrases.update({value.replace("_", " "): value for value in allowed})
    for phrase in sorted(phrases, key=len, reverse=True):
        if phrases[phrase] in allowed and f" {phrase} " in words:
            return phrases[phrase]
    return None
