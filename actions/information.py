"""Answers that need the catalogue: definitions and « is this place in a QPV? »."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.slots import catalog
from catalog.dialogue import message
from catalog.glossary import define


class ActionDefinition(Action):
    def name(self) -> str:
        return "action_definition"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        terms = list(tracker.get_latest_entity_values("aide"))
        text = (tracker.latest_message or {}).get("text") or ""
        entry = define(catalog(), terms[0] if terms else text)
        if entry:
            text = message("definition", terme=entry.term, definition=entry.definition)
            if entry.amount:
                text += "\n" + message("definition_montant", montant=entry.amount)
            if entry.url:
                text += "\n" + message("definition_lien", lien=entry.url)
            dispatcher.utter_message(text=text)
        elif terms:
            dispatcher.utter_message(text=message("definition_inconnue", terme=terms[0][:60]))
        else:
            dispatcher.utter_message(text=message("definition_quoi"))
        return []


class ActionVerifierQpv(Action):
    def name(self) -> str:
        return "action_verifier_qpv"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        said = next(tracker.get_latest_entity_values("commune"), None)
        code = next(tracker.get_latest_entity_values("code_postal"), None)
        if not said and not code:
            said, code = tracker.get_slot("commune"), tracker.get_slot("code_postal")
        if not said and not code:
            dispatcher.utter_message(text=message("qpv_quelle_commune"))
            return []
        dispatcher.utter_message(text=qpv_answer(said, code))
        return []


def qpv_answer(said: str | None, code: str | None) -> str:
    """The QPV of the official list in a place's commune, with the official address checker."""
    places = catalog().places
    place = places.resolve(said, code)
    if not place or not place.commune_insee:
        return message("qpv_inconnu")
    known = places.qpv_of_commune(place.commune_insee)
    if not known:
        return message("qpv_aucun", commune=place.commune_name)
    # The neighbourhood the person named comes first.
    known = sorted(known, key=lambda q: q.get("code") != place.qpv_code)
    names = ", ".join(f"{q['name']} ({q['code']})" for q in known[:8])
    if len(known) > 8:
        names += message("qpv_et_autres", nombre=len(known) - 8)
    count = message("qpv_un") if len(known) == 1 else message("qpv_plusieurs", nombre=len(known))
    return message("qpv_oui", commune=place.commune_name, compte=count, quartiers=names)
