"""Playing a simulated person against the assistant, and the figures over all of them.

The person sends its first message, then answers each profile question the assistant asks
(detected as `qp flows test` does: the question texts of catalog/data/dialogue.yml) with what
its file says — clicking the button of that title or payload, else typing the text — until the
assistant presents aids, or the person has sent `tours_max` messages. To a question asking
several facts at once (« votre entreprise ou votre domicile… ? »), it clicks the option that
matches its answers to each (bot/flows/checks.py `joint_reply`).
"""

from __future__ import annotations

import re
import statistics
import time
import unicodedata
import uuid
from dataclasses import dataclass, field

import httpx

from bot.flows.assistant import Answer, AssistantError, Button, Conversation
from bot.flows.checks import Wording, joint_reply, normalize
from bot.flows.personas import Persona

GOAL_TURNS = 6  # the goal: expected aids within six messages


@dataclass
class SimTurn:
    said: str  # what the person did, as the report shows it
    sent: str  # what was sent to Rasa: the text, or the button's payload
    answer: Answer
    seconds: float
    field: str | None = None  # the profile question this message answered
    repeated: bool = False  # that field was already stated in the first message
    unplanned: bool = False  # the file has no answer for that field: « je ne sais pas »


@dataclass
class PersonaResult:
    persona: Persona
    sender: str
    turns: list[SimTurn] = field(default_factory=list)
    results_turn: int | None = None  # the message after which aids were first presented
    shown: tuple[str, ...] = ()  # aid ids named in that answer
    forbidden_shown: tuple[str, ...] = ()  # forbidden aid ids named in any answer
    stop_reason: str = ""  # why the person stopped, when not at the results
    error: str | None = None  # the assistant could not be reached
    seconds: float = 0.0

    @property
    def asked(self) -> list[str]:
        """The profile questions asked, in order (one per answered question)."""
        return [t.field for t in self.turns if t.field]

    @property
    def repeated(self) -> list[str]:
        return [t.field for t in self.turns if t.field and t.repeated]

    @property
    def unplanned(self) -> list[str]:
        return [t.field for t in self.turns if t.field and t.unplanned]

    @property
    def silent_turns(self) -> int:
        """Messages the assistant answered with nothing at all."""
        return sum(1 for t in self.turns if not t.answer.messages)

    @property
    def found(self) -> tuple[str, ...]:
        return tuple(a for a in self.persona.expected if a in self.shown)

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(a for a in self.persona.expected if a not in self.shown)

    @property
    def reached_results(self) -> bool:
        return self.results_turn is not None

    @property
    def meets_expectations(self) -> bool:
        return (
            self.error is None
            and self.reached_results
            and not self.missing
            and not self.forbidden_shown
            and not self.silent_turns
        )

    @property
    def within_goal(self) -> bool:
        """Expected aids reached within GOAL_TURNS messages, nothing forbidden shown."""
        return (
            self.meets_expectations
            and self.results_turn is not None
            and self.results_turn <= GOAL_TURNS
        )


@dataclass(frozen=True)
class Figures:
    people: int
    meeting: int  # every expectation met (exit code 0 when all)
    within_goal: int  # expected aids within GOAL_TURNS messages
    reached: int  # results presented at all
    median_turns: float | None  # None: more than half never reached results
    forbidden_people: int
    forbidden_shown: int
    repeated_questions: int
    people_repeated: int
    questions_mean: float
    silent_turns: int

    @property
    def within_goal_share(self) -> float:
        return self.within_goal / self.people if self.people else 0.0


def figures(results: list[PersonaResult]) -> Figures:
    """The figures over every person; a person without results counts as « never » for the
    median (it is not dropped: the median over the others alone would flatter the assistant)."""
    turns = sorted(r.results_turn if r.results_turn is not None else float("inf") for r in results)
    median: float | None = None
    if turns:
        value = statistics.median(turns)
        median = None if value == float("inf") else float(value)
    return Figures(
        people=len(results),
        meeting=sum(r.meets_expectations for r in results),
        within_goal=sum(r.within_goal for r in results),
        reached=sum(r.reached_results for r in results),
        median_turns=median,
        forbidden_people=sum(bool(r.forbidden_shown) for r in results),
        forbidden_shown=sum(len(r.forbidden_shown) for r in results),
        repeated_questions=sum(len(r.repeated) for r in results),
        people_repeated=sum(bool(r.repeated) for r in results),
        questions_mean=(statistics.mean(len(r.asked) for r in results) if results else 0.0),
        silent_turns=sum(r.silent_turns for r in results),
    )


def sender_id(persona: Persona) -> str:
    ascii_name = unicodedata.normalize("NFKD", persona.path.stem).encode("ascii", "ignore")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.decode().lower()).strip("-")[:40] or "personne"
    return f"sim-{slug}-{uuid.uuid4().hex[:8]}"


def choose_reply(reply: str, answer: Answer) -> tuple[str, str, Button | None]:
    """What the person does with its planned reply: click the button of that title or payload
    (compared without case or typographic differences), else type the text.
    Returns (shown, sent, button)."""
    wanted = normalize(reply)
    for button in answer.buttons:
        if wanted in (normalize(button.title), normalize(button.payload)):
            return f"[bouton] {button.title}", button.payload, button
    return reply, reply, None


def commune_choice(answer: Answer, persona: Persona) -> Button | None:
    """Among homonymous communes offered as buttons (« Montreuil (93100) »), the one whose
    title holds the person's postal code: the person picks its own commune."""
    code = normalize(persona.answers.get("code_postal", ""))
    if not code:
        return None
    return next((b for b in answer.buttons if code in normalize(b.title)), None)


def dont_know(answer: Answer, wording: Wording) -> tuple[str, str, Button | None]:
    """The person has no planned answer: the « Je ne sais pas » button, or those words."""
    return choose_reply(wording.dont_know, answer)


def aids_named(
    answer: Answer, wording: Wording, ids: tuple[str, ...] | None = None
) -> tuple[str, ...]:
    """The aid ids whose catalogue name appears in the answer (all aids, or among `ids`), in
    the order the answer names them."""
    said = normalize(answer.text)
    candidates = ids if ids is not None else tuple(wording.aid_names)
    found = [(said.find(normalize(wording.aid_names[a])), a) for a in candidates]
    return tuple(a for position, a in sorted(found) if position >= 0)


class Simulator:
    def __init__(self, rasa_url: str, wording: Wording, client: httpx.Client | None = None):
        self.rasa_url = rasa_url
        self.wording = wording
        self.client = client or httpx.Client()

    def play(self, persona: Persona) -> PersonaResult:
        started = time.monotonic()
        metadata = {"simulation": persona.path.name}
        if persona.territory:
            metadata["territory"] = persona.territory
        conversation = Conversation(self.client, self.rasa_url, sender_id(persona), metadata)
        result = PersonaResult(persona, conversation.sender)
        try:
            self._converse(conversation, persona, result)
        except AssistantError as error:
            result.error = str(error)
            result.stop_reason = str(error)
        result.seconds = time.monotonic() - started
        return result

    def _send(
        self,
        conversation: Conversation,
        result: PersonaResult,
        shown: str,
        sent: str,
        **details: object,
    ) -> Answer:
        started = time.monotonic()
        answer = conversation.send(sent)
        turn = SimTurn(shown, sent, answer, time.monotonic() - started)
        for key, value in details.items():
            setattr(turn, key, value)
        result.turns.append(turn)
        forbidden = aids_named(answer, self.wording, result.persona.forbidden)
        result.forbidden_shown = tuple(dict.fromkeys((*result.forbidden_shown, *forbidden)))
        return answer

    def _converse(
        self, conversation: Conversation, persona: Persona, result: PersonaResult
    ) -> None:
        answer = self._send(conversation, result, persona.first_message, persona.first_message)
        previous: str | None = None
        chosen: set[str] = set()  # communes already picked among homonyms
        while True:
            if self.wording.has_recommendation(answer):
                result.results_turn = len(result.turns)
                result.shown = aids_named(answer, self.wording)
                return
            if len(result.turns) >= persona.max_turns:
                result.stop_reason = (
                    f"pas d'aides présentées après {persona.max_turns} messages de la personne"
                )
                return
            choice = commune_choice(answer, persona)
            if choice is not None and choice.payload not in chosen:
                chosen.add(choice.payload)
                answer = self._send(
                    conversation,
                    result,
                    f"[bouton] {choice.title}",
                    choice.payload,
                    field="commune",
                )
                continue
            asked = self.wording.asked_fields(answer)
            if not asked:
                result.stop_reason = (
                    "l'assistant n'a ni posé de question du profil ni présenté d'aides : "
                    f"« {answer.excerpt(200)} »"
                )
                return
            joint = self.wording.joint_asked(answer)
            current = "+".join(joint.fields) if joint else asked[-1]
            if current == previous:
                result.stop_reason = (
                    f"la réponse à la question « {current} » n'a pas été comprise : "
                    f"l'assistant la repose (« {answer.excerpt(140)} »)"
                )
                return
            if joint is not None:
                # One question for several facts: the person clicks the option that matches
                # its answers to them (« Mon domicile », « Les deux »…).
                title = joint_reply(joint, persona.answers, self.wording.dont_know)
                shown, sent, _ = choose_reply(title, answer)
                repeated = any(f in persona.already_said for f in joint.fields)
                unplanned = not any(f in persona.answers for f in joint.fields)
            elif current in persona.answers:
                shown, sent, _ = choose_reply(persona.answers[current], answer)
                repeated, unplanned = current in persona.already_said, False
            else:
                shown, sent, _ = dont_know(answer, self.wording)
                repeated, unplanned = current in persona.already_said, True
            answer = self._send(
                conversation,
                result,
                shown,
                sent,
                field=current,
                repeated=repeated,
                unplanned=unplanned,
            )
            previous = current
