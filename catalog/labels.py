"""French display labels of the domain values (aid families, statuses and confidence levels,
the contract's intents and entities, the contact requests' statuses and channels), read from
the one labels file, catalog/data/labels.yml, which also words the profile for the engine.
The console and the catalogue's upkeep show these; the stored values stay the domain's."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

LABELS_FILE = Path(__file__).resolve().parent / "data" / "labels.yml"


@lru_cache(maxsize=1)
def wording() -> dict[str, Any]:
    """The whole labels file: the profile's wording for the engine (`fields`, `values`,
    `reasons`, `notes`) and the display labels below."""
    content = yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8"))
    return content if isinstance(content, dict) else {}


def _section(content: dict[str, Any], name: str) -> dict[str, str]:
    """One section of value → label, in the file's order."""
    return {str(key): str(label) for key, label in (content.get(name) or {}).items()}


_CONTENT = wording()
FAMILY_LABELS: dict[str, str] = _section(_CONTENT, "families")
AID_STATUS_LABELS: dict[str, str] = _section(_CONTENT, "aid_statuses")
CONFIDENCE_LABELS: dict[str, str] = _section(_CONTENT, "confidences")
INTENT_LABELS: dict[str, str] = _section(_CONTENT, "intents")
ENTITY_LABELS: dict[str, str] = _section(_CONTENT, "entities")
LEAD_STATUS_LABELS: dict[str, str] = _section(_CONTENT, "lead_statuses")
LEAD_CHANNEL_LABELS: dict[str, str] = _section(_CONTENT, "lead_channels")
del _CONTENT
