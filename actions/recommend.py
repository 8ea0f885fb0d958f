"""Present the recommendation: the best aids, then the local contacts, then what next."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.contacts import utter_contacts
from actions.slots import catalog, profile_from_slots
from catalog.dialogue import buttons, message
from catalog.engine import recommend

SHOWN_AIDS = 5
SHOWN_CHECKS = 3


class ActionRecommander(Action):
    def name(self) -> str:
        return "action_recommander"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        result = recommend(catalog(), profile_from_slots(tracker.slots))
        shown = result.aids[:SHOWN_AIDS]
        dispatcher.utter_message(text=message("aides_intro" if shown else "aucune_aide"))
        for rank, match in enumerate(shown, start=1):
            amount = (match.aid.get("amount") or {}).get("text") or "—"
            checks = match.to_check[:SHOWN_CHECKS]
            dispatcher.utter_message(
                text=message("aide", rang=rank, nom=match.aid["name"], montant=amount,
                             raisons="; ".join(match.reasons) or message("aide_sans_raison"),
                             a_verifier=" ".join(checks) or message("rien_a_verifier"),
                             lien=match.aid["url"]))
        utter_contacts(dispatcher, result.contacts)
        dispatcher.utter_message(text=message("suite"), buttons=buttons("suite"))
        return [SlotSet("aides_recommandees", [match.aid["id"] for match in shown])]
