"""Starting over and erasing the profile."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset, EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from catalog.dialogue import message


class ActionRecommencer(Action):
    def name(self) -> str:
        return "action_recommencer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=message("recommencer"))
        dispatcher.utter_message(response="utter_inviter_description")
        return [AllSlotsReset()]


class ActionSupprimerDonnees(Action):
    def name(self) -> str:
        return "action_supprimer_donnees"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=message("donnees_supprimees"))
        return [AllSlotsReset()]
