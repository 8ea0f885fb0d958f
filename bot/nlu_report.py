"""Turn the results of `rasa test nlu` (cross-validation and held-out file) into
docs/nlu/README.md, with the confusion matrices. Called by scripts/nlu_report.sh."""

from __future__ import annotations

import json
import shutil
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from bot.bench import machine

INTENT_TARGET, HELD_OUT_INTENT_TARGET, HELD_OUT_ENTITY_TARGET = 0.92, 0.92, 0.85


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _entity_report(folder: Path) -> dict:
    for name in ("DIETClassifier_report.json", "CRFEntityExtractor_report.json"):
        if (folder / name).exists():
            return _load(folder / name)
    return {}


def _micro_f1(report: dict) -> float:
    return report.get("micro avg", report.get("weighted avg", {})).get("f1-score", 0.0)


def _confusions(errors: list[dict], limit: int = 12) -> list[str]:
    """The most frequent (true intent → predicted intent) pairs, as Markdown table rows."""
    pairs = Counter(
        (e.get("intent"), (e.get("intent_prediction") or {}).get("name")) for e in errors
    )
    return [
        f"| {true} | {predicted} | {count} |"
        for (true, predicted), count in pairs.most_common(limit)
    ]


def main(results: str, docs: str) -> int:
    results_dir, docs_dir = Path(results), Path(docs)
    docs_dir.mkdir(parents=True, exist_ok=True)
    cv_intents = _load(results_dir / "cv" / "intent_report.json")
    cv_entities = _entity_report(results_dir / "cv")
    held_intents = _load(results_dir / "heldout" / "intent_report.json")
    held_entities = _entity_report(results_dir / "heldout")
    cv_f1 = cv_intents.get("macro avg", {}).get("f1-score", 0.0)
    held_accuracy = held_intents.get("accuracy", 0.0)
    held_entity_f1 = _micro_f1(held_entities)
    cv_entity_f1 = _micro_f1(cv_entities)
    confusions = _confusions(_load(results_dir / "cv" / "intent_errors.json") or [])
    rows = []
    for intent, values in sorted(cv_intents.items()):
        if isinstance(values, dict) and "support" in values and " avg" not in intent:
            held = held_intents.get(intent, {})
            rows.append(
                f"| {intent} | {values['precision']:.3f} | {values['recall']:.3f} | "
                f"{values['f1-score']:.3f} | {values['support']} | "
                f"{held.get('f1-score', float('nan')):.3f} | {held.get('support', 0)} |"
            )
    for folder, name in (("cv", "cv"), ("heldout", "heldout")):
        for picture in ("intent_confusion_matrix.png", "DIETClassifier_confusion_matrix.png"):
            source = results_dir / folder / picture
            if source.exists():
                shutil.copy(source, docs_dir / f"{name}_{picture}")

    def verdict(value: float, target: float) -> str:
        return "atteint" if value >= target else "**non atteint**"

    today = date.today().isoformat()
    intent_header = (
        "| intention | précision (VC) | rappel (VC) | F1 (VC) | exemples"
        " | F1 (test séparé) | exemples (test) |"
    )
    intents_cv = f"{cv_f1:.3f} | ≥ {INTENT_TARGET} ({verdict(cv_f1, INTENT_TARGET)})"
    intents_held = (
        f"{held_accuracy:.3f} | ≥ {HELD_OUT_INTENT_TARGET}"
        f" ({verdict(held_accuracy, HELD_OUT_INTENT_TARGET)})"
    )
    entities_held = (
        f"{held_entity_f1:.3f} | ≥ {HELD_OUT_ENTITY_TARGET}"
        f" ({verdict(held_entity_f1, HELD_OUT_ENTITY_TARGET)})"
    )
    text = f"""# Qualité de la compréhension (NLU)

Mesurée le {today} avec `make nlu-report` sur : {machine()}.

| mesure | valeur | objectif |
|---|---|---|
| validation croisée 5 plis, F1 macro des intentions | {intents_cv} |
| fichier de test séparé, exactitude des intentions | {intents_held} |
| fichier de test séparé, F1 des entités (DIET) | {entities_held} |
| validation croisée 5 plis, F1 des entités (DIET, pour information) | {cv_entity_f1:.3f} | — |

Le fichier de test séparé (`tests/nlu_heldout.yml`) a été écrit à part des données
d'entraînement (`data/nlu/`) et n'est jamais utilisé pour entraîner.

## Par intention

{intent_header}
|------|---|---|---|---|---|
{chr(10).join(rows)}

Matrices de confusion : `cv_intent_confusion_matrix.png` (validation croisée) et
`heldout_intent_confusion_matrix.png` (test séparé), dans ce dossier. Les essais qui ont
conduit au pipeline de `config.yml` sont décrits dans `essais.md`.
{_confusion_section(confusions)}"""
    (docs_dir / "README.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


def _confusion_section(rows: list[str]) -> str:
    if not rows:
        return ""
    return (
        "\n## Confusions les plus fréquentes (validation croisée)\n\n"
        "| intention attendue | intention prédite | exemples |\n|---|---|---|\n"
        + "\n".join(rows)
        + "\n"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
