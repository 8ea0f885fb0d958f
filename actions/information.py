"""Answers that need the catalogue: definitions and « is this place in a QPV? »."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.address import check_in, usage_in, verdict_events
from actions.slots import catalog
from catalog.address import answer_text
from catalog.dialogue import message
from catalog.glossary import define
from catalog.places import Place


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
        text = (tracker.latest_message or {}).get("text") or ""
        check = await check_in(text)
        if check is not None:
            # « 12 rue X, 59100 Roubaix, c'est en QPV ? »: the address itself is checked.
            dispatcher.utter_message(text=answer_text(check))
            texts, events = verdict_events(check, usage_in(text))
            for line in texts:
                dispatcher.utter_message(text=line)
            waits = any(e.get("name") == "adresse_qpv" and e.get("value") for e in events)
            if waits and tracker.active_loop_name != "profil_form":
                # Whose address is it? The profile form asks (question `lieu_adresse`).
                events.append(ActiveLoop("profil_form"))
            return events
        said = next(tracker.get_latest_entity_values("commune"), None)
        code = next(tracker.get_latest_entity_values("code_postal"), None)
        named = catalog().places.qpv_named_in(text)
        if named and said and not named_place_agrees(said, named):
            named = None
        if not said and not code:
            said, code = tracker.get_slot("commune"), tracker.get_slot("code_postal")
        if not said and not code and not named:
            dispatcher.utter_message(text=message("qpv_quelle_commune"))
            return []
        # « les Fourches à Laval c'est en QPV ? »: the named QPV comes first in the list.
        first = named.qpv_code if named else None
        where = said or (named.commune_name if named else None)
        dispatcher.utter_message(text=qpv_answer(where, code, first))
        return []


def named_place_agrees(said: str, named: Place) -> bool:
    """Whether the commune the person wrote is the named QPV's (or names the QPV itself)."""
    place = catalog().places.resolve(said)
    return place is None or place.commune_insee in (None, named.commune_insee)


def qpv_named_answer(named: Place) -> str:
    """A QPV named by the person: it is on the official list, but only an address settles
    whether one lives or works inside its perimeter."""
    return message(
        "qpv_quartier_nomme", nom=named.qpv_name, code=named.qpv_code, commune=named.commune_name
    )


def qpv_answer(said: str | None, code: str | None, first: str | None = None) -> str:
    """The QPV of the official list in a place's commune, with the official address checker;
    the QPV whose code is `first` (or that the person named) comes first."""
    places = catalog().places
    place = places.resolve(said, code)
    if not place or not place.commune_insee:
        return message("qpv_inconnu")
    known = places.qpv_of_commune(place.commune_insee)
    if not known:
        return message("qpv_aucun", commune=place.commune_name)
    # The neighbourhood the person named comes first.
    known = sorted(known, key=lambda q: q.get("code") != (first or place.qpv_code))
    names = ", ".join(f"{q['name']} ({q['code']})" for q in known[:8])
    if len(known) > 8:
        names += message("qpv_et_autres", nombre=len(known) - 8)
    count = message("qpv_un") if len(known) == 1 else message("qpv_plusieurs", nombre=len(known))
    return message("qpv_oui", commune=place.commune_name, compte=count, quartiers=names)
