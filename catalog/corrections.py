"""NLU corrections: a misunderstood message marked by an advisor with the right intent and
entities, in Rasa's training syntax, then exported as a Rasa NLU file.

Pure logic, no web: parsing an annotated example (`[texte](entite)`,
`[texte](entite:valeur)`, `[texte]{"entity": "secteur", "value": "commerce"}`), checking it
against the original message and the NLU taxonomy of the contract (§2: the intents and entities
of domain.yml), prefilling an annotation from the predicted entities, and writing the export.
Every error message is French: the console shows them as they are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from catalog.labels import INTENT_LABELS
from catalog.privacy import has_contact_details
from catalog.profile import ENUMS

PROJECT_DIR = Path(__file__).resolve().parent.parent
DOMAIN_FILE = PROJECT_DIR / "domain.yml"
NLU_DIR = PROJECT_DIR / "data" / "nlu"
MAX_LENGTH = 2000  # as the assistant: longer messages are not understood at all
EXPORT_FILE_NAME = "corrections-nlu.yml"

# French labels of the intents and entities: catalog/data/labels.yml (catalog/labels.py).
# Entities with a closed list of canonical values (contract §2), from the profile's enums.
ENTITY_VALUES: dict[str, tuple[str, ...]] = {
    "secteur": ENUMS["secteur"],
    "stade": ENUMS["stade"],
    "statut": ENUMS["statut"],
    "besoin": ENUMS["besoins"],
}
ALLOWED_KEYS = ("entity", "value")

# Rasa 3.6's own pattern (rasa/shared/nlu/training_data/entities_parser.py), so that the plain
# text computed here is the one Rasa computes when it trains on the export.
ENTITY_REGEX = re.compile(
    r"\[(?P<entity_text>[^\]]+?)\](\((?P<entity>[^:)]+?)(?:\:(?P<value>[^)]+))?\)"
    r"|\{(?P<entity_dict>[^}]+?)\}|\[(?P<list_entity_dicts>.*?)\])"
)
EXAMPLE = '[épicerie]{"entity": "secteur", "value": "commerce"}'


class CorrectionError(ValueError):
    """An annotated example cannot be kept; `errors` are French sentences, one per problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(" ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Entity:
    start: int  # offsets in the plain text
    end: int
    text: str
    entity: str
    value: str  # the value Rasa will train on (explicit, else the text)


@dataclass(frozen=True)
class Annotation:
    text: str  # the plain text (annotations removed)
    annotated: str  # the example as it will be exported
    entities: tuple[Entity, ...]


# --- the taxonomy ------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _domain() -> dict[str, Any]:
    return yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8")) or {}


def contract_intents() -> tuple[str, ...]:
    """The assistant's intents, from domain.yml (the 15 of the contract)."""
    return tuple(str(name) for name in _domain().get("intents") or ())


def contract_entities() -> tuple[str, ...]:
    return tuple(str(name) for name in _domain().get("entities") or ())


def intent_choices() -> list[tuple[str, str]]:
    """(intent, French label) for a select, in the domain's order."""
    return [(name, INTENT_LABELS.get(name, name)) for name in contract_intents()]


@lru_cache(maxsize=1)
def synonyms() -> dict[str, str]:
    """What EntitySynonymMapper maps (lower-cased text → canonical value), from data/nlu/."""
    mapping: dict[str, str] = {}
    for path in sorted(NLU_DIR.glob("*.yml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in content.get("nlu") or ():
            if isinstance(block, dict) and "synonym" in block:
                for raw in str(block.get("examples") or "").splitlines():
                    line = raw.strip()
                    if line.startswith("-"):
                        mapping[line[1:].strip().lower()] = str(block["synonym"])
    return mapping


# --- text ----------------------------------------------------------------------------------


def normalize_message(text: str) -> str:
    """One line, single spaces, no control character: how a message becomes an example."""
    text = "".join(" " if (ord(c) < 32 or 127 <= ord(c) < 160) else c for c in text or "")
    return " ".join(text.split())


def annotate(message: str, entities: Iterable[dict[str, Any]]) -> str:
    """The message annotated with predicted entities (Rasa's parse: start, end, entity, value),
    the starting point an advisor corrects. Overlapping or unknown entities are left out."""
    known = set(contract_entities())
    spans = []
    for found in entities:
        try:
            start, end = int(found["start"]), int(found["end"])
            name = str(found["entity"])
        except (KeyError, TypeError, ValueError):
            continue
        if name not in known or not 0 <= start < end <= len(message):
            continue
        text = message[start:end]
        start += len(text) - len(text.lstrip())
        end -= len(text) - len(text.rstrip())
        text = message[start:end]
        if not text or any(c in text for c in "[]()\n{}"):
            continue
        value = found.get("value")
        spans.append((start, end, name, text if value is None else str(value)))
    spans.sort()
    parts, position = [], 0
    for start, end, name, value in spans:
        if start < position:
            continue  # the same words found by two extractors: keep the first
        text = message[start:end]
        parts.append(message[position:start])
        parts.append(_annotation(text, name, value))
        position = end
    parts.append(message[position:])
    return normalize_message("".join(parts))


def _annotation(text: str, entity: str, value: str) -> str:
    if value == text:
        return f"[{text}]({entity})"
    return f"[{text}]" + json.dumps({"entity": entity, "value": value}, ensure_ascii=False)


# --- parsing and checking ---------------------------------------------------------------


def parse_annotation(annotated: str) -> tuple[Annotation, list[str]]:
    """The example read as Rasa reads it, and the French errors found in its annotations."""
    annotated = normalize_message(annotated)
    entities: list[Entity] = []
    errors: list[str] = []
    plain: list[str] = []
    position = 0
    known = contract_entities()
    for number, match in enumerate(ENTITY_REGEX.finditer(annotated), start=1):
        plain.append(annotated[position : match.start()])
        start = sum(len(part) for part in plain)
        text = match.group("entity_text")
        plain.append(text)
        position = match.end()
        where = f"Annotation {number} « {match.group(0)} »"
        if match.group("list_entity_dicts") is not None:
            errors.append(
                f"{where} : une seule entité par groupe de mots (écrivez par exemple {EXAMPLE})."
            )
            continue
        if match.group("entity_dict") is not None:
            name, value, problem = _read_dict(match.group("entity_dict"))
            if problem:
                errors.append(f"{where} : {problem}")
                continue
        else:
            name = match.group("entity").strip()
            value = match.group("value").strip() if match.group("value") else None
        if text != text.strip():
            errors.append(
                f"{where} : le texte entre crochets ne doit commencer ni finir par une espace."
            )
            continue
        if name not in known:
            errors.append(
                f"{where} : l'entité « {name} » n'existe pas (entités possibles : "
                f"{', '.join(known)})."
            )
            continue
        problem = _check_value(name, text, value)
        value = text if value is None else value
        if problem:
            errors.append(f"{where} : {problem}")
            continue
        entities.append(Entity(start, start + len(text), text, name, value))
    plain.append(annotated[position:])
    return Annotation("".join(plain), annotated, tuple(entities)), errors


def _read_dict(content: str) -> tuple[str, str | None, str | None]:
    """(entity, value, error) of a `{"entity": …, "value": …}` annotation."""
    try:
        data = json.loads("{" + content + "}")
    except json.JSONDecodeError:
        return (
            "",
            None,
            (
                f"le texte entre accolades n'est pas écrit correctement (guillemets "
                f"droits, deux-points, virgule ; exemple : {EXAMPLE})."
            ),
        )
    if not isinstance(data, dict) or not isinstance(data.get("entity"), str):
        return "", None, f'il manque le nom de l\'entité ("entity" ; exemple : {EXAMPLE}).'
    others = sorted(set(data) - set(ALLOWED_KEYS))
    if others:
        return (
            "",
            None,
            (f'seuls "entity" et "value" sont acceptés entre accolades (pas {", ".join(others)}).'),
        )
    value = data.get("value")
    if value is not None and (not isinstance(value, str) or not value.strip()):
        return "", None, 'la valeur ("value") doit être un texte non vide.'
    return data["entity"].strip(), value.strip() if value else None, None


def _check_value(entity: str, text: str, explicit: str | None) -> str | None:
    """An enumerated entity needs a canonical value: given explicitly, or the text itself
    when it is a canonical value or one of the NLU data's synonyms."""
    canonical = ENTITY_VALUES.get(entity)
    value = text if explicit is None else explicit
    if (
        canonical
        and value not in canonical
        and (explicit is not None or synonyms().get(text.lower()) not in canonical)
    ):
        example = _annotation(text, entity, canonical[0])
        return (
            f"« {value} » n'est pas une valeur de l'entité {entity} : indiquez-la, par "
            f"exemple {example} (valeurs possibles : {', '.join(canonical)})."
        )
    if entity == "code_postal" and not re.fullmatch(r"\d{5}", value):
        return "un code postal s'écrit avec 5 chiffres."
    return None


def validate_correction(message: str, intent: str, annotated: str) -> Annotation:
    """The checked example for `message` (the user's original text), or CorrectionError."""
    errors: list[str] = []
    original = normalize_message(message)
    if not original:
        raise CorrectionError(["Ce message est vide : il ne peut pas servir d'exemple."])
    if original.startswith("/"):
        raise CorrectionError(
            ["Ce message est le clic d'un bouton, pas un texte écrit : il n'y a rien à corriger."]
        )
    if len(original) > MAX_LENGTH:
        raise CorrectionError(
            [
                (
                    f"Ce message dépasse {MAX_LENGTH} caractères : l'assistant ne "
                    f"l'analyse pas, il ne peut pas servir d'exemple."
                )
            ]
        )
    if has_contact_details(original):
        raise CorrectionError(
            [
                (
                    "Ce message contient une adresse e-mail ou un numéro de "
                    "téléphone : il ne peut pas devenir un exemple d'entraînement."
                )
            ]
        )
    if intent not in contract_intents():
        errors.append("Choisissez l'intention parmi celles de l'assistant.")
    if not normalize_message(annotated):
        errors.append("Le texte annoté est vide : recopiez le message, avec ses annotations.")
        raise CorrectionError(errors)
    if len(annotated) > 4 * MAX_LENGTH:
        errors.append("Le texte annoté est trop long.")
        raise CorrectionError(errors)
    annotation, problems = parse_annotation(annotated)
    errors.extend(problems)
    if not problems and annotation.text != original:
        errors.append(
            f"Sans les annotations, le texte doit être exactement le message "
            f"d'origine : « {original} » ; on lit : « {annotation.text} ». Vérifiez "
            f"les crochets, parenthèses et accolades."
        )
    if errors:
        raise CorrectionError(errors)
    return annotation


# --- export ----------------------------------------------------------------------------------


def export_yaml(corrections: Iterable[tuple[str, str]]) -> str:
    """The Rasa NLU file (version 3.1) of (intent, annotated) pairs, oldest first.

    One `- intent:` block per intent, in the domain's order; the same example is kept once;
    a message corrected twice with different intents keeps the latest correction."""
    latest: dict[str, tuple[str, str]] = {}
    for intent, annotated in corrections:
        annotation, errors = parse_annotation(annotated)
        if errors or intent not in contract_intents():
            continue  # checked when saved; never export something Rasa would refuse
        key = annotation.text.lower()
        latest.pop(key, None)  # re-insert: the latest correction, in its place
        latest[key] = (intent, annotation.annotated)
    by_intent: dict[str, list[str]] = {}
    for intent, example in latest.values():
        examples = by_intent.setdefault(intent, [])
        if example not in examples:
            examples.append(example)
    count = sum(len(examples) for examples in by_intent.values())
    lines = [
        (
            "# Exemples corrigés dans la console des conseillers "
            f"({count} exemple{'s' if count != 1 else ''})."
        ),
        "# À ajouter dans data/nlu/ (par exemple data/nlu/corrections.yml), puis : make train",
        'version: "3.1"',
    ]
    if not by_intent:
        return "\n".join([*lines, "nlu: []", ""])
    lines.append("nlu:")
    for intent in contract_intents():
        if intent not in by_intent:
            continue
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {example}" for example in by_intent[intent]]
    return "\n".join(lines) + "\n"
