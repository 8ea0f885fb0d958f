"""Local organisations to contact, for the user's territory and needs (a contact last checked
more than six months ago is shown « à revérifier »)."""

from __future__ import annotations

from datetime import date
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.slots import catalog, profile_from_slots
from catalog.dialogue import message
from catalog.engine import contact_stale_note, locate, rank_contacts

SHOWN_CONTACTS = 4


def today() -> date:
    """The real date, read at the edge (tests set another one)."""
    return date.today()


def utter_contacts(
    dispatcher: CollectingDispatcher, contacts: list[dict[str, Any]], day: date | None = None
) -> None:
    if not contacts:
        return
    day = day or today()
    dispatcher.utter_message(text=message("contacts_intro"))
    for contact in contacts[:SHOWN_CONTACTS]:
        details = [value for value in (contact.get("url"), contact.get("phone")) if value]
        stale = contact_stale_note(contact, day)
        if stale:
            details.append(stale)
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
