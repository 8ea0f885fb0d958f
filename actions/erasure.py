"""The erase action's side of an erasure request (« supprimer mes données », the widget's bin,
Telegram's /supprimer).

The action records the request and erases what the catalogue database holds of the person
(catalog/erasure.py). Its confirmation carries the erase marker, a custom payload
`{"data": {"effacement": …}}`:
- Rasa's tracker store (rasa_extensions/tracker_store.py) deletes the conversation when it
  saves this turn, under Rasa's lock for the sender, and writes nothing back;
- the widget clears the history it keeps in the browser, the Telegram bridge forgets the
  chat's buttons and waiting messages.
The person is told what was done: everything; everything but a part that `qp purge` will
finish (the request is recorded); or nothing, when even the request could not be recorded
(then no marker: the conversation stays, so that the person can ask again).
"""

from __future__ import annotations

import time
from typing import Any

from catalog.dialogue import message
from catalog.erasure import ERASE_MARKER, Outcome, request_erasure
from catalog.leads import database

DONE, PARTLY = "fait", "en_partie"


def requested_at(events: list[dict[str, Any]]) -> float:
    """Rasa's timestamp of the request message (the latest user message)."""
    for event in reversed(events):
        if event.get("event") == "user" and isinstance(event.get("timestamp"), (int, float)):
            return float(event["timestamp"])
    return time.time()


def erase(sender_id: str, events: list[dict[str, Any]]) -> Outcome:
    return request_erasure(database(), sender_id, requested_at(events))


def confirmation(outcome: Outcome) -> dict[str, Any]:
    """The message telling the truth, with the erase marker when the request is recorded."""
    if not outcome.recorded:
        return {"text": message("effacement_impossible")}
    state = DONE if outcome.erased else PARTLY
    key = "donnees_supprimees" if outcome.erased else "donnees_supprimees_en_partie"
    return {"text": message(key), "json_message": {"data": {ERASE_MARKER: state}}}
