"""Playing a scenario against the assistant, step by step.

Each run talks under a sender id of its own, so scenarios never share a profile. A step that
fails stops its scenario: the next steps would start from a conversation the scenario did not
intend, and their verdicts would only repeat the first failure.
"""

from __future__ import annotations

import re
import time
import unicodedata
import uuid
from dataclasses import dataclass, field
from typing import Literal

import httpx

from bot.flows.assistant import Answer, AssistantError, Button, Conversation
from bot.flows.checks import CheckResult, Wording, evaluate, joint_reply, normalize, quote
from bot.flows.model import Scenario, Step

MAX_HELPER_TURNS = 16  # more than the profile has questions
Status = Literal["passed", "failed", "known_bug", "bug_fixed"]


@dataclass
class Turn:
    said: str  # what the persona did, as the report shows it
    sent: str  # what was sent to Rasa: the text, or the button's payload
    answer: Answer
    seconds: float
    field: str | None = None  # helper step: the profile question this turn answered


@dataclass
class StepResult:
    step: Step
    turns: list[Turn] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    error: str | None = None  # the step could not be played to its end
    played: bool = True
    answer: Answer | None = None  # the answer the expectations were checked on

    @property
    def passed(self) -> bool:
        return self.played and self.error is None and all(c.ok for c in self.checks)

    @property
    def reasons(self) -> list[str]:
        found = [self.error] if self.error else []
        return found + [f"{c.label} : {c.reason}" for c in self.checks if not c.ok]


@dataclass
class ScenarioResult:
    scenario: Scenario
    sender: str
    steps: list[StepResult]
    seconds: float

    @property
    def passed(self) -> bool:
        return all(step.passed for step in self.steps)

    @property
    def failed_step(self) -> StepResult | None:
        return next((step for step in self.steps if step.played and not step.passed), None)

    @property
    def status(self) -> Status:
        if self.scenario.known_bug:
            return "bug_fixed" if self.passed else "known_bug"
        return "passed" if self.passed else "failed"

    @property
    def counts_as_failure(self) -> bool:
        return self.status == "failed"


def sender_id(scenario: Scenario) -> str:
    """A fresh conversation id that says which scenario it comes from."""
    ascii_name = unicodedata.normalize("NFKD", scenario.path.stem).encode("ascii", "ignore")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.decode().lower()).strip("-")[:40] or "scenario"
    return f"flow-{slug}-{uuid.uuid4().hex[:8]}"


def find_button(answer: Answer | None, title: str) -> Button | None:
    """The button of `answer` with this title (exactly, or else the only one containing it)."""
    if answer is None:
        return None
    wanted = normalize(title)
    exact = [b for b in answer.buttons if normalize(b.title) == wanted]
    if exact:
        return exact[0]
    partial = {b.payload: b for b in answer.buttons if wanted and wanted in normalize(b.title)}
    return next(iter(partial.values())) if len(partial) == 1 else None


class Player:
    def __init__(self, rasa_url: str, wording: Wording, client: httpx.Client | None = None):
        self.rasa_url = rasa_url
        self.wording = wording
        self.client = client or httpx.Client()

    def play(self, scenario: Scenario) -> ScenarioResult:
        started = time.monotonic()
        # The same metadata as the web widget's: the console files the conversation under
        # the scenario's territory even before a commune is given.
        metadata = {"scenario": scenario.path.name}
        if scenario.territory:
            metadata["territory"] = scenario.territory
        conversation = Conversation(self.client, self.rasa_url, sender_id(scenario), metadata)
        results: list[StepResult] = []
        last: Answer | None = None
        for step in scenario.steps:
            if results and not results[-1].passed:
                results.append(StepResult(step, played=False))
                continue
            result = self._step(conversation, step, last)
            last = result.turns[-1].answer if result.turns else last
            results.append(result)
        return ScenarioResult(scenario, conversation.sender, results, time.monotonic() - started)

    def _step(self, conversation: Conversation, step: Step, last: Answer | None) -> StepResult:
        result = StepResult(step)
        try:
            if step.kind == "say":
                self._send(conversation, result, step.text, step.text)
            elif step.kind == "click":
                button = find_button(last, step.text)
                if button is None:
                    offered = ", ".join(f"« {b.title} »" for b in (last.buttons if last else []))
                    result.error = (
                        f"aucun bouton « {step.text} » dans la réponse précédente ; "
                        f"boutons proposés : {offered or 'aucun'}"
                    )
                    return result
                self._send(conversation, result, f"[bouton] {button.title}", button.payload)
            else:
                self._answer_until_recommendation(conversation, step, last, result)
        except AssistantError as error:
            result.error = str(error)
        if result.error is None:
            answer = result.turns[-1].answer if result.turns else last
            result.answer = answer
            result.checks = evaluate(step.expect, answer or Answer(), self.wording)
        return result

    def _send(
        self,
        conversation: Conversation,
        result: StepResult,
        said: str,
        sent: str,
        asked: str | None = None,
    ) -> Answer:
        started = time.monotonic()
        answer = conversation.send(sent)
        result.turns.append(Turn(said, sent, answer, time.monotonic() - started, asked))
        return answer

    def _answer_until_recommendation(
        self, conversation: Conversation, step: Step, answer: Answer | None, result: StepResult
    ) -> None:
        previous: str | None = None
        previous_reply: str | None = None
        for _ in range(MAX_HELPER_TURNS):
            if answer is not None and self.wording.has_recommendation(answer):
                return
            asked = self.wording.asked_fields(answer) if answer else []
            if not asked:
                result.error = (
                    "l'assistant n'a ni posé de question du profil ni présenté "
                    f"d'aides ; sa réponse : {quote(answer.text if answer else '')}"
                )
                return
            joint = self.wording.joint_asked(answer)
            current = " et ".join(joint.fields) if joint else asked[-1]
            if current == previous:
                said = previous_reply or ""
                result.error = (
                    f"la réponse {quote(said)} à la question "
                    f"« {current} » n'a pas été comprise : l'assistant a reposé la "
                    f"question ({quote(answer.text, 140)})"
                )
                return
            if joint is not None:
                missing = [field for field in joint.fields if field not in step.answers]
                if missing:
                    result.error = (
                        f"l'assistant demande « {current} » en une question "
                        f"({quote(joint.text, 70)}) mais le tableau "
                        f"« repond_jusqu_a_recommandation » ne prévoit pas de réponse pour "
                        f"« {', '.join(missing)} »"
                    )
                    return
                title = joint_reply(joint, step.answers, self.wording.dont_know)
                button = find_button(answer, title)
                previous_reply = title
                if button is None:
                    answer = self._send(conversation, result, title, title, current)
                else:
                    answer = self._send(
                        conversation, result, f"[bouton] {button.title}", button.payload, current
                    )
                previous = current
                continue
            if current not in step.answers:
                result.error = (
                    f"l'assistant demande « {current} » "
                    f"({quote(self.wording.questions[current], 70)}) mais le tableau "
                    f"« repond_jusqu_a_recommandation » ne prévoit pas de réponse ; "
                    f'ajoutez par exemple « {current}: "je ne sais pas" »'
                )
                return
            reply = step.answers[current]
            previous_reply = reply
            button = (
                find_button(answer, reply)
                if normalize(reply) in {normalize(b.title) for b in answer.buttons}
                else None
            )
            if button:
                answer = self._send(
                    conversation, result, f"[bouton] {button.title}", button.payload, current
                )
            else:
                answer = self._send(conversation, result, reply, reply, current)
            previous = current
        result.error = f"toujours pas de recommandation après {MAX_HELPER_TURNS} réponses"
