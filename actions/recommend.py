"""Present the recommendation: the best aids, then the local contacts, the questions that
could still change the first aids (« Pour affiner », actions/refine.py), then what next.

« Voir d'autres aides » (the payload /chercher_aides right after a recommendation) shows the
next aids of the same ranking instead of the same ones again.
"""

from __future__ import annotations

import json

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import contacts
from actions.contacts import utter_contacts
from actions.refine import refine_offer
from actions.slots import catalog, profile_from_slots
from catalog.dialogue import buttons, message
from catalog.engine import AidMatch, recommend

SHOWN_AIDS = 5
SHOWN_CHECKS = 3
MORE_PAYLOAD = "/chercher_aides"


def _details_button(match: AidMatch) -> dict[str, str]:
    payload = "/demander_definition" + json.dumps({"aide": match.aid["id"]}, separators=(",", ":"))
    return {"title": message("details"), "payload": payload}


class ActionRecommander(Action):
    def name(self) -> str:
        return "action_recommander"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        day = contacts.today()  # the real date, read here at the edge
        result = recommend(catalog(), profile_from_slots(tracker.slots), day)
        already = list(tracker.get_slot("aides_recommandees") or [])
        asked_more = ((tracker.latest_message or {}).get("text") or "").strip() == MORE_PAYLOAD
        if asked_more and already:
            remaining = [m for m in result.aids if m.aid["id"] not in already]
            shown = remaining[:SHOWN_AIDS]
            dispatcher.utter_message(text=message("voir_plus_intro" if shown else "plus_d_aides"))
        else:
            already, remaining = [], result.aids
            shown = remaining[:SHOWN_AIDS]
            dispatcher.utter_message(text=message("aides_intro" if shown else "aucune_aide"))
        for rank, match in enumerate(shown, start=len(already) + 1):
            amount = match.amount_text or "—"
            checks = match.to_check[:SHOWN_CHECKS]
            text = message(
                "aide",
                rang=rank,
                nom=match.aid["name"],
                montant=amount,
                raisons="; ".join(match.reasons) or message("aide_sans_raison"),
                a_verifier=" ".join(checks) or message("rien_a_verifier"),
                lien=match.aid["url"],
            )
            if match.stale_note:  # facts older than six months: always said, never cut
                text += "\n" + match.stale_note
            dispatcher.utter_message(text=text, buttons=[_details_button(match)])
        utter_contacts(dispatcher, result.contacts, day)
        skipped = set(tracker.get_slot("champs_ignores") or [])
        offer = refine_offer(catalog(), profile_from_slots(tracker.slots), skipped, day)
        if offer:
            dispatcher.utter_message(text=offer[0], buttons=offer[1])
        follow_ups = buttons("suite")
        if len(remaining) > len(shown):
            follow_ups = [{"title": message("voir_plus"), "payload": MORE_PAYLOAD}, *follow_ups]
        dispatcher.utter_message(text=message("suite"), buttons=follow_ups)
        return [SlotSet("aides_recommandees", already + [m.aid["id"] for m in shown])]
