"""Evaluating a step's expectations against the assistant's answer.

The texts the assistant sends come from catalog/data/dialogue.yml (questions, recommendation,
handoff) and from the catalogue (aid names): the checks read the same sources, so a change of
wording there does not break the scenarios.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from bot.flows.assistant import Answer, Button
from bot.flows.model import Expectations

if TYPE_CHECKING:
    from catalog.dialogue import JointQuestion

AID_LINE = re.compile(r"^\s*\d+\.\s+(.+?)\s*$")


def normalize(text: str) -> str:
    """For comparisons: case, typographic apostrophes and spaces do not matter."""
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"[\u2019\u2018\u02bc`]", "'", text)
    text = re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " "))
    return text.strip().casefold()


def template_pattern(template: str) -> re.Pattern[str]:
    """A message template of dialogue.yml (with {placeholders}) as a regular expression."""
    parts = re.split(r"\{[^{}]*\}", template)
    return re.compile(".+?".join(re.escape(normalize(part)) for part in parts), re.DOTALL)


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    label: str  # what was expected, in French
    reason: str = ""  # why it failed


@dataclass(frozen=True)
class Wording:
    """What the assistant says, as the checks need it."""

    questions: dict[str, str]  # field -> question text
    recommendation_intros: tuple[str, ...]
    handoff_offer: str  # template of the offer to be called back
    handoff_done: str  # template of the confirmation
    aid_names: dict[str, str]  # aid id -> catalogue name
    dont_know: str = "Je ne sais pas"  # the button every question but commune/code_postal has
    joint: tuple[JointQuestion, ...] = ()  # questions asking several fields at once

    def asked_fields(self, answer: Answer) -> list[str]:
        """The profile fields whose question the answer asks, in order (every field of a
        joint question)."""
        asked: list[str] = []
        for text in answer.texts:
            said = normalize(text)
            asked += [
                field
                for field, question in self.questions.items()
                if normalize(question) in said and field not in asked
            ]
            for joint in self.joint:
                if normalize(joint.text) in said:
                    asked += [field for field in joint.fields if field not in asked]
        return asked

    def joint_asked(self, answer: Answer) -> JointQuestion | None:
        """The joint question the answer asks, if any."""
        return next(
            (
                joint
                for joint in self.joint
                for text in answer.texts
                if normalize(joint.text) in normalize(text)
            ),
            None,
        )

    def has_recommendation(self, answer: Answer) -> bool:
        return any(
            normalize(text).startswith(normalize(intro))
            for text in answer.texts
            for intro in self.recommendation_intros
        )

    def presented_aids(self, answer: Answer) -> list[str]:
        """Names of the aids presented as a numbered list (« 1. Nom de l'aide »)."""
        names = []
        for text in answer.texts:
            first_line = text.strip().splitlines()[0] if text.strip() else ""
            match = AID_LINE.match(first_line)
            if match:
                names.append(match.group(1))
        return names


@lru_cache(maxsize=1)
def default_wording() -> Wording:
    from catalog.dialogue import _wording, asked_fields, joint_questions, message, question
    from catalog.engine import open_catalog

    return Wording(
        questions={field: question(field)[0] for field in asked_fields()},
        joint=tuple(joint_questions()),
        recommendation_intros=(message("aides_intro"), message("aucune_aide")),
        handoff_offer=raw_message("rappel_proposition"),
        handoff_done=raw_message("demande_enregistree"),
        aid_names={aid["id"]: aid["name"] for aid in open_catalog().files.aids},
        dont_know=str(_wording()["dont_know"]),
    )


def joint_reply(joint: JointQuestion, answers: dict[str, str], dont_know: str) -> str:
    """The button a person clicks on a joint question, given its planned answer to each field
    (« Oui », « non », « je ne sais pas »…): the option whose facts match, a fact the person
    does not know counting as « no » (« Mon domicile » for a home in a QPV and a business it
    does not know about); « Je ne sais pas » when it knows none of them."""
    from catalog.profile import parse_yes_no

    facts = {field: parse_yes_no(answers.get(field, "")) for field in joint.fields}
    if all(value is None for value in facts.values()):
        return dont_know
    wanted = {field: bool(value) for field, value in facts.items()}
    return next((title for title, values in joint.options if values == wanted), dont_know)


def raw_message(key: str) -> str:
    """The template of a dialogue.yml message, its placeholders kept as {name}."""
    from catalog.dialogue import message

    values: dict[str, str] = {}
    for _ in range(20):
        try:
            return message(key, **values)
        except KeyError as missing:
            values[missing.args[0]] = "{" + missing.args[0] + "}"
    raise ValueError(f"message {key}: too many placeholders")


def quote(text: str, limit: int = 90) -> str:
    flat = re.sub(r"\s+", " ", text).strip()
    return f"« {flat if len(flat) <= limit else flat[: limit - 1].rstrip() + '…'} »"


def _around(haystack: str, needle: str, width: int = 50) -> str:
    """The passage of `haystack` where `needle` occurs (compared normalized)."""
    flat = re.sub(r"\s+", " ", haystack)
    position = normalize(flat).find(normalize(needle))
    if position < 0:
        return quote(flat)
    start, end = max(0, position - width), position + len(needle) + width
    return (
        "« "
        + ("…" if start else "")
        + flat[start:end].strip()
        + ("…" if end < len(flat) else "")
        + " »"
    )


def _button_list(buttons: list[Button]) -> str:
    titles = list(dict.fromkeys(b.title for b in buttons))
    return ", ".join(f"« {t} »" for t in titles) if titles else "aucun bouton"


def evaluate(expect: Expectations, answer: Answer, wording: Wording) -> list[CheckResult]:
    """Every expectation of a step, each with its verdict, in the order of the file."""
    said = normalize(answer.text)
    results: list[CheckResult] = []
    if not answer.texts:
        results.append(
            CheckResult(False, "répond quelque chose", "l'assistant n'a rien répondu à ce message")
        )
    for text in expect.contains:
        ok = normalize(text) in said
        results.append(
            CheckResult(
                ok, f"dit {quote(text)}", "" if ok else "ce texte n'apparaît pas dans la réponse"
            )
        )
    for text in expect.not_contains:
        ok = normalize(text) not in said
        reason = "" if ok else f"la réponse contient {_around(answer.text, text)}"
        results.append(CheckResult(ok, f"ne dit pas {quote(text)}", reason))
    presented = wording.presented_aids(answer)
    shown = ", ".join(presented) if presented else "aucune aide n'est présentée dans cette réponse"
    for aid_id in expect.recommends:
        name = wording.aid_names[aid_id]
        ok = normalize(name) in said
        results.append(
            CheckResult(
                ok, f"recommande « {name} » ({aid_id})", "" if ok else f"aides présentées : {shown}"
            )
        )
    for aid_id in expect.not_recommends:
        name = wording.aid_names[aid_id]
        ok = normalize(name) not in said
        where = next(
            (
                f"elle est présentée en position {i}"
                for i, n in enumerate(presented, 1)
                if normalize(n) == normalize(name)
            ),
            "son nom apparaît dans la réponse",
        )
        results.append(
            CheckResult(ok, f"ne recommande pas « {name} » ({aid_id})", "" if ok else where)
        )
    asked = wording.asked_fields(answer)
    asked_text = (
        ("l'assistant a demandé : " + ", ".join(asked))
        if asked
        else "l'assistant ne pose aucune question du profil dans cette réponse"
    )
    for field in expect.asks:
        ok = field in asked
        results.append(
            CheckResult(
                ok,
                f"demande « {field} » ({quote(wording.questions[field], 60)})",
                "" if ok else asked_text,
            )
        )
    for field in expect.not_asks:
        ok = field not in asked
        results.append(
            CheckResult(
                ok, f"ne demande pas « {field} »", "" if ok else "l'assistant pose cette question"
            )
        )
    titles = {normalize(b.title) for b in answer.buttons}
    for title in expect.buttons:
        ok = normalize(title) in titles
        results.append(
            CheckResult(
                ok,
                f"propose le bouton « {title} »",
                "" if ok else f"boutons proposés : {_button_list(answer.buttons)}",
            )
        )
    if expect.offers_handoff is not None:
        offered = bool(template_pattern(wording.handoff_offer).search(said))
        ok = offered == expect.offers_handoff
        label = (
            "propose d'être recontacté par un conseiller"
            if expect.offers_handoff
            else "ne propose pas d'être recontacté par un conseiller"
        )
        reason = (
            f"la proposition {quote(wording.handoff_offer, 70)} n'apparaît pas"
            if expect.offers_handoff
            else "la réponse propose d'être recontacté"
        )
        results.append(CheckResult(ok, label, "" if ok else reason))
    if expect.hands_off is not None:
        done = bool(template_pattern(wording.handoff_done).search(said))
        ok = done == expect.hands_off
        label = (
            "transmet la demande aux conseillers"
            if expect.hands_off
            else "ne transmet pas de demande aux conseillers"
        )
        reason = (
            f"la confirmation {quote(wording.handoff_done, 70)} n'apparaît pas"
            if expect.hands_off
            else "la réponse confirme une demande transmise"
        )
        results.append(CheckResult(ok, label, "" if ok else reason))
    return results
