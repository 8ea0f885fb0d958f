"""Local organisations to contact, for the user's territory and needs."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.slots import catalog, profile_from_slots
from catalog.dialogue import message
from catalog.engine import locate, rank_contacts

SHOWN_CONTACTS = 4


def utter_contacts(dispatcher: CollectingDispatcher, contacts: list[dict[str, Any]]) -> None:
    if not contacts:
        return
    dispatcher.utter_message(text=message("contacts_intro"))
    for contact in contacts[:SHOWN_CONTACTS]:
        details = [value for value in (contact.get("url"), contact.get("phone")) if value]
        dispatcher.utter_message(
            text=message(
                "contact",
                nom=contact["name"],
                description=contact.get("description") or "",
                coordonnees=" — ".join(details),
            ).strip()
        )


class ActionContacts(Action):
    def name(self) -> str:
        return "action_contacts"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        profile, _ = locate(catalog(), profile_from_slots(tracker.slots))
        if not profile.known("territoire"):
            dispatcher.utter_message(text=message("contacts_sans_commune"))
        utter_contacts(dispatcher, rank_contacts(catalog(), profile))
        return []
