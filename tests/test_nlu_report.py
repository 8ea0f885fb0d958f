"""`make nlu-report` turns Rasa's evaluation files, the TF-IDF baseline's reports and the
held-out entities' normalised values into docs/nlu/README.md and docs/nlu/reference-tfidf.md."""

from __future__ import annotations

import json

from bot.nlu_entities import measure
from bot.nlu_report import baseline_only, heldout_only, main


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def _intent(f1, support):
    return {"precision": f1, "recall": f1, "f1-score": f1, "support": support}


def _entity(entity, value):
    return {"entity": entity, "value": value, "start": 0, "end": 1, "extractor": "DIETClassifier"}


EXAMPLES = [
    {
        "text": "je veux ouvrir une boutique à Laval",
        "intent": "informer",
        "entities": [
            {"entity": "stade", "text": "ouvrir", "value": "creation"},
            {"entity": "secteur", "text": "boutique", "value": "commerce"},
            {"entity": "commune", "text": "Laval", "value": "Laval"},
        ],
    },
    {
        "text": "ma boîte existe depuis 4 ans",
        "intent": "informer",
        "entities": [{"entity": "stade", "text": "existe", "value": "developpement"}],
    },
    {
        "text": "des aides financieres",
        "intent": "chercher_aides",
        "entities": [{"entity": "besoin", "text": "financieres", "value": "financieres"}],
    },
    {"text": "merci", "intent": "remercier", "entities": []},
    {"text": "au revoir", "intent": "au_revoir", "entities": []},
]

PREDICTED = {
    # right, but the commune is missed
    "je veux ouvrir une boutique à Laval": [
        _entity("stade", "creation"),
        _entity("secteur", "commerce"),
    ],
    # the word is found, its value is not the contract's
    "ma boîte existe depuis 4 ans": [_entity("stade", "existe")],
    # the annotated word has no contract value: never right
    "des aides financieres": [_entity("besoin", "financieres")],
    # an entity where none was annotated
    "merci": [_entity("commune", "Merci")],
}


def test_values_count_only_when_normalised_to_the_contract():
    found = measure(EXAMPLES, PREDICTED)
    stade, secteur, commune, besoin = (
        found.per_entity[name] for name in ("stade", "secteur", "commune", "besoin")
    )
    assert (stade.true_positives, stade.false_positives, stade.false_negatives) == (1, 1, 1)
    assert (secteur.precision, secteur.recall, secteur.f1) == (1.0, 1.0, 1.0)
    assert (commune.true_positives, commune.false_positives, commune.false_negatives) == (0, 1, 1)
    assert (besoin.true_positives, besoin.false_positives, besoin.false_negatives) == (0, 1, 1)
    assert (found.total.true_positives, found.total.false_positives) == (2, 3)
    assert found.total.false_negatives == 3
    assert found.total.precision == 2 / 5
    assert found.outside_contract == {("besoin", "financieres"): 1}
    assert [text for text, _, _ in found.errors] == [
        "je veux ouvrir une boutique à Laval",
        "ma boîte existe depuis 4 ans",
        "des aides financieres",
        "merci",
    ]
    assert found.errors[1][1:] == (["stade=developpement"], ["stade=existe"])


def _results(tmp_path, cv_f1=0.9, baseline_f1=0.88):
    results = tmp_path / "results"
    _write(
        results / "cv" / "intent_report.json",
        {
            "informer": _intent(0.95, 300),
            "hors_sujet": _intent(0.85, 400),
            "accuracy": 0.9,
            "macro avg": _intent(cv_f1, 700),
            "weighted avg": _intent(0.9, 700),
        },
    )
    _write(results / "cv" / "DIETClassifier_report.json", {"micro avg": _intent(0.97, 900)})
    _write(
        results / "cv" / "intent_errors.json",
        [
            {
                "text": "tu connais Jul ?",
                "intent": "hors_sujet",
                "intent_prediction": {"name": "capacites_bot", "confidence": 0.9},
            },
            {
                "text": "tu connais Zidane ?",
                "intent": "hors_sujet",
                "intent_prediction": {"name": "capacites_bot", "confidence": 0.8},
            },
            {
                "text": "à Laval",
                "intent": "informer",
                "intent_prediction": {"name": "demander_contact", "confidence": 0.7},
            },
        ],
    )
    _write(
        results / "heldout" / "intent_report.json",
        {
            "informer": _intent(1.0, 15),
            "hors_sujet": _intent(0.8, 8),
            "accuracy": 0.95,
            "macro avg": _intent(0.9, 23),
        },
    )
    _write(results / "heldout" / "DIETClassifier_report.json", {"micro avg": _intent(0.9, 60)})
    _write(
        results / "baseline" / "cv_report.json",
        {
            "informer": _intent(0.91, 300),
            "hors_sujet": _intent(0.84, 400),
            "accuracy": 0.87,
            "macro avg": _intent(baseline_f1, 700),
            "folds_macro_f1": [0.87, 0.89],
        },
    )
    _write(
        results / "baseline" / "heldout_report.json",
        {
            "informer": _intent(0.97, 15),
            "hors_sujet": _intent(0.75, 8),
            "accuracy": 0.91,
            "macro avg": _intent(0.86, 23),
        },
    )
    _write(
        results / "folds.json",
        [{"fold": i % 2, "text": f"t{i}", "intent": "informer"} for i in range(700)],
    )
    return results


def test_the_report_sets_the_pipeline_beside_the_baseline_with_each_target(tmp_path):
    results, docs = _results(tmp_path), tmp_path / "docs"
    _write(results / "heldout_examples.json", EXAMPLES)
    # Rasa's entity files: successes and errors of each extractor, with every prediction.
    successes = [
        {"text": text, "entities": [], "predicted_entities": PREDICTED[text]}
        for text in ("je veux ouvrir une boutique à Laval", "ma boîte existe depuis 4 ans")
    ]
    errors = [
        {"text": text, "entities": [], "predicted_entities": PREDICTED[text]}
        for text in ("ma boîte existe depuis 4 ans", "des aides financieres", "merci")
    ]
    _write(results / "heldout" / "DIETClassifier_successes.json", successes)
    _write(results / "heldout" / "DIETClassifier_errors.json", errors)
    _write(results / "heldout" / "intent_errors.json", [{"text": "merci", "intent": "x"}])

    assert main(str(results), str(docs)) == 0

    text = (docs / "README.md").read_text(encoding="utf-8")
    assert (
        "| validation croisée 5 plis, F1 macro des intentions | 0.900 | ≥ 0.92 et au-dessus"
        " de la référence TF-IDF (0.880) (**non atteint**) |" in text
    )
    assert (
        "| fichier de test séparé, exactitude des intentions | 0.950 | ≥ 0.92 (atteint) |" in text
    )
    assert (
        "| fichier de test séparé, F1 des valeurs d'entités normalisées | 0.400 | ≥ 0.92"
        " (**non atteint**) |" in text
    )
    assert "(DIET, étiquettes des jetons, pour information) | 0.900 |" in text
    assert "F1 des entités (DIET, pour information) | 0.970 |" in text
    assert "| validation croisée, F1 macro des intentions | 0.900 | 0.880 | +0.020 |" in text
    assert "| test séparé, exactitude | 0.950 | 0.910 | +0.040 |" in text
    assert "700 exemples en 2 plis" in text
    assert "Le pipeline du projet **l'emporte** sur la référence TF-IDF" in text
    assert "| hors_sujet | 0.850 | 0.840 | 0.850 | 0.850 | 400 | 0.800 | 0.750 | 8 |" in text
    assert "| stade | 0.500 | 0.500 | 0.500 | 2 |" in text
    assert "| **toutes** | 0.400 | 0.400 | **0.400** | 5 |" in text
    assert "sans valeur du contrat après les synonymes : besoin=financieres (1)" in text
    assert "| ma boîte existe depuis 4 ans | stade=developpement | stade=existe |" in text
    assert "| merci | — | commune=Merci |" in text
    confusions = text.split("## Confusions les plus fréquentes")[1]
    assert confusions.index("| hors_sujet | capacites_bot | 2 |") < confusions.index(
        "| informer | demander_contact | 1 |"
    )
    reference = (docs / "reference-tfidf.md").read_text(encoding="utf-8")
    assert "| validation croisée, F1 macro des intentions | 0.880 |" in reference
    assert "| validation croisée, F1 macro de chaque pli | 0.870, 0.890 |" in reference
    assert "| hors_sujet | 0.840 | 400 | 0.750 |" in reference


def test_a_baseline_that_wins_is_said_to_win(tmp_path):
    results, docs = _results(tmp_path, cv_f1=0.93, baseline_f1=0.94), tmp_path / "docs"
    assert main(str(results), str(docs)) == 0
    text = (docs / "README.md").read_text(encoding="utf-8")
    assert "(0.940) (**non atteint**) |" in text
    assert "**La référence TF-IDF l'emporte**" in text
    assert "F1 macro 0.940 contre 0.930 pour le pipeline du projet (-0.010)" in text
    # No entity file from Rasa: the normalised values are not measured, not scored as zero.
    assert "F1 des valeurs d'entités normalisées | non mesuré | ≥ 0.92 |" in text
    assert "## Entités du fichier de test séparé" not in text


def test_the_baseline_alone_leaves_the_readme(tmp_path):
    results, docs = _results(tmp_path), tmp_path / "docs"
    docs.mkdir()
    (docs / "README.md").write_text("chiffres du pipeline", encoding="utf-8")
    assert baseline_only(str(results), str(docs)) == 0
    assert (docs / "README.md").read_text(encoding="utf-8") == "chiffres du pipeline"
    assert "| fichier de test séparé, exactitude | 0.910 |" in (
        docs / "reference-tfidf.md"
    ).read_text(encoding="utf-8")


def test_a_missing_errors_file_leaves_out_the_confusions(tmp_path):
    results, docs = tmp_path / "results", tmp_path / "docs"
    _write(results / "cv" / "intent_report.json", {"macro avg": _intent(0.93, 10)})
    assert main(str(results), str(docs)) == 0
    text = (docs / "README.md").read_text(encoding="utf-8")
    assert "Confusions" not in text
    assert "La référence TF-IDF n'a pas été mesurée." in text


def test_the_held_out_figures_alone_are_printed_and_leave_the_docs(tmp_path, capsys):
    results = _results(tmp_path)
    _write(results / "heldout_examples.json", EXAMPLES)
    _write(
        results / "heldout" / "DIETClassifier_errors.json",
        [{"text": t, "entities": [], "predicted_entities": PREDICTED[t]} for t in PREDICTED],
    )
    assert heldout_only(str(results)) == 0
    printed = capsys.readouterr().out
    assert "exactitude des intentions 0.950, F1 macro des intentions 0.900" in printed
    assert "F1 des valeurs d'entités normalisées 0.400 (objectif ≥ 0.92)" in printed
    assert "| stade | 0.500 | 0.500 | 0.500 | 2 |" in printed
    assert not (tmp_path / "docs").exists()
