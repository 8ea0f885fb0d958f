"""Reading and validating scenario files, with one precise French error per problem.

The file is read as YAML nodes (not plain values) so that every error gives its line, a
duplicated key is caught, and a text like `dit: 59100` or `dit: non` is taken as written.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.flows.model import Expectations, Scenario, Step

# --- the vocabulary of the files (French, for the advisors) ---------------------------------

TOP_KEYS = ("nom", "description", "territoire", "bug_connu", "etapes")
ACTION_KEYS = {
    "dit": "say",
    "clique": "click",
    "repond_jusqu_a_recommandation": "answer_until_recommendation",
}
STEP_KEYS = (*ACTION_KEYS, "attend")
EXPECT_KEYS = (
    "dit_contient",
    "dit_ne_contient_pas",
    "recommande",
    "ne_recommande_pas",
    "demande",
    "ne_demande_pas",
    "propose_boutons",
    "propose_mise_en_relation",
    "transmet",
)
OUTSIDE_TERRITORIES = "hors_territoire"
TRUE_WORDS = {"true", "oui", "vrai", "yes"}
FALSE_WORDS = {"false", "non", "faux", "no"}
NULL_TAG = "tag:yaml.org,2002:null"


def _yaml_problem(problem: str) -> str:
    if problem in YAML_PROBLEMS:
        return YAML_PROBLEMS[problem]
    if problem.startswith("expected <block end>"):
        return "l'indentation n'est pas cohérente"
    return problem


@dataclass(frozen=True)
class Vocabulary:
    """The names a scenario may use: aid ids, profile fields, territories."""

    aid_ids: frozenset[str]
    asked_fields: tuple[str, ...]  # fields the assistant asks about (`demande`)
    answerable_fields: tuple[str, ...]  # profile questions the helper step can answer
    profile_fields: tuple[str, ...]  # every field of the contract's profile
    territories: tuple[str, ...]


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    """From the catalogue (aid ids), the dialogue wording (questions) and the contract."""
    from catalog.dialogue import asked_fields
    from catalog.engine import open_catalog
    from catalog.profile import FIELDS, TERRITORY_IDS

    asked = tuple(asked_fields())
    return Vocabulary(
        aid_ids=frozenset(open_catalog().aids_by_id),
        asked_fields=asked,
        answerable_fields=tuple(f for f in asked if f in FIELDS),
        profile_fields=tuple(FIELDS),
        territories=(*TERRITORY_IDS, OUTSIDE_TERRITORIES),
    )


@dataclass(frozen=True)
class Problem:
    line: int | None
    message: str


class ScenarioFileError(Exception):
    """A scenario file cannot be played; `problems` says every reason, with its line."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        shown = display_path(self.path)
        return [
            f"{shown}, ligne {p.line} : {p.message}" if p.line else f"{shown} : {p.message}"
            for p in self.problems
        ]


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def quoted(items: Iterable[str]) -> str:
    return ", ".join(f"« {item} »" for item in items)


def quoted_and(items: Iterable[str]) -> str:
    words = [f"« {item} »" for item in items]
    return " et ".join([", ".join(words[:-1]), words[-1]]) if len(words) > 1 else "".join(words)


# PyYAML's usual complaints, as an advisor can act on them.
YAML_PROBLEMS = {
    "mapping values are not allowed here": (
        "un « : » inattendu — un texte qui contient « : » doit être entre guillemets"
    ),
    "found character '\\t' that cannot start any token": (
        "une tabulation — indentez avec des espaces"
    ),
    "found character '\t' that cannot start any token": (
        "une tabulation — indentez avec des espaces"
    ),
    "could not find expected ':'": "il manque « : » après une clé",
    "found unexpected end of stream": "un guillemet n'est pas refermé",
    "did not find expected key": "l'indentation n'est pas cohérente",
    "did not find expected '-' indicator": "l'indentation de la liste n'est pas cohérente",
    "expected <block end>, but found '-'": "un tiret « - » est mal aligné",
    "found undefined alias": "un « * » en début de texte — mettez le texte entre guillemets",
    "expected alphabetic or numeric character, but found ' '": (
        "un « * » ou « & » en début de texte — mettez le texte entre guillemets"
    ),
}


def _suggestion(word: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" Vouliez-vous dire « {close[0]} » ?" if close else ""


# --- reading ---------------------------------------------------------------------------------


def load_scenario(path: Path, vocabulary: Vocabulary | None = None) -> Scenario:
    """The scenario of `path`, or ScenarioFileError listing every problem found."""
    reader = _Reader(path, vocabulary or default_vocabulary())
    scenario = reader.read()
    if reader.problems or scenario is None:
        raise ScenarioFileError(path, reader.problems)
    return scenario


def scenario_files(arguments: list[str], default_dir: Path) -> tuple[list[Path], list[str]]:
    """The files to play (every *.yml of a folder) and the arguments that name nothing."""
    files: list[Path] = []
    missing: list[str] = []
    for argument in arguments or [str(default_dir)]:
        path = Path(argument)
        if path.is_dir():
            found = sorted([*path.glob("*.yml"), *path.glob("*.yaml")])
            if not found:
                missing.append(f"{argument} : aucun fichier .yml dans ce dossier")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            missing.append(f"{argument} : fichier introuvable")
    return list(dict.fromkeys(files)), missing


class _Reader:
    def __init__(self, path: Path, vocabulary: Vocabulary) -> None:
        self.path = path
        self.vocabulary = vocabulary
        self.problems: list[Problem] = []

    def error(self, node: Node | None, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else None
        self.problems.append(Problem(line, message))

    # -- the file

    def compose(self) -> Node | None:
        """The file's YAML tree; None (with the problem in French) when the file cannot be
        read as UTF-8 YAML, or is empty."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            self.error(
                None,
                "le fichier n'est pas enregistré en UTF-8 : réenregistrez-le en "
                "UTF-8 (c'est le réglage par défaut de la plupart des éditeurs).",
            )
            return None
        except OSError as error:
            self.error(None, f"fichier illisible ({error.strerror or error}).")
            return None
        try:
            root: Node | None = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            problem = str(error.problem or error.context or "")
            self.problems.append(
                Problem(
                    mark.line + 1 if mark else None,
                    f"ce n'est pas du YAML valide ({_yaml_problem(problem)}). Vérifiez "
                    "l'indentation (des espaces, jamais de tabulation) et mettez entre guillemets "
                    "les textes qui contiennent « : » ou « # ».",
                )
            )
            return None
        except yaml.YAMLError as error:
            self.error(None, f"ce n'est pas du YAML valide ({error}).")
            return None
        return root

    def read(self) -> Scenario | None:
        root = self.compose()
        if root is None:
            if not self.problems:
                self.error(
                    None, "le fichier est vide : un scénario a au moins « nom » et « etapes »."
                )
            return None
        if not isinstance(root, MappingNode):
            self.error(root, "le scénario doit commencer par des clés « nom: », « etapes: »…")
            return None
        keys = self.mapping(root, TOP_KEYS, "en tête du scénario")
        for required in ("nom", "etapes"):
            if required not in keys:
                self.error(root, f"la clé « {required} » est obligatoire.")
        name = self.text(keys["nom"], "nom") if "nom" in keys else None
        description = (
            self.text(keys["description"], "description") if "description" in keys else None
        )
        known_bug = self.text(keys["bug_connu"], "bug_connu") if "bug_connu" in keys else None
        territory = self.territory(keys["territoire"]) if "territoire" in keys else None
        steps = self.steps(keys["etapes"]) if "etapes" in keys else ()
        if self.problems or not name:
            return None
        return Scenario(
            path=self.path,
            name=name,
            steps=steps,
            territory=territory,
            description=description or "",
            known_bug=known_bug,
        )

    # -- generic node readers

    def mapping(self, node: MappingNode, allowed: Iterable[str], where: str) -> dict[str, Node]:
        allowed = tuple(allowed)
        found: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if key is None:
                self.error(key_node, f"clé illisible {where}.")
            elif key in found:
                self.error(key_node, f"la clé « {key} » apparaît deux fois {where}.")
            elif key not in allowed:
                self.error(
                    key_node,
                    f"clé inconnue « {key} » {where}."
                    f"{_suggestion(key, allowed)} Clés possibles : "
                    f"{quoted(allowed)}.",
                )
            else:
                found[key] = value_node
        return found

    def text(self, node: Node, key: str) -> str | None:
        if not isinstance(node, ScalarNode) or node.tag == NULL_TAG or not node.value.strip():
            self.error(
                node,
                f"« {key} » doit être un texte non vide"
                f"{' (pas une liste)' if isinstance(node, SequenceNode) else ''}.",
            )
            return None
        return node.value.strip()

    def items(self, node: Node, key: str) -> list[tuple[Node, str]]:
        """One text or a list of texts, each with its node."""
        nodes = node.value if isinstance(node, SequenceNode) else [node]
        if isinstance(node, SequenceNode) and not nodes:
            self.error(node, f"la liste « {key} » est vide.")
        found = [(item, self.text(item, key)) for item in nodes]
        return [(item, value) for item, value in found if value]

    def texts(self, node: Node, key: str) -> tuple[str, ...]:
        return tuple(value for _, value in self.items(node, key))

    def boolean(self, node: Node, key: str) -> bool | None:
        word = node.value.strip().lower() if isinstance(node, ScalarNode) else ""
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        self.error(node, f"« {key} » vaut « oui » ou « non » (ou true / false).")
        return None

    # -- the parts of a scenario

    def territory(self, node: Node) -> str | None:
        value = self.text(node, "territoire")
        if value is None:
            return None
        territory = value.lower()
        if territory not in self.vocabulary.territories:
            known = self.vocabulary.territories
            self.error(
                node,
                f"territoire inconnu « {value} ».{_suggestion(territory, known)}"
                f" Territoires possibles : {', '.join(known)}.",
            )
            return None
        return territory

    def steps(self, node: Node) -> tuple[Step, ...]:
        if not isinstance(node, SequenceNode) or not node.value:
            self.error(
                node,
                "« etapes » doit être une liste non vide d'étapes, chacune "
                "commençant par un tiret (« - dit: … »).",
            )
            return ()
        steps = []
        for number, item in enumerate(node.value, start=1):
            step = self.step(item, number)
            if step:
                steps.append(step)
        return tuple(steps)

    def step(self, node: Node, number: int) -> Step | None:
        where = f"dans l'étape {number}"
        if not isinstance(node, MappingNode):
            self.error(
                node,
                f'l\'étape {number} doit être de la forme « - dit: "…" » '
                "(une action, puis éventuellement « attend: »).",
            )
            return None
        keys = self.mapping(node, STEP_KEYS, where)
        actions = [key for key in ACTION_KEYS if key in keys]
        if not actions:
            if len(keys) == len(node.value):  # no unknown key already reported
                self.error(
                    node,
                    f"l'étape {number} ne dit pas ce que fait la personne : "
                    f"ajoutez {quoted(ACTION_KEYS)}.",
                )
            return None
        if len(actions) > 1:
            self.error(
                node,
                f"l'étape {number} contient à la fois {quoted_and(actions)} : "
                "une seule action par étape.",
            )
            return None
        action = actions[0]
        kind = ACTION_KEYS[action]
        if kind == "click" and number == 1:
            self.error(
                node,
                "la première étape ne peut pas être « clique » : "
                "l'assistant n'a encore proposé aucun bouton.",
            )
        if kind == "answer_until_recommendation" and number == 1:
            self.error(
                node,
                "la première étape ne peut pas être « repond_jusqu_a_"
                "recommandation » : commencez par « dit » (la description "
                "du projet), l'assistant posera alors ses questions.",
            )
        text, answers = "", {}
        if kind == "answer_until_recommendation":
            answers = self.answers(keys[action])
        else:
            text = self.text(keys[action], action) or ""
        expect = self.expectations(keys["attend"], number) if "attend" in keys else Expectations()
        return Step(
            number=number,
            line=node.start_mark.line + 1,
            kind=kind,
            text=text,
            answers=answers,
            expect=expect,
        )

    def answers(self, node: Node) -> dict[str, str]:
        key = "repond_jusqu_a_recommandation"
        if not isinstance(node, MappingNode) or not node.value:
            self.error(
                node,
                f"« {key} » doit être un tableau « champ: réponse », par exemple "
                '« implante_qpv: "oui" ».',
            )
            return {}
        answers: dict[str, str] = {}
        allowed = self.vocabulary.answerable_fields
        for field_node, value_node in node.value:
            field = field_node.value if isinstance(field_node, ScalarNode) else ""
            if field in answers:
                self.error(field_node, f"le champ « {field} » apparaît deux fois dans « {key} ».")
                continue
            if field not in allowed:
                reason = (
                    f"le champ « {field} » n'est jamais demandé par l'assistant (il le "
                    "déduit des autres réponses)."
                    if field in self.vocabulary.profile_fields
                    else f"champ inconnu « {field} » dans « {key} ».{_suggestion(field, allowed)}"
                )
                self.error(field_node, f"{reason} Champs possibles : {', '.join(allowed)}.")
                continue
            value = self.text(value_node, field)
            if value:
                answers[field] = value
        return answers

    def expectations(self, node: Node, number: int) -> Expectations:
        if not isinstance(node, MappingNode) or not node.value:
            self.error(
                node,
                f"« attend » de l'étape {number} doit contenir au moins une "
                f"attente, par exemple « dit_contient: … ». Attentes possibles : "
                f"{quoted(EXPECT_KEYS)}.",
            )
            return Expectations()
        keys = self.mapping(node, EXPECT_KEYS, f"dans « attend » de l'étape {number}")
        values: dict[str, object] = {}
        for key in ("dit_contient", "dit_ne_contient_pas", "propose_boutons"):
            if key in keys:
                values[key] = self.texts(keys[key], key)
        for key in ("recommande", "ne_recommande_pas"):
            if key in keys:
                values[key] = self.aids(keys[key], key)
        for key in ("demande", "ne_demande_pas"):
            if key in keys:
                values[key] = self.fields(keys[key], key)
        for key in ("propose_mise_en_relation", "transmet"):
            if key in keys:
                values[key] = self.boolean(keys[key], key)
        both = set(values.get("recommande", ())) & set(values.get("ne_recommande_pas", ()))
        if both:
            self.error(
                node,
                f"{quoted(sorted(both))} est à la fois dans « recommande » et "
                "dans « ne_recommande_pas ».",
            )
        return Expectations(
            contains=values.get("dit_contient", ()),
            not_contains=values.get("dit_ne_contient_pas", ()),
            recommends=values.get("recommande", ()),
            not_recommends=values.get("ne_recommande_pas", ()),
            asks=values.get("demande", ()),
            not_asks=values.get("ne_demande_pas", ()),
            buttons=values.get("propose_boutons", ()),
            offers_handoff=values.get("propose_mise_en_relation"),
            hands_off=values.get("transmet"),
        )

    def aids(self, node: Node, key: str) -> tuple[str, ...]:
        ids = []
        for item, value in self.items(node, key):
            aid_id = value.lower()
            if aid_id in self.vocabulary.aid_ids:
                ids.append(aid_id)
            else:
                hint = _suggestion(aid_id, self.vocabulary.aid_ids)
                self.error(
                    item,
                    f"aide inconnue « {value} » dans « {key} ».{hint}"
                    " Utilisez l'identifiant du catalogue (par exemple "
                    "« pret-honneur-quartier ») ; la liste complète : "
                    "« qp catalog export --format csv » (colonne id).",
                )
        return tuple(ids)

    def fields(self, node: Node, key: str) -> tuple[str, ...]:
        fields = []
        asked = self.vocabulary.asked_fields
        for item, value in self.items(node, key):
            if value in asked:
                fields.append(value)
            elif value in self.vocabulary.profile_fields:
                self.error(
                    item,
                    f"le champ « {value} » n'est jamais demandé par l'assistant "
                    f"(il le déduit des autres réponses). Champs demandés : "
                    f"{', '.join(asked)}.",
                )
            else:
                hint = _suggestion(value, asked)
                self.error(
                    item,
                    f"champ inconnu « {value} » dans « {key} ».{hint}"
                    f" Champs possibles : {', '.join(asked)}.",
                )
        return tuple(fields)
