"""The forms' questions, asked in the reply of the validation action that chose them.

Rasa 3.6 asks a form's next question by running `action_ask_<field>` when the domain has one
(`FormAction._ask_for_slot`); the domain has none, so Rasa asks nothing itself and the form's
validation action (`validate_profil_form`, `validate_handoff_form`) says the question at the
end of its own reply: one call to the action server per form turn instead of two. Rasa calls
that action on every run of a form — its activation, each answer, and its return after a
digression — and drops its whole reply when it rejects the form (a message that fills
nothing), so the question is said exactly when Rasa used to ask it, after the validation's
own messages. The wording and the buttons are in catalog/data/dialogue.yml; a field asked
together with others (both QPV facts, actions/profile_form.py `fields_to_ask`) gets the joint
question instead of its own, with buttons that answer all.
"""

from __future__ import annotations

from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT

from catalog.dialogue import joint_question, question


def requested_field(events: list[EventType]) -> str | None:
    """The field the form asks next: the last `requested_slot` the events set (None: the form
    ends, or the events choose nothing)."""
    return next(
        (
            event["value"]
            for event in reversed(events)
            if event.get("event") == "slot" and event.get("name") == REQUESTED_SLOT
        ),
        None,
    )


def ask(dispatcher: CollectingDispatcher, field: str, together: tuple[str, ...] = ()) -> None:
    """Say the question on `field` with its buttons, or the joint question of `together` (the
    facts asked with it, `field` included) when dialogue.yml has one."""
    joint = joint_question(together) if together else None
    if joint is not None:
        dispatcher.utter_message(text=joint.text, buttons=joint.buttons())
        return
    text, choices = question(field)
    dispatcher.utter_message(text=text, buttons=choices)
