"""The form's questions: one `action_ask_<field>` per profile field, worded in dialogue.yml."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from catalog.dialogue import asked_fields, question


class _AskField:
    """Behaviour of the generated actions (not an Action itself, so never registered)."""

    field = ""

    def name(self) -> str:
        return f"action_ask_{self.field}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text, choices = question(self.field)
        dispatcher.utter_message(text=text, buttons=choices)
        return []


# rasa-sdk registers every Action subclass it finds: one class per field.
for _field in asked_fields():
    _name = "Ask" + "".join(part.title() for part in _field.split("_"))
    globals()[_name] = type(_name, (_AskField, Action), {"field": _field, "__module__": __name__})
