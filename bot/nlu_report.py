"""Turn the results of `make nlu-report` into docs/nlu/: Rasa's cross-validation and held-out
results (`rasa test nlu`), the TF-IDF baseline scored on the same folds
(rasa_extensions/nlu_baseline.py) and the held-out entities measured on their normalised values
(bot/nlu_entities.py). Writes README.md (the project's pipeline beside the baseline, with the
confusion matrices) and reference-tfidf.md (the baseline alone, which `make nlu-baseline`
refreshes in seconds). Called by scripts/nlu_report.sh; `--heldout` only prints the held-out
figures (`make nlu-heldout`).
"""

from __future__ import annotations

import json
import shutil
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from bot.bench import machine
from bot.nlu_entities import EntityMeasure, measure_files

INTENT_TARGET, HELD_OUT_INTENT_TARGET, HELD_OUT_ENTITY_TARGET = 0.92, 0.92, 0.92
BASELINE = (
    "TF-IDF des mots (1 à 2) et des caractères dans les mots (2 à 5), puis régression"
    " logistique (`rasa_extensions/nlu_baseline.py`, réglages fixés d'avance, jamais ajustés"
    " sur ces données)"
)
MAX_ERRORS = 25
INTENT_HEADER = (
    "| intention | F1 (VC) | F1 (VC, TF-IDF) | précision (VC) | rappel (VC) | exemples"
    " | F1 (test séparé) | F1 (test, TF-IDF) | exemples (test) |\n"
    "|---|---|---|---|---|---|---|---|---|"
)


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _entity_report(folder: Path) -> dict[str, Any]:
    for name in ("DIETClassifier_report.json", "CRFEntityExtractor_report.json"):
        if (folder / name).exists():
            report: dict[str, Any] = _load(folder / name)
            return report
    return {}


def _micro_f1(report: dict[str, Any]) -> float:
    value: float = report.get("micro avg", report.get("weighted avg", {})).get("f1-score", 0.0)
    return value


def _macro_f1(report: dict[str, Any]) -> float:
    value: float = report.get("macro avg", {}).get("f1-score", 0.0)
    return value


def _intents(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: values
        for name, values in report.items()
        if isinstance(values, dict) and "support" in values and " avg" not in name
    }


def _f1(report: dict[str, Any], intent: str) -> str:
    values = _intents(report).get(intent)
    return f"{values['f1-score']:.3f}" if values else "—"


def _confusions(errors: list[dict[str, Any]], limit: int = 12) -> list[str]:
    """The most frequent (true intent → predicted intent) pairs, as Markdown table rows."""
    pairs = Counter(
        (e.get("intent"), (e.get("intent_prediction") or {}).get("name")) for e in errors
    )
    return [
        f"| {true} | {predicted} | {count} |"
        for (true, predicted), count in pairs.most_common(limit)
    ]


def verdict(value: float, target: float) -> str:
    return "atteint" if value >= target else "**non atteint**"


def winner(ours: float, baseline: float) -> str:
    """One French sentence: which of the two wins on cross-validation macro-F1."""
    if not baseline:
        return "La référence TF-IDF n'a pas été mesurée."
    if ours > baseline:
        return (
            f"Le pipeline du projet **l'emporte** sur la référence TF-IDF en validation croisée :"
            f" F1 macro {ours:.3f} contre {baseline:.3f} ({ours - baseline:+.3f})."
        )
    return (
        f"**La référence TF-IDF l'emporte** (ou fait jeu égal) en validation croisée : F1 macro"
        f" {baseline:.3f} contre {ours:.3f} pour le pipeline du projet ({ours - baseline:+.3f})."
    )


def _folds_note(results: Path, recorded: bool) -> str:
    """How many examples and folds, and where the folds come from."""
    rows = _load(results / "folds.json") or []
    folds = len({row["fold"] for row in rows})
    origin = (
        "ceux de la validation croisée de Rasa, enregistrés pendant qu'elle tournait"
        if recorded
        else "tirés par la fonction de Rasa avec la graine de `make nlu-report`, donc ceux"
        " qu'aurait sa validation croisée sur les mêmes données"
    )
    return (
        f"{len(rows)} exemples en {folds} plis, {origin}"
        f" (`{results}/folds.json`, `rasa_extensions/nlu_folds.py`)"
    )


def reference_page(results: Path, today: str, recorded: bool = True) -> str:
    """docs/nlu/reference-tfidf.md: the baseline alone."""
    cv = _load(results / "baseline" / "cv_report.json")
    held = _load(results / "baseline" / "heldout_report.json")
    per_fold = ", ".join(f"{value:.3f}" for value in cv.get("folds_macro_f1", []))
    rows = [
        f"| {name} | {values['f1-score']:.3f} | {values['support']} | {_f1(held, name)} |"
        for name, values in sorted(_intents(cv).items())
    ]
    return f"""# Référence simple pour la compréhension (TF-IDF)

Mesurée le {today} sur : {machine()}.

Classifieur d'intentions : {BASELINE}. Validation croisée sur {_folds_note(results, recorded)} ;
puis entraîné sur toutes les données de `data/nlu/` et testé sur `tests/nlu_heldout.yml`.
`make nlu-baseline` refait cette page en une minute de calcul environ, sans entraîner le pipeline du
projet ; `make nlu-report` la refait aussi et place la comparaison dans `README.md`.

| mesure | valeur |
|---|---|
| validation croisée, F1 macro des intentions | {_macro_f1(cv):.3f} |
| validation croisée, F1 macro de chaque pli | {per_fold or "—"} |
| validation croisée, exactitude | {cv.get("accuracy", 0.0):.3f} |
| fichier de test séparé, F1 macro des intentions | {_macro_f1(held):.3f} |
| fichier de test séparé, exactitude | {held.get("accuracy", 0.0):.3f} |

| intention | F1 (VC) | exemples | F1 (test séparé) |
|---|---|---|---|
{chr(10).join(rows)}
"""


def _entity_section(found: EntityMeasure | None) -> str:
    if found is None:
        return ""
    rows = [
        f"| {name} | {s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} | {s.support} |"
        for name, s in found.per_entity.items()
    ]
    total = found.total
    errors = [
        f"| {text} | {', '.join(expected) or '—'} | {', '.join(got) or '—'} |"
        for text, expected, got in found.errors[:MAX_ERRORS]
    ]
    outside = ", ".join(f"{e}={v} ({n})" for (e, v), n in sorted(found.outside_contract.items()))
    return f"""
## Entités du fichier de test séparé, valeurs normalisées

La valeur comparée est celle que reçoivent les actions : la sortie du modèle après ses
synonymes, ses tables de recherche et les composants de `rasa_extensions/`, face à la valeur
annotée ramenée de la même façon, par les synonymes de `data/nlu/` puis par les règles de ces
composants appliquées aux mots annotés (nombres en chiffres, commune jointe au département qui
la suit, `habite_qpv` ou `implante_qpv` d'après un quartier annoté, stade `developpement` d'une
entreprise qui a des années). Pour secteur, stade, statut et besoin, seule une valeur du
contrat compte (« existe » pour un stade est une erreur même si le mot est bien repéré).

| entité | précision | rappel | F1 | attendues |
|---|---|---|---|---|
{chr(10).join(rows)}
| **toutes** | {total.precision:.3f} | {total.recall:.3f} | **{total.f1:.3f}** | {total.support} |

Annotations du test séparé sans valeur du contrat après les synonymes : {outside or "aucune"}.

Messages dont une valeur manque ou est fausse ({len(found.errors)}, {MAX_ERRORS} au plus ici) :

| message | attendu | obtenu |
|---|---|---|
{chr(10).join(errors)}
"""


def main(results: str, docs: str) -> int:
    results_dir, docs_dir = Path(results), Path(docs)
    docs_dir.mkdir(parents=True, exist_ok=True)
    today = date.today().isoformat()
    page = reference_page(results_dir, today)
    (docs_dir / "reference-tfidf.md").write_text(page, encoding="utf-8")
    cv_intents = _load(results_dir / "cv" / "intent_report.json")
    cv_entities = _entity_report(results_dir / "cv")
    held_intents = _load(results_dir / "heldout" / "intent_report.json")
    held_entities = _entity_report(results_dir / "heldout")
    base_cv = _load(results_dir / "baseline" / "cv_report.json")
    base_held = _load(results_dir / "baseline" / "heldout_report.json")
    entities = measure_files(results_dir / "heldout_examples.json", results_dir / "heldout")
    cv_f1, base_f1 = _macro_f1(cv_intents), _macro_f1(base_cv)
    held_accuracy = held_intents.get("accuracy", 0.0)
    confusions = _confusions(_load(results_dir / "cv" / "intent_errors.json") or [])
    rows = [
        f"| {intent} | {values['f1-score']:.3f} | {_f1(base_cv, intent)} | "
        f"{values['precision']:.3f} | {values['recall']:.3f} | {values['support']} | "
        f"{_f1(held_intents, intent)} | {_f1(base_held, intent)} | "
        f"{_intents(held_intents).get(intent, {}).get('support', 0)} |"
        for intent, values in sorted(_intents(cv_intents).items())
    ]
    for folder in ("cv", "heldout"):
        for picture in ("intent_confusion_matrix.png", "DIETClassifier_confusion_matrix.png"):
            source = results_dir / folder / picture
            if source.exists():
                shutil.copy(source, docs_dir / f"{folder}_{picture}")

    beats = cv_f1 >= INTENT_TARGET and cv_f1 > base_f1
    intents_cv = (
        f"{cv_f1:.3f} | ≥ {INTENT_TARGET} et au-dessus de la référence TF-IDF ({base_f1:.3f})"
        f" ({'atteint' if beats else '**non atteint**'})"
    )
    intents_held = (
        f"{held_accuracy:.3f} | ≥ {HELD_OUT_INTENT_TARGET}"
        f" ({verdict(held_accuracy, HELD_OUT_INTENT_TARGET)})"
    )
    entity_f1 = entities.total.f1 if entities else 0.0
    entities_held = (
        f"{entity_f1:.3f} | ≥ {HELD_OUT_ENTITY_TARGET}"
        f" ({verdict(entity_f1, HELD_OUT_ENTITY_TARGET)})"
        if entities
        else "non mesuré | ≥ 0.92"
    )

    cv_accuracy = cv_intents.get("accuracy", 0.0)
    folds_note = _folds_note(results_dir, recorded=True)
    token_rows = (
        "| fichier de test séparé, F1 des entités (DIET, étiquettes des jetons, pour"
        f" information) | {_micro_f1(held_entities):.3f} | — |\n"
        "| validation croisée 5 plis, F1 des entités (DIET, pour information) |"
        f" {_micro_f1(cv_entities):.3f} | — |"
    )

    def side(ours: float, baseline: float) -> str:
        return f"{ours:.3f} | {baseline:.3f} | {ours - baseline:+.3f}"

    text = f"""# Qualité de la compréhension (NLU)

Mesurée le {today} avec `make nlu-report` sur : {machine()}.

| mesure | valeur | objectif |
|---|---|---|
| validation croisée 5 plis, F1 macro des intentions | {intents_cv} |
| fichier de test séparé, exactitude des intentions | {intents_held} |
| fichier de test séparé, F1 des valeurs d'entités normalisées | {entities_held} |
{token_rows}

Le fichier de test séparé (`tests/nlu_heldout.yml`) a été écrit à part des données
d'entraînement (`data/nlu/`) et n'est jamais utilisé pour entraîner.

## Le pipeline du projet face à une référence simple

Référence : {BASELINE}. Elle est entraînée et testée sur les mêmes plis que le pipeline du
projet ({folds_note}), puis entraînée sur toutes les données et testée sur le fichier de
test séparé. Ses chiffres seuls : `reference-tfidf.md`.

| mesure | pipeline du projet (DIET) | référence TF-IDF | écart |
|---|---|---|---|
| validation croisée, F1 macro des intentions | {side(cv_f1, base_f1)} |
| validation croisée, exactitude | {side(cv_accuracy, base_cv.get("accuracy", 0.0))} |
| test séparé, F1 macro des intentions | {side(_macro_f1(held_intents), _macro_f1(base_held))} |
| test séparé, exactitude | {side(held_accuracy, base_held.get("accuracy", 0.0))} |

{winner(cv_f1, base_f1)}

## Par intention

{INTENT_HEADER}
{chr(10).join(rows)}

Matrices de confusion : `cv_intent_confusion_matrix.png` (validation croisée) et
`heldout_intent_confusion_matrix.png` (test séparé), dans ce dossier. Les essais qui ont
conduit au pipeline de `config.yml` sont décrits dans `essais.md` ; les mesures partielles
entre deux rapports et les erreurs relevées à la main, dans [journal.md](journal.md).
{_entity_section(entities)}{_confusion_section(confusions)}"""
    (docs_dir / "README.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


def baseline_only(results: str, docs: str) -> int:
    """`make nlu-baseline`: only reference-tfidf.md, README.md left as it is."""
    page = reference_page(Path(results), date.today().isoformat(), recorded=False)
    Path(docs).mkdir(parents=True, exist_ok=True)
    (Path(docs) / "reference-tfidf.md").write_text(page, encoding="utf-8")
    print(page)
    return 0


def heldout_only(results: str) -> int:
    """`make nlu-heldout`: the held-out file's intent accuracy and normalised entity values,
    printed; docs/nlu/ is left as it is (the figures go there by hand, or by `make
    nlu-report`)."""
    results_dir = Path(results)
    intents = _load(results_dir / "heldout" / "intent_report.json")
    entities = measure_files(results_dir / "heldout_examples.json", results_dir / "heldout")
    accuracy = intents.get("accuracy", 0.0)
    entity_f1 = f"{entities.total.f1:.3f}" if entities else "non mesuré"
    print(
        f"Fichier de test séparé, {date.today().isoformat()} : exactitude des intentions"
        f" {accuracy:.3f}, F1 macro des intentions {_macro_f1(intents):.3f}, F1 des valeurs"
        f" d'entités normalisées {entity_f1} (objectif ≥ {HELD_OUT_ENTITY_TARGET})."
    )
    print(_entity_section(entities))
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
    if sys.argv[1] == "--baseline":
        sys.exit(baseline_only(sys.argv[2], sys.argv[3]))
    if sys.argv[1] == "--heldout":
        sys.exit(heldout_only(sys.argv[2]))
    sys.exit(main(sys.argv[1], sys.argv[2]))
