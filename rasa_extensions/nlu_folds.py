"""The NLU data as Rasa reads it, written down for the measures of `make nlu-report` that run
outside Rasa: the cross-validation folds (so that the TF-IDF baseline, nlu_baseline.py, is
scored on exactly the folds DIET is scored on) and the examples of the held-out file with
their entities' values normalised as the trained model normalises them.

Rasa 3.6 splits with sklearn's `StratifiedKFold(shuffle=True)` and no seed
(rasa/nlu/test.py, `generate_folds`): the split comes from numpy's global random state, so each
run of `rasa test nlu --cross-validation` has its own. Here numpy is seeded just before Rasa's
own `generate_folds` runs, and every fold it yields is recorded:

    python -m rasa_extensions.nlu_folds cross-validate SEED FOLDS.json -- test nlu --nlu …
        Rasa's cross-validation (its command line, unchanged), folds recorded;
    python -m rasa_extensions.nlu_folds folds SEED N DATA FOLDS.json
        the same folds without any training (seconds);
    python -m rasa_extensions.nlu_folds examples TEST_DATA TRAINING_DATA EXAMPLES.json
        each held-out example: text, intent, entities with the value the action receives
        (the annotated values through the training data's synonyms, then through the rules of
        the components that follow the extractors: see `normalised`).

Both commands load the data as `rasa test nlu` does (TrainingDataImporter with domain.yml,
then the intents with fewer examples than folds dropped), so the same seed gives the same
folds. A fold file is a JSON list of {"fold", "text", "intent"}: each example once, in the
fold where it is tested.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DOMAIN = "domain.yml"


def _load(path: str) -> Any:
    """The NLU training data at `path` (file or folder), loaded as `rasa test nlu` loads it."""
    from rasa.shared.importers.importer import TrainingDataImporter

    importer = TrainingDataImporter.load_from_dict(
        training_data_paths=[path], domain_path=DOMAIN if Path(DOMAIN).exists() else None
    )
    return importer.get_nlu_data()


def seeded_folds(n: int, data: Any, seed: int, original: Any = None) -> list[tuple[Any, Any]]:
    """Rasa's own folds of `data` (its `generate_folds`), numpy's global state seeded first."""
    import numpy as np
    from rasa.nlu import test as nlu_test

    np.random.seed(seed)
    return list((original or nlu_test.generate_folds)(n, data))


def fold_rows(folds: list[tuple[Any, Any]]) -> list[dict[str, Any]]:
    """Each test example of each fold, as written in the fold file."""
    return [
        {"fold": index, "text": example.get("text"), "intent": example.get_full_intent()}
        for index, (_, test) in enumerate(folds)
        for example in test.intent_examples
    ]


def _write(path: str, rows: list[dict[str, Any]]) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")


def write_folds(seed: int, n: int, data_path: str, out: str) -> None:
    from rasa.nlu.test import drop_intents_below_freq

    data = drop_intents_below_freq(_load(data_path), cutoff=n)
    _write(out, fold_rows(seeded_folds(n, data, seed)))


def cross_validate(seed: int, out: str, rasa_args: list[str]) -> None:
    """Rasa's command line with its `generate_folds` seeded and recorded into `out`."""
    from rasa import __main__ as rasa_main
    from rasa.nlu import test as nlu_test

    original = nlu_test.generate_folds

    def recorded(n: int, data: Any) -> Iterator[tuple[Any, Any]]:
        folds = seeded_folds(n, data, seed, original)
        _write(out, fold_rows(folds))
        yield from folds

    nlu_test.generate_folds = recorded
    sys.argv = ["rasa", *rasa_args]
    rasa_main.main()


def synonyms(data: Any) -> dict[str, str]:
    """The lookup table EntitySynonymMapper learns from `data` (its `train`, Rasa 3.6):
    lower-cased text → value, with the values' own lower-cased self-references."""
    table: dict[str, str] = {}

    def add(text: object, value: object) -> None:
        if value is None:
            return
        text, value = str(text), str(value)
        if text != value:
            table[text.lower()] = value
        table.setdefault(value.lower(), value)

    for text, value in list(data.entity_synonyms.items()):
        add(text, value)
    for example in data.entity_examples:
        for entity in example.get("entities", []):
            add(example.get("text")[entity["start"] : entity["end"]], entity.get("value"))
    return table


def normalised(text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the components after the extractors (config.yml) make of annotated entities, so
    that the expected values are those the actions receive (docs/contrat.md, issue 16): the
    numbers as numbers (« vingt-neuf » → 29, « 40 000 euros » → 40000), a business some years
    old in development, a commune joined to the department said after it, and a named QPV
    after « j'habite » or « mon local est » as `habite_qpv` / `implante_qpv`. The rules are
    the components' own (profile_numbers.py, place_context.py), applied to the annotated
    words instead of the extracted ones: the measure still scores what the model extracts."""
    from rasa_extensions.place_context import neighbourhood_roles, qualify_communes
    from rasa_extensions.profile_numbers import OWNED, read_number, with_stage

    out = []
    for entity in entities:
        number = read_number(entity["value"]) if entity["entity"] in OWNED else None
        out.append(entity if number is None else {**entity, "value": number})
    out = qualify_communes(text, with_stage(out))
    return sorted(out + neighbourhood_roles(text, out), key=lambda e: int(e["start"]))


def write_examples(test_path: str, training_path: str, out: str) -> None:
    """The held-out examples, each entity's value normalised by the training data's synonyms
    (what EntitySynonymMapper makes of the annotated value), then by `normalised`."""
    table = synonyms(_load(training_path))
    rows = []
    for example in _load(test_path).nlu_examples:
        text = example.get("text")
        annotated = []
        for entity in example.get("entities", []):
            value = str(entity.get("value"))
            annotated.append(
                {
                    "entity": entity["entity"],
                    "value": table.get(value.lower(), value),
                    "start": entity["start"],
                    "end": entity["end"],
                }
            )
        entities = [
            {"entity": e["entity"], "text": text[e["start"] : e["end"]], "value": e["value"]}
            for e in normalised(text, annotated)
        ]
        rows.append({"text": text, "intent": example.get("intent"), "entities": entities})
    _write(out, rows)


def main(argv: list[str]) -> int:
    command, *args = argv
    if command == "folds":
        write_folds(int(args[0]), int(args[1]), args[2], args[3])
    elif command == "cross-validate":
        rasa_args = args[3:] if args[2:3] == ["--"] else args[2:]
        cross_validate(int(args[0]), args[1], rasa_args)
    elif command == "examples":
        write_examples(args[0], args[1], args[2])
    else:
        print(f"unknown command {command!r}: folds, cross-validate or examples", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
