"""Wording of the questions and messages the actions send (data/dialogue.yml)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml

from catalog.files import DATA_DIR

ENTITY_OF_FIELD = {"besoins": "besoin"}  # the NLU entity that fills a profile field


@lru_cache(maxsize=1)
def _wording() -> dict[str, Any]:
    wording: dict[str, Any] = yaml.safe_load(
        (DATA_DIR / "dialogue.yml").read_text(encoding="utf-8")
    )
    return wording


def of(name: str) -> str:
    """« de Roubaix », « d'Orly et Choisy-le-Roi », « de la Métropole… » stays as written."""
    return f"d'{name}" if name[:1].upper() in "AEIOUYÂÉÈÊÎÔÛ" else f"de {name}"


def message(key: str, **values: Any) -> str:
    template = _wording()["messages"][key]
    text: str = template["text"] if isinstance(template, dict) else template
    return text.format(**values)


def buttons(key: str) -> list[dict[str, str]]:
    template = _wording()["messages"][key]
    return list(template.get("buttons", [])) if isinstance(template, dict) else []


def question(field: str) -> tuple[str, list[dict[str, str]]]:
    """The question asking for a profile field, with its quick-reply buttons."""
    spec = _wording()["questions"][field]
    choices: list[dict[str, str]] = []
    if spec.get("yes_no"):
        choices += [{"title": "Oui", "payload": "/affirmer"}, {"title": "Non", "payload": "/nier"}]
    entity = ENTITY_OF_FIELD.get(field, field)
    for option in spec.get("options", []):
        payload = option.get("text") or "/informer" + json.dumps(
            {entity: option["value"]}, ensure_ascii=False, separators=(",", ":")
        )
        choices.append({"title": option["title"], "payload": payload})
    title = spec["dont_know"] if "dont_know" in spec else _wording()["dont_know"]
    if title and field not in ("commune", "code_postal"):
        choices.append({"title": title, "payload": "je ne sais pas"})
    return spec["text"], choices


@dataclass(frozen=True)
class JointQuestion:
    """One question for several yes/no facts (dialogue.yml, `questions_jointes`)."""

    fields: tuple[str, ...]
    text: str
    options: tuple[tuple[str, dict[str, bool]], ...]  # button title -> the facts it sets

    def buttons(self) -> list[dict[str, str]]:
        """One button per option, setting every fact at once, then « Je ne sais pas »."""
        choices = [
            {
                "title": title,
                "payload": "/informer"
                + json.dumps(values, ensure_ascii=False, separators=(",", ":")),
            }
            for title, values in self.options
        ]
        return [*choices, {"title": _wording()["dont_know"], "payload": "je ne sais pas"}]


def joint_questions() -> list[JointQuestion]:
    return [
        JointQuestion(
            fields=tuple(spec["fields"]),
            text=spec["text"],
            options=tuple((option["title"], dict(option["values"])) for option in spec["options"]),
        )
        for spec in _wording().get("questions_jointes", {}).values()
    ]


def joint_question(fields: tuple[str, ...]) -> JointQuestion | None:
    """The question that asks exactly these facts together, if dialogue.yml has one."""
    return next((q for q in joint_questions() if set(q.fields) == set(fields)), None)


def message_with_buttons(key: str, **values: Any) -> tuple[str, list[dict[str, str]]]:
    return message(key, **values), buttons(key)


def asked_fields() -> list[str]:
    return list(_wording()["questions"])


def refine_label(field: str) -> str:
    """The title of the « Pour affiner » button that asks for `field` after the results."""
    return message("affiner_bouton", sujet=_wording()["questions"][field]["affiner"])


def fiche_wording() -> dict[str, Any]:
    """The « Ma fiche » checklist wording: what to bring, always, by situation, by aid type."""
    fiche: dict[str, Any] = _wording()["fiche"]
    return fiche
