"""NLU component: what the words around a place say.

- A commune followed by its department or region (« Saint-Louis la Réunion », « Saint-Louis
  974 », « Saint-Louis (Haut-Rhin) ») becomes one `commune` entity holding both, so the place
  resolver can tell homonyms apart without asking which one.
- A neighbourhood of the catalogue's QPV list (the `quartier` lookup, data/nlu/quartiers.yml)
  after « j'habite », « je vis »… adds a `habite_qpv` entity (value true); after « mon local
  est », « je m'installe », « ouvrir »… an `implante_qpv` entity (value true). The slots of the
  same names take them; the recap says them back so the person can correct them.

Runs after the extractors (the `departement` and `quartier` lookups, DIET's communes)."""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from rasa_extensions.french_numbers import fold
from rasa_extensions.stateless import StatelessComponent

NAME = "PlaceContext"
# Between a commune and its department: « , », « ( », « à la », « en », « dans le »…
LINK = re.compile(r"[\s,(\-]*(?:(?:a|en|dans|sur|de|du|dept|departement)\s+)?(?:la\s+|le\s+|l')?")
DEPARTMENT_NUMBER = re.compile(
    r"(97[1-6]|2a|2b|0[1-9]|[1-8]\d|9[0-5])\b(?!\s*(?:ans?|€|euros?|k\b|%))"
)
LIVES = re.compile(
    r"\b(j'?\s?habite|jhabite|n'?\s?habite|habite|je (?:ne )?vis|j'?\s?y vis|je (?:ne )?reside|"
    r"je (?:ne )?loge|on (?:n'?\s?)?habite|on (?:ne )?vit|nous habitons|"
    r"habitante?s? (?:de|du|des|d')|domicilie|domiciliee|je suis de|je viens)\b"
)
WORKS = re.compile(
    r"\b(mon local|mes locaux|ma boutique|mon magasin|mon commerce|mon entreprise|mon atelier|"
    r"mon restaurant|mon snack|mon salon|installe|installee|implante|implantee|m'?\s?installer|"
    r"je m'?\s?installe|ouvrir|ouvre|s'installer|situe|situee|base|basee|siege)\b"
)
NEGATION = re.compile(r"\b(?:n'|ne |pas\b|plus\b|jamais\b)")
# A cue counts for the neighbourhood that follows it in the same clause.
CLAUSE_END = re.compile(r"[.;!?]|\bet\b|\bmais\b")


def _entity(kind: str, value: Any, start: int, end: int) -> dict[str, Any]:
    return {
        ENTITY_ATTRIBUTE_TYPE: kind,
        ENTITY_ATTRIBUTE_VALUE: value,
        ENTITY_ATTRIBUTE_START: start,
        ENTITY_ATTRIBUTE_END: end,
        EXTRACTOR: NAME,
    }


def qualify_communes(text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Communes with the department or region said right after them; the `departement`
    entities thus used are dropped."""
    folded = fold(text)
    departments = [e for e in entities if e.get(ENTITY_ATTRIBUTE_TYPE) == "departement"]
    used: set[int] = set()
    out = []
    for entity in entities:
        if entity.get(ENTITY_ATTRIBUTE_TYPE) != "commune":
            out.append(entity)
            continue
        end = int(entity.get(ENTITY_ATTRIBUTE_END, 0))
        link = LINK.match(folded, end)
        after = link.end() if link else end
        new_end = None
        for department in departments:
            if int(department.get(ENTITY_ATTRIBUTE_START, -1)) in range(end, after + 1):
                new_end = int(department[ENTITY_ATTRIBUTE_END])
                used.add(id(department))
        number = DEPARTMENT_NUMBER.match(folded, after) if new_end is None else None
        if number and not folded[end:after].strip(" ,(-"):
            new_end = number.end()  # « Saint-Louis 974 », « Saint-Louis (974) »
        if new_end is None:
            out.append(entity)
            continue
        if text[new_end : new_end + 1] == ")":
            new_end += 1
        start = int(entity.get(ENTITY_ATTRIBUTE_START, 0))
        out.append(
            {**entity, ENTITY_ATTRIBUTE_VALUE: text[start:new_end], ENTITY_ATTRIBUTE_END: new_end}
        )
    return [e for e in out if id(e) not in used]


def neighbourhood_roles(text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`habite_qpv` / `implante_qpv` entities for the neighbourhoods said to be home or work."""
    folded = fold(text)
    added = []
    for entity in entities:
        if entity.get(ENTITY_ATTRIBUTE_TYPE) != "quartier":
            continue
        start, end = int(entity[ENTITY_ATTRIBUTE_START]), int(entity[ENTITY_ATTRIBUTE_END])
        before = folded[:start]
        clauses = CLAUSE_END.split(before)
        clause = clauses[-1] if clauses else before
        for pattern, kind in ((LIVES, "habite_qpv"), (WORKS, "implante_qpv")):
            cues = list(pattern.finditer(clause))
            if cues:
                cue = cues[-1]
                cue_start = start - len(clause) + cue.start()
                # « je n'habite pas à la Mosson », « je n'habite plus aux Fourches »
                said = NEGATION.search(clause[max(0, cue.start() - 3) :]) is None
                added.append(_entity(kind, said, cue_start, end))
    return added


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class PlaceContext(StatelessComponent):
    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            entities = list(message.get(ENTITIES) or [])
            if not text or not entities:
                continue
            entities = qualify_communes(text, entities)
            entities += neighbourhood_roles(text, entities)
            message.set(
                ENTITIES,
                sorted(entities, key=lambda e: e.get(ENTITY_ATTRIBUTE_START, 0)),
                add_to_output=True,
            )
        return messages

    def process_training_data(self, training_data: Any) -> Any:
        return training_data
