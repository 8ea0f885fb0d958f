"""« Pour affiner » : the questions left after the first results, offered as buttons.

Results come first (actions/profile_form.py stops after `QP_MAX_QUESTIONS` questions). The
questions whose answer could still change the first aids shown (catalog/questions.py) are then
offered as buttons, one per question. A button sends `/chercher_aides{"champ": "<field>"}`:
the form asks that question, then the updated results are shown. `champ` is not an NLU entity
(Rasa keeps only the domain's entities, and warns about it): the field is read back from the
payload text.
"""

from __future__ import annotations

import json
import re
from datetime import date

from rasa_sdk import Tracker

from catalog.dialogue import message, refine_label
from catalog.engine import Catalog
from catalog.profile import FIELDS, Profile
from catalog.questions import questions_that_matter

REFINE_INTENT = "/chercher_aides"
REFINE_KEY = "champ"
PAYLOAD = re.compile(r"^/chercher_aides(\{.*\})$")


def refine_payload(field: str) -> str:
    return REFINE_INTENT + json.dumps({REFINE_KEY: field}, separators=(",", ":"))


def refine_request(tracker: Tracker) -> str | None:
    """The field a « Pour affiner » button asked for in the latest message, if any."""
    text = ((tracker.latest_message or {}).get("text") or "").strip()
    match = PAYLOAD.match(text)
    if not match:
        return None
    try:
        data = json.loads(match.group(1))
    except ValueError:
        return None
    field = data.get(REFINE_KEY) if isinstance(data, dict) else None
    return field if isinstance(field, str) and field in FIELDS else None


def refine_offer(
    catalog: Catalog, profile: Profile, skipped: set[str], today: date
) -> tuple[str, list[dict[str, str]]] | None:
    """The « Pour affiner » message and its buttons, or None when no question is left whose
    answer would change the first aids."""
    # Every question some answer could settle, presumed values included (catalog/plausible.py:
    # a creator may still say how many people they will hire).
    matter = questions_that_matter(catalog, profile, today, plausible_only=False)
    left = [f for f in matter if f not in skipped]
    if not left:
        return None
    return message("affiner"), [
        {"title": refine_label(field), "payload": refine_payload(field)} for field in left
    ]
