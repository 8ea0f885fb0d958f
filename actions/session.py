"""Starting over, erasing one's data, leaving, and not being understood."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset, EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.contacts import utter_contacts
from actions.erasure import confirmation, erase
from actions.slots import catalog, profile_from_slots
from catalog.dialogue import message
from catalog.engine import locate, rank_contacts

MAX_MESSAGE_LENGTH = 2000  # longer messages are not analysed (rasa_extensions/no_words.py)


class ActionRecommencer(Action):
    def name(self) -> str:
        return "action_recommencer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(text=message("recommencer"))
        dispatcher.utter_message(response="utter_inviter_description")
        return [AllSlotsReset()]


class ActionSupprimerDonnees(Action):
    """Erase the profile, the sender's leads, corrections and audit mentions, and (marker in
    the confirmation) the conversation when Rasa saves this turn: actions/erasure.py."""

    def name(self) -> str:
        return "action_supprimer_donnees"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        outcome = erase(tracker.sender_id, tracker.events)
        dispatcher.utter_message(**confirmation(outcome))
        return [AllSlotsReset()] if outcome.recorded else []


class ActionAuRevoir(Action):
    """Goodbye, with a reminder of the aids found."""

    def name(self) -> str:
        return "action_au_revoir"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        shown = [catalog().aid(aid_id) for aid_id in tracker.get_slot("aides_recommandees") or []]
        names = [aid["name"] for aid in shown if aid]
        if names:
            dispatcher.utter_message(text=message("au_revoir_resume", aides=" ; ".join(names)))
        dispatcher.utter_message(text=message("au_revoir"))
        return []


class ActionReformuler(Action):
    """Ask to rephrase once; on a second misunderstanding in a row, offer people to contact."""

    def name(self) -> str:
        return "action_reformuler"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intents = [
            event.get("parse_data", {}).get("intent", {}).get("name")
            for event in tracker.events
            if event.get("event") == "user"
        ]
        if len((tracker.latest_message or {}).get("text") or "") > MAX_MESSAGE_LENGTH:
            dispatcher.utter_message(text=message("message_trop_long"))
        elif len(intents) >= 2 and intents[-1] == intents[-2] == "nlu_fallback":
            dispatcher.utter_message(text=message("reformuler_encore"))
            profile, _ = locate(catalog(), profile_from_slots(tracker.slots))
            utter_contacts(dispatcher, rank_contacts(catalog(), profile))
        else:
            dispatcher.utter_message(text=message("reformuler"))
        return []
