"""Handoff to a person: offer, consent, contact details, a lead for the territory's advisors."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict

from actions.asks import ask, requested_field
from actions.slots import catalog, profile_from_slots
from catalog.dialogue import message, message_with_buttons, of
from catalog.engine import locate
from catalog.leads import parse_contact, save_lead
from catalog.profile import TERRITORY_IDS


def _territory(tracker: Tracker) -> dict[str, Any] | None:
    """The pilot territory of the conversation, if the place is known and is one."""
    profile, _ = locate(catalog(), profile_from_slots(tracker.slots))
    territory = profile.get("territoire")
    return catalog().territory(territory) if territory in TERRITORY_IDS else None


PLACE_ENTITIES = {"commune", "code_postal"}


def _describes_more_than_a_place(tracker: Tracker) -> bool:
    entities = {e.get("entity") for e in tracker.latest_message.get("entities") or []}
    return bool(entities - PLACE_ENTITIES)


class ActionProposerRappel(Action):
    def name(self) -> str:
        return "action_proposer_rappel"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot("rappel_en_attente") and _describes_more_than_a_place(tracker):
            # Awaited: a commune. Given: a whole description (« je crée … à Choisy, je suis au
            # RSA »): the person wants aids first; the callback is offered with them.
            return [SlotSet("rappel_en_attente", False), FollowupAction("profil_form")]
        territory = _territory(tracker)
        if territory:
            text, choices = message_with_buttons(
                "rappel_proposition", de_territoire=of(territory["name"])
            )
            dispatcher.utter_message(text=text, buttons=choices)
        elif tracker.get_slot("territoire") == "hors_territoire":
            dispatcher.utter_message(text=message("rappel_hors_territoire"))
        else:
            # The commune the person gives next comes back here (rule on rappel_en_attente).
            dispatcher.utter_message(text=message("rappel_sans_commune"))
            return [SlotSet("rappel_en_attente", True)]
        return (
            [SlotSet("rappel_en_attente", False)] if tracker.get_slot("rappel_en_attente") else []
        )


class ValidateHandoffForm(FormValidationAction):
    def name(self) -> str:
        return "validate_handoff_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        # Without a pilot territory there is no advisor to send the request to.
        return ["coordonnees"] if _territory(tracker) else []

    async def next_requested_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventType | None:
        # Always chosen here (rasa-sdk leaves it to Rasa when the slots are the domain's):
        # this action asks the question itself (actions/asks.py).
        required = await self.required_slots([], dispatcher, tracker, domain)
        missing = [name for name in required if tracker.slots.get(name) is None]
        return SlotSet(REQUESTED_SLOT, missing[0] if missing else None)

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events = await super().run(dispatcher, tracker, domain)
        field = requested_field(events)
        if field:  # Rasa has no action_ask_coordonnees to call: the question ends this reply
            ask(dispatcher, field)
        return events

    def validate_coordonnees(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        details = parse_contact(str(value or ""))
        if details is None:
            dispatcher.utter_message(text=message("coordonnees_invalides"))
            return {"coordonnees": None}
        return {"coordonnees": details.shown}


class ActionEnregistrerDemande(Action):
    def name(self) -> str:
        return "action_enregistrer_demande"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        territory = _territory(tracker)
        details = parse_contact(tracker.get_slot("coordonnees") or "")
        if not territory or not details:
            dispatcher.utter_message(text=message("demande_impossible"))
            return [SlotSet("coordonnees", None)]
        profile = {
            k: v for k, v in profile_from_slots(tracker.slots).values.items() if v is not None
        }
        save_lead(
            tracker.sender_id,
            tracker.get_latest_input_channel(),
            territory["id"],
            details,
            profile,
            list(tracker.get_slot("aides_recommandees") or []),
        )
        dispatcher.utter_message(
            text=message(
                "demande_enregistree",
                de_territoire=of(territory["name"]),
                coordonnees=details.shown,
            )
        )
        # The lead keeps the details; the conversation forgets them, so that a later contact
        # request asks again instead of reading a stored e-mail or phone back.
        return [SlotSet("coordonnees", None)]
