"""The profile form: which question to ask next, and checking each answer.

The next question is the first of the recommender's `questions` (the unknown field that changes
the answer most) whose answer can change the first aids shown (catalog/questions.py) and that
the user has not skipped with « je ne sais pas ». Results come first: after `QP_MAX_QUESTIONS`
questions (4 by default) the aids are shown, and the questions left are offered after them as
« Pour affiner » buttons (actions/refine.py); once aids have been shown, the form asks only the
question the person chose there, and a correction goes straight to updated results. The
question itself ends this action's reply (actions/asks.py).

When both QPV facts still matter, the first of them is asked with the other in one question
(« Votre entreprise ou votre domicile… ? », catalog/questions.py `asked_together`): it counts as
one question, and its answer sets both facts (actions/qpv_question.py for a typed answer).
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict

from actions.address import (
    PENDING_SLOT,
    USAGE_SLOT,
    apply_usage,
    check_in,
    says_neither,
    usage_in,
    verdict_events,
)
from actions.asks import ask, requested_field
from actions.information import named_place_agrees, qpv_answer, qpv_named_answer
from actions.qpv_question import UNCLEAR, read_answer
from actions.refine import refine_request
from actions.slots import catalog, profile_from_slots, summary
from actions.vocabulary import canonical
from catalog.address import answer_text, find_address
from catalog.dialogue import asked_fields, joint_questions, message, question
from catalog.profile import (
    FIELDS,
    OUTSIDE_TERRITORIES,
    is_bare_number,
    is_dont_know,
    normalize,
    parse_number,
    parse_postal_code,
    parse_yes_no,
)
from catalog.questions import asked_together, questions_that_matter
from settings import get_settings

ANSWER_INTENTS = {"informer", "nlu_fallback", "affirmer", "nier", "chercher_aides"}
# Intents that are not an answer to « whose address is it? » (digressions the rules handle).
NOT_AN_ANSWER = {
    "verifier_qpv", "demander_definition", "demander_contact", "recommencer",
    "supprimer_donnees", "au_revoir", "capacites_bot", "hors_sujet", "exprimer_insatisfaction",
    "saluer", "remercier",
}  # fmt: skip
# A message that says where the person lives or works (« j'habite aux Fourches à Laval »).
LIVES_OR_WORKS = re.compile(
    r"\b(j habite|jhabite|je vis|je reside|on habite|on vit|mon local|ma boutique|mon magasin|"
    r"mon commerce|mon entreprise|mon atelier|je suis installe|je m installe)\b"
)
NUMBER_LIMITS = {
    "age": (14, 100),
    "effectif": (0, 100_000),
    "anciennete_annees": (0, 200),
    "montant": (0, 100_000_000),
}
MAX_PLACE_LENGTH = 80


class ValidateProfilForm(FormValidationAction):
    def name(self) -> str:
        return "validate_profil_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot(PENDING_SLOT):
            return [USAGE_SLOT]  # an address was checked: whose is it? (not a profile question)
        skipped = set(tracker.get_slot("champs_ignores") or [])
        requested = tracker.get_slot(REQUESTED_SLOT)
        profile = profile_from_slots(tracker.slots)
        if tracker.get_slot("aides_recommandees"):
            # Results already shown: only the question the person chose (« Pour affiner »),
            # until answered; a correction or a new detail goes straight to updated results.
            wanted = refine_request(tracker) or requested
            if wanted in FIELDS and wanted not in skipped and not profile.known(wanted):
                return [wanted]
            return []
        asked = tracker.get_slot("champs_demandes") or []
        if len(asked) >= get_settings().actions.max_questions:
            return []  # results first: what is left is offered after them (« Pour affiner »)
        questions = questions_left(tracker)
        if requested in questions:
            return [requested]  # not answered yet (a digression, an unclear answer): ask again
        return questions[:1]

    async def next_requested_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventType | None:
        required = await self.required_slots([], dispatcher, tracker, domain)
        return SlotSet(REQUESTED_SLOT, required[0] if required else None)

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        asked = list(tracker.get_slot("champs_demandes") or [])
        events = await super().run(dispatcher, tracker, domain)
        next_slot = requested_field(events)
        if next_slot:  # Rasa has no action_ask_<field> to call: the question ends this reply
            ask(dispatcher, next_slot, fields_to_ask(tracker, next_slot))
        if next_slot and next_slot not in asked and next_slot != USAGE_SLOT:
            # Only when a new question is asked: an unchanged slot here would stop Rasa from
            # rejecting the form on a digression (a message that is not an answer).
            events.insert(0, SlotSet("champs_demandes", [*asked, next_slot]))
        if tracker.get_slot("rappel_en_attente"):
            # The person went on with the questions: a callback offer no longer waits.
            events.append(SlotSet("rappel_en_attente", False))
        return events

    # --- extraction of the answer to the question just asked -------------------------------

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        requested = tracker.get_slot(REQUESTED_SLOT)
        latest = tracker.latest_message or {}
        text = (latest.get("text") or "").strip()
        intent = (latest.get("intent") or {}).get("name")
        if not requested or not text:
            return []
        if requested == USAGE_SLOT:
            return self._usage_answer(dispatcher, tracker, text, intent)
        together = asked_jointly(tracker)
        if requested in together:
            return self._joint_answer(dispatcher, tracker, together, text, intent)
        if is_dont_know(text):
            skipped = list(tracker.get_slot("champs_ignores") or [])
            return [SlotSet(requested, None), SlotSet("champs_ignores", [*skipped, requested])]
        if requested in tracker.slots_to_validate():
            return []
        if FIELDS[requested] in ("int", "number") and is_bare_number(text):
            # « zéro », « 3 », « 5 ans »: the answer, whatever the NLU thought it was.
            return [SlotSet(requested, parse_number(text))]
        if intent not in ANSWER_INTENTS:
            return []
        value = _answer(requested, text, intent)
        if (
            value is None
            and intent in ("informer", "affirmer", "nier", "nlu_fallback", "chercher_aides")
            and not _other_profile_slots(tracker, requested)
        ):
            # An answer that does not fit the question: say so, the question is asked again.
            # (A slot event keeps Rasa from rejecting the form and answering nothing.)
            dispatcher.utter_message(text=message("reponse_incomprise"))
            return [SlotSet("champs_demandes", tracker.get_slot("champs_demandes") or [])]
        return [] if value is None else [SlotSet(requested, value)]

    def _joint_answer(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        fields: tuple[str, ...],
        text: str,
        intent: str | None,
    ) -> list[EventType]:
        """The answer to a question asking several facts at once (both QPV facts)."""
        asked = tracker.get_slot("champs_demandes") or []
        if is_dont_know(text):
            skipped = list(tracker.get_slot("champs_ignores") or [])
            return [
                *(SlotSet(name, None) for name in fields),
                SlotSet("champs_ignores", [*skipped, *(f for f in fields if f not in skipped)]),
            ]
        said = tracker.slots_to_validate()
        if all(said.get(name) is not None for name in fields) or intent in NOT_AN_ANSWER:
            return []  # a button set them all; or a digression, which its rule answers
        if _other_profile_slots(tracker, *fields) or find_address(text):
            # A correction or a new detail: the question is asked again after it. An address:
            # checked by the validation, whose verdict sets the fact it is the address of.
            return []
        answer = read_answer(text)
        if isinstance(answer, dict):
            return [SlotSet(name, value) for name, value in answer.items()]
        # « oui » (but which?) or no answer: nothing is set, the question is asked again.
        dispatcher.utter_message(
            text=message("qpv_preciser" if answer == UNCLEAR else "reponse_incomprise")
        )
        return [*(SlotSet(name, None) for name in fields), SlotSet("champs_demandes", asked)]

    def _usage_answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, text: str, intent: str | None
    ) -> list[EventType]:
        """The answer to « whose address is it? » (domicile, entreprise, les deux, neither)."""
        if intent in NOT_AN_ANSWER:
            return []  # a digression: its rule answers, then the question is asked again
        usage = usage_in(text)
        if usage:
            return [SlotSet(USAGE_SLOT, usage)]
        if is_dont_know(text) or says_neither(text) or intent == "nier":
            dispatcher.utter_message(text=message("qpv_note_rien"))
            return [SlotSet(PENDING_SLOT, None), SlotSet(USAGE_SLOT, None)]
        dispatcher.utter_message(text=message("reponse_incomprise"))
        return [SlotSet("champs_demandes", tracker.get_slot("champs_demandes") or [])]

    # --- validation of every profile slot set during this turn -----------------------------

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        candidates = tracker.slots_to_validate()
        results: dict[str, Any] = {}
        for name, value in candidates.items():
            if name not in FIELDS or value is None:
                if name not in FIELDS:
                    results[name] = value
                continue
            validator = getattr(self, f"validate_{name}", None)
            output = validator(value, dispatcher, tracker, domain) if validator else {name: value}
            results.update(output)
            tracker.slots.update(output)
        skipped = candidates.get("champs_ignores")
        if skipped is not None:
            results.update({name: None for name in skipped if name in candidates})
        # A fact the extraction emptied (« oui » to « your business or your home? » says
        # neither which) must not keep the value Rasa's own mapping gave it (« oui » → True).
        results.update(
            {name: None for name, value in candidates.items() if name in FIELDS and value is None}
        )
        usage = results.pop(USAGE_SLOT, None)
        pending = tracker.get_slot(PENDING_SLOT)
        if usage in ("domicile", "entreprise", "les_deux") and pending:
            texts, events = apply_usage(bool(pending.get("en_qpv")), usage)
            for line in texts:
                dispatcher.utter_message(text=line)
            results.update({e["name"]: e["value"] for e in events})
            tracker.slots.update({e["name"]: e["value"] for e in events})
        # What this message told (a form started again re-validates every known slot: those
        # unchanged are not news), and whether it changed a value already known (a correction).
        understood = {
            k: v
            for k, v in results.items()
            if k in FIELDS and v not in (None, []) and v != _previous_value(tracker, k)
        }
        corrected = [
            name
            for name in understood
            if name not in ("territoire", "code_postal")
            and _previous_value(tracker, name) not in (None, [])
        ]
        requested = tracker.get_slot(REQUESTED_SLOT)
        if (
            requested in understood
            and FIELDS.get(requested) == "bool"
            and any(k != requested for k in corrected)
        ):
            # Its « non » was about the fact corrected, not an answer to the question asked.
            del understood[requested]
            results[requested] = None
            tracker.slots[requested] = None
        if (len(understood) >= 2 or corrected) and not usage:
            dispatcher.utter_message(text=message("compris", resume=summary(tracker.slots)))
        latest = tracker.latest_message or {}
        text = latest.get("text") or ""
        intent = (latest.get("intent") or {}).get("name")
        if (
            not usage
            and intent in ANSWER_INTENTS
            and tracker.get_slot(REQUESTED_SLOT) != USAGE_SLOT
        ):
            # An address, or a QPV's name, in a description (« j'habite 3 rue … »).
            said = await self._place_in_description(dispatcher, tracker, text, results)
            if said:
                return [SlotSet(name, value) for name, value in results.items()]
        if results.get("commune") and _last_bot_action(tracker) == "action_verifier_qpv":
            # The place was given to answer « is my premises in a QPV? »: answer that first.
            dispatcher.utter_message(
                text=qpv_answer(results["commune"], results.get("code_postal"))
            )
        return [SlotSet(name, value) for name, value in results.items()]

    async def _place_in_description(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        text: str,
        results: dict[str, Any],
    ) -> bool:
        """Check an address given in an answer or a description, or name the QPV the person
        says they live or work in. Returns whether something was said."""
        check = await check_in(text, with_place=True)
        if check is not None:
            dispatcher.utter_message(text=answer_text(check))
            texts, events = verdict_events(check, usage_in(text))
            for line in texts:
                dispatcher.utter_message(text=line)
            changes = {e["name"]: e["value"] for e in events}
            results.update(changes)
            tracker.slots.update(changes)
            return True
        if not LIVES_OR_WORKS.search(normalize(text)):
            return False
        place = catalog().places.qpv_named_in(text)
        commune = results.get("commune") or tracker.get_slot("commune")
        if place is None or (commune and not named_place_agrees(str(commune), place)):
            return False
        dispatcher.utter_message(text=qpv_named_answer(place))
        return True

    def _enum(self, name: str, value: Any, tracker: Tracker | None = None) -> dict[str, Any]:
        if isinstance(value, list):  # several entities of one kind: keep the first we know
            value = next((canonical(name, v) for v in value if canonical(name, v)), None)
        known = canonical(name, value)
        if known is None and tracker is not None:
            # The entity was cut badly (« demandeur » + « emploi »): read the whole message.
            # Failing that, a stray extraction (« ( » next to a postal code) must not erase
            # what we knew.
            known = canonical(
                name, (tracker.latest_message or {}).get("text") or ""
            ) or _previous_value(tracker, name)
        return {name: known}

    def validate_stade(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._enum("stade", value, tracker)

    def validate_secteur(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._enum("secteur", value, tracker)

    def validate_statut(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot(REQUESTED_SLOT) == "effectif":
            # « 2 salariés » answers the headcount; it does not make the person an employee.
            return {"statut": _previous_value(tracker, "statut")}
        return self._enum("statut", value, tracker)

    def validate_besoins(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        values = value if isinstance(value, list) else [value]
        known = [canonical("besoins", v) for v in values]
        return {"besoins": list(dict.fromkeys(v for v in known if v)) or None}

    def _number(self, name: str, value: Any, dispatcher: CollectingDispatcher) -> dict[str, Any]:
        number = (
            value
            if isinstance(value, (int, float)) and not isinstance(value, bool)
            else parse_number(str(value))
        )
        low, high = NUMBER_LIMITS[name]
        if number is None or not low <= number <= high:
            dispatcher.utter_message(text=message("nombre_incompris"))
            return {name: None}
        if name in ("age", "effectif"):
            number = int(number)
        return {name: number}

    def _numeric_entity(
        self, name: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        """`age` and `montant` come from entities; a number answering another question
        (« 3 ans » of age of the business, « 2 salariés ») must not be read as them."""
        requested = tracker.get_slot(REQUESTED_SLOT)
        if requested != name and requested in NUMBER_LIMITS:
            return {name: _previous_value(tracker, name)}
        return self._number(name, value, dispatcher)

    def validate_age(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._numeric_entity("age", value, dispatcher, tracker)

    def validate_effectif(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._number("effectif", value, dispatcher)

    def validate_anciennete_annees(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._number("anciennete_annees", value, dispatcher)

    def validate_montant(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._numeric_entity("montant", value, dispatcher, tracker)

    def validate_code_postal(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        code = parse_postal_code(str(value))
        if not code:  # a stray number (« 0 salarié », a phone number): keep what we had
            return {"code_postal": _previous_value(tracker, "code_postal")}
        if tracker.slots_to_validate().get("commune"):
            return {}  # validate_commune resolves both together
        return self._place(tracker.get_slot("commune") or "", code, dispatcher)

    def validate_commune(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        code = parse_postal_code(str(tracker.slots_to_validate().get("code_postal") or ""))
        if (
            code
            and code == _previous_value(tracker, "code_postal")
            and str(value) != str(_previous_value(tracker, "commune"))
        ):
            # A form started again after the results validates every known slot: the postal
            # code there is the previous commune's, not one given with the new commune.
            code = None
        return self._place(str(value), code, dispatcher)

    def _place(
        self, text: str, code: str | None, dispatcher: CollectingDispatcher
    ) -> dict[str, Any]:
        text = text.strip()[:MAX_PLACE_LENGTH]
        place = catalog().places.resolve(text, code)
        if place and place.candidates:
            dispatcher.utter_message(
                text=message("commune_ambigue", commune=text, choix=", ".join(place.candidates)),
                buttons=[{"title": label, "payload": label} for label in place.candidates],
            )
            return {"commune": None, "code_postal": None}
        if place is None:
            if not any(c.isalpha() for c in text):
                dispatcher.utter_message(text=message("commune_inconnue", commune=text))
                return {"commune": None, "code_postal": None}
            dispatcher.utter_message(text=message("hors_territoire"))
            return {"commune": text, "territoire": OUTSIDE_TERRITORIES}
        if place.territory == OUTSIDE_TERRITORIES:
            dispatcher.utter_message(text=message("hors_territoire"))
        return {
            "commune": place.commune_name or text or place.postal_code,
            "code_postal": place.postal_code,
            "territoire": place.territory,
        }


def _before_latest_user(tracker: Tracker) -> list[dict[str, Any]]:
    """The events before the latest user message."""
    users = [i for i, event in enumerate(tracker.events) if event.get("event") == "user"]
    return tracker.events[: users[-1]] if users else list(tracker.events)


def _last_bot_action(tracker: Tracker) -> str | None:
    """The last action before the latest user message (other than listening)."""
    names = [
        event.get("name")
        for event in _before_latest_user(tracker)
        if event.get("event") == "action" and event.get("name") not in ("action_listen", None)
    ]
    return names[-1] if names else None


def _other_profile_slots(tracker: Tracker, *requested: str) -> bool:
    """Did this message set other profile fields (a correction rather than an answer)?

    A word the NLU tagged but that means no value of its field (« juste mon [domicile] »
    tagged as a sector) corrects nothing: the message stays an answer to the question."""
    return any(
        name in FIELDS
        and name not in requested
        and value is not None
        and _means_a_value(name, value)
        for name, value in tracker.slots_to_validate().items()
    )


def _means_a_value(name: str, value: Any) -> bool:
    if FIELDS[name] not in ("enum", "enum_list"):
        return True
    values = value if isinstance(value, list) else [value]
    return any(canonical(name, v) for v in values)


def questions_left(tracker: Tracker) -> list[str]:
    """The questions that matter for the profile (catalog/questions.py), but those the person
    skipped with « je ne sais pas »."""
    skipped = set(tracker.get_slot("champs_ignores") or [])
    profile = profile_from_slots(tracker.slots)
    return [field for field in questions_that_matter(catalog(), profile) if field not in skipped]


def fields_to_ask(tracker: Tracker, field: str) -> tuple[str, ...]:
    """The facts the question on `field` asks now: several at once before the first results
    when they all still matter (catalog/questions.py `asked_together`), else `field` alone
    (after the results, the person chose one question; an address check asks whose it is)."""
    if (
        tracker.get_slot("aides_recommandees")
        or tracker.get_slot(PENDING_SLOT)
        or not any(field in joint.fields for joint in joint_questions())
    ):
        return (field,)
    return asked_together(questions_left(tracker), field)


def asked_jointly(tracker: Tracker) -> tuple[str, ...]:
    """The facts of the joint question the assistant asked last, if its last question was one
    (a digression answered since, such as « c'est quoi un QPV ? », does not count)."""
    joint = {q.text: q.fields for q in joint_questions()}
    single = {question(field)[0] for field in asked_fields()}
    for event in reversed(_before_latest_user(tracker)):
        text = event.get("text") if event.get("event") == "bot" else None
        if text in joint:
            return joint[text]
        if text in single:
            return ()
    return ()


def _previous_value(tracker: Tracker, name: str) -> Any:
    """The value a slot had before the latest user message."""
    values = [
        event.get("value")
        for event in _before_latest_user(tracker)
        if event.get("event") == "slot" and event.get("name") == name
    ]
    return values[-1] if values else None


def _answer(field: str, text: str, intent: str | None) -> Any:
    """Read a typed answer to the question on `field` that NLU did not turn into a slot."""
    kind = FIELDS[field]
    if kind == "bool":
        return parse_yes_no(text)
    if kind in ("int", "number"):
        return parse_number(text)
    if (
        field == "commune"
        and len(text) <= MAX_PLACE_LENGTH
        and intent in ("informer", "nlu_fallback")
        and parse_yes_no(text) is None
        and any(c.isalpha() or c.isdigit() for c in text)
    ):
        return text
    if field == "code_postal":
        return parse_postal_code(text)
    return None
