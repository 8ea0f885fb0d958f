"""Entities of the held-out file measured on their values, as the actions receive them: each
(entity, value) the model gives, after its synonyms and lookups, against the annotated value
normalised by the training data's synonyms (rasa_extensions/nlu_folds.py, `examples`).

Rasa's own entity report compares token labels, so « existe » read as a stade scores as well
as « creation ». Here a value counts only if it is the expected one and, for the entities with
a closed list (secteur, stade, statut, besoin), one of the contract's values. The predictions
come from the files `rasa test nlu --successes` writes for each extractor
(`<extractor>_successes.json`, `<extractor>_errors.json`: each message with its full list of
predicted entities); a message in none of them has no annotated and no predicted entity.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalog.corrections import ENTITY_VALUES

RASA_FILES_NOT_ENTITIES = ("intent_", "response_selection_")


@dataclass
class Scores:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 0.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 0.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    @property
    def support(self) -> int:
        return self.true_positives + self.false_negatives


@dataclass
class EntityMeasure:
    per_entity: dict[str, Scores] = field(default_factory=dict)
    total: Scores = field(default_factory=Scores)
    # (text, expected values, predicted values) of each message with a wrong or missing value
    errors: list[tuple[str, list[str], list[str]]] = field(default_factory=list)
    # annotated values that the synonyms do not bring to a contract value
    outside_contract: Counter[tuple[str, str]] = field(default_factory=Counter)


def predictions(folder: Path) -> dict[str, list[dict[str, Any]]] | None:
    """Text → predicted entities, from Rasa's entity success and error files (None: none)."""
    found: dict[str, list[dict[str, Any]]] = {}
    files = sorted(folder.glob("*_successes.json")) + sorted(folder.glob("*_errors.json"))
    files = [path for path in files if not path.name.startswith(RASA_FILES_NOT_ENTITIES)]
    if not files:
        return None
    for path in files:
        for row in json.loads(path.read_text(encoding="utf-8")):
            found[row["text"]] = row.get("predicted_entities") or []
    return found


def _in_contract(entity: str, value: str) -> bool:
    allowed = ENTITY_VALUES.get(entity)
    return allowed is None or value in allowed


def _pairs(entities: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(str(e["entity"]), str(e["value"]).strip()) for e in entities}


def measure(
    examples: list[dict[str, Any]], predicted: dict[str, list[dict[str, Any]]]
) -> EntityMeasure:
    """Per entity precision, recall and F1 of the normalised values on `examples`."""
    result = EntityMeasure()
    for example in examples:
        expected = _pairs(example.get("entities") or [])
        got = _pairs(predicted.get(example["text"], []))
        valid = {pair for pair in got if _in_contract(*pair)}
        result.outside_contract.update(pair for pair in expected if not _in_contract(*pair))
        right = expected & valid
        for entity in {name for name, _ in expected | got}:
            scores = result.per_entity.setdefault(entity, Scores())
            counts = (
                len({p for p in right if p[0] == entity}),
                len({p for p in got - right if p[0] == entity}),
                len({p for p in expected - right if p[0] == entity}),
            )
            scores.true_positives += counts[0]
            scores.false_positives += counts[1]
            scores.false_negatives += counts[2]
            result.total.true_positives += counts[0]
            result.total.false_positives += counts[1]
            result.total.false_negatives += counts[2]
        if right != expected or right != got:
            result.errors.append(
                (
                    example["text"],
                    sorted(f"{e}={v}" for e, v in expected),
                    sorted(f"{e}={v}" for e, v in got),
                )
            )
    result.per_entity = dict(sorted(result.per_entity.items()))
    return result


def measure_files(examples_file: Path, results: Path) -> EntityMeasure | None:
    """The measure from the files of `make nlu-report`, or None if one of them is missing."""
    found = predictions(results)
    if found is None or not examples_file.exists():
        return None
    return measure(json.loads(examples_file.read_text(encoding="utf-8")), found)
