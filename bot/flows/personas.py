"""Simulated people (tests/personas/*.yml): who they are, what they say first, how they answer
each profile question, which aids they must and must not get — read and validated with the
same precise French errors as the scenario files (bot/flows/loader.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode

from bot.flows.loader import (
    NULL_TAG,
    ScenarioFileError,
    Vocabulary,
    _Reader,
    _suggestion,
    default_vocabulary,
    quoted,
)

PERSONA_KEYS = (
    "nom",
    "description",
    "territoire",
    "style",
    "premier_message",
    "deja_dit",
    "reponses",
    "aides_attendues",
    "aides_interdites",
    "tours_max",
)
STYLES = ("sms", "soutenu", "courant", "sans_accents", "long", "un_fait_par_message", "fautes")
DEFAULT_MAX_TURNS = 10
MAX_TURNS_LIMIT = 30


@dataclass(frozen=True)
class Persona:
    path: Path
    name: str
    first_message: str
    answers: dict[str, str]  # profile field -> what the person types, or a button
    already_said: tuple[str, ...] = ()  # fields the first message already states
    expected: tuple[str, ...] = ()  # aid ids the results must show
    forbidden: tuple[str, ...] = ()  # aid ids the results must never show
    territory: str | None = None
    styles: tuple[str, ...] = ()
    description: str = ""
    max_turns: int = DEFAULT_MAX_TURNS


class PersonaFileError(ScenarioFileError):
    """A person file cannot be played; every problem with its line."""


def load_persona(path: Path, vocabulary: Vocabulary | None = None) -> Persona:
    """The person of `path`, or PersonaFileError listing every problem found."""
    reader = _PersonaReader(path, vocabulary or default_vocabulary())
    persona = reader.read_persona()
    if reader.problems or persona is None:
        raise PersonaFileError(path, reader.problems)
    return persona


class _PersonaReader(_Reader):
    def read_persona(self) -> Persona | None:
        root = self.compose()
        if self.problems:
            return None
        if root is None or not isinstance(root, MappingNode):
            self.error(
                root,
                "une personne commence par des clés « nom: », « premier_message: », « reponses: »…",
            )
            return None
        keys = self.mapping(root, PERSONA_KEYS, "en tête de la personne")
        for required in ("nom", "premier_message", "reponses"):
            if required not in keys:
                self.error(root, f"la clé « {required} » est obligatoire.")
        name = self.text(keys["nom"], "nom") if "nom" in keys else None
        first = (
            self.text(keys["premier_message"], "premier_message")
            if "premier_message" in keys
            else None
        )
        description = (
            self.text(keys["description"], "description") if "description" in keys else None
        )
        territory = self.territory(keys["territoire"]) if "territoire" in keys else None
        styles = self.styles(keys["style"]) if "style" in keys else ()
        answers = self.answers_of(keys["reponses"]) if "reponses" in keys else {}
        already = self.fields_of(keys["deja_dit"], "deja_dit") if "deja_dit" in keys else ()
        for field_name in already:
            if field_name not in answers:
                self.error(
                    keys["deja_dit"],
                    f"le champ « {field_name} » est dans « deja_dit » mais pas dans "
                    "« reponses » : donnez la réponse que la personne ferait si l'assistant "
                    "lui reposait la question.",
                )
        expected = (
            self.aids(keys["aides_attendues"], "aides_attendues")
            if "aides_attendues" in keys
            else ()
        )
        forbidden = (
            self.aids(keys["aides_interdites"], "aides_interdites")
            if "aides_interdites" in keys
            else ()
        )
        both = set(expected) & set(forbidden)
        if both:
            self.error(
                root,
                f"{quoted(sorted(both))} est à la fois dans « aides_attendues » et dans "
                "« aides_interdites ».",
            )
        max_turns = self.max_turns(keys["tours_max"]) if "tours_max" in keys else DEFAULT_MAX_TURNS
        if self.problems or not name or not first:
            return None
        return Persona(
            path=self.path,
            name=name,
            first_message=first,
            answers=answers,
            already_said=already,
            expected=expected,
            forbidden=forbidden,
            territory=territory,
            styles=styles,
            description=description or "",
            max_turns=max_turns,
        )

    def styles(self, node: Node) -> tuple[str, ...]:
        found = []
        for item, value in self.items(node, "style"):
            if value in STYLES:
                found.append(value)
            else:
                self.error(
                    item,
                    f"style inconnu « {value} ».{_suggestion(value, STYLES)} "
                    f"Styles possibles : {', '.join(STYLES)}.",
                )
        return tuple(found)

    def answers_of(self, node: Node) -> dict[str, str]:
        if not isinstance(node, MappingNode) or not node.value:
            self.error(
                node,
                "« reponses » doit être un tableau « champ: réponse », par exemple "
                '« implante_qpv: "Oui" ».',
            )
            return {}
        answers: dict[str, str] = {}
        allowed = self.vocabulary.answerable_fields
        for field_node, value_node in node.value:
            name = field_node.value if isinstance(field_node, ScalarNode) else ""
            if name in answers:
                self.error(field_node, f"le champ « {name} » apparaît deux fois dans « reponses ».")
                continue
            if name not in allowed:
                self.error(
                    field_node,
                    f"champ inconnu « {name} » dans « reponses ».{_suggestion(name, allowed)} "
                    f"Champs possibles : {', '.join(allowed)}.",
                )
                continue
            value = self.text(value_node, name)
            if value:
                answers[name] = value
        return answers

    def fields_of(self, node: Node, key: str) -> tuple[str, ...]:
        found = []
        allowed = self.vocabulary.answerable_fields
        for item, value in self.items(node, key):
            if value in allowed:
                found.append(value)
            else:
                self.error(
                    item,
                    f"champ inconnu « {value} » dans « {key} ».{_suggestion(value, allowed)} "
                    f"Champs possibles : {', '.join(allowed)}.",
                )
        return tuple(found)

    def max_turns(self, node: Node) -> int:
        raw = node.value if isinstance(node, ScalarNode) and node.tag != NULL_TAG else ""
        if not str(raw).isdigit() or not 1 <= int(raw) <= MAX_TURNS_LIMIT:
            self.error(
                node, f"« tours_max » est un nombre de messages entre 1 et {MAX_TURNS_LIMIT}."
            )
            return DEFAULT_MAX_TURNS
        return int(raw)
