"""The form's questions: one `action_ask_<field>` per profile field, worded in dialogue.yml.

A field that the form asks together with others (both QPV facts, actions/profile_form.py
`fields_to_ask`) gets the joint question instead of its own, with buttons that answer all."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.profile_form import fields_to_ask
from catalog.dialogue import asked_fields, joint_question, question


class _AskField:
    """Behaviour of the generated actions (not an Action itself, so never registered)."""

    field = ""

    def name(self) -> str:
        return f"action_ask_{self.field}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        joint = joint_question(fields_to_ask(tracker, self.field))
        if joint is not None:
            dispatcher.utter_message(text=joint.text, buttons=joint.buttons())
            return []
        text, choices = question(self.field)
        dispatcher.utter_message(text=text, buttons=choices)
        return []


# rasa-sdk registers every Action subclass it finds: one class per field.
for _field in asked_fields():
    _name = "Ask" + "".join(part.title() for part in _field.split("_"))
    globals()[_name] = type(_name, (_AskField, Action), {"field": _field, "__module__": __name__})
