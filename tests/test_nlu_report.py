"""`make nlu-report` turns Rasa's evaluation files into docs/nlu/README.md."""

from __future__ import annotations

import json

from bot.nlu_report import main


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def _intent(f1, support):
    return {"precision": f1, "recall": f1, "f1-score": f1, "support": support}


def test_the_report_states_each_target_and_the_main_confusions(tmp_path):
    results, docs = tmp_path / "results", tmp_path / "docs"
    _write(
        results / "cv" / "intent_report.json",
        {
            "informer": _intent(0.95, 300),
            "hors_sujet": _intent(0.85, 400),
            "accuracy": 0.9,
            "macro avg": _intent(0.9, 700),
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
        {"informer": _intent(1.0, 15), "hors_sujet": _intent(0.8, 8), "accuracy": 0.95},
    )
    _write(results / "heldout" / "DIETClassifier_report.json", {"micro avg": _intent(0.9, 60)})

    assert main(str(results), str(docs)) == 0

    text = (docs / "README.md").read_text(encoding="utf-8")
    assert (
        "| validation croisée 5 plis, F1 macro des intentions | 0.900 | ≥ 0.92 "
        "(**non atteint**) |" in text
    )
    assert (
        "| fichier de test séparé, exactitude des intentions | 0.950 | ≥ 0.92 (atteint) |" in text
    )
    assert "| fichier de test séparé, F1 des entités (DIET) | 0.900 | ≥ 0.85 (atteint) |" in text
    assert "F1 des entités (DIET, pour information) | 0.970 |" in text
    assert "| hors_sujet | 0.850 | 0.850 | 0.850 | 400 | 0.800 | 8 |" in text
    confusions = text.split("## Confusions les plus fréquentes")[1]
    assert confusions.index("| hors_sujet | capacites_bot | 2 |") < confusions.index(
        "| informer | demander_contact | 1 |"
    )


def test_a_missing_errors_file_leaves_out_the_confusions(tmp_path):
    results, docs = tmp_path / "results", tmp_path / "docs"
    _write(results / "cv" / "intent_report.json", {"macro avg": _intent(0.93, 10)})
    assert main(str(results), str(docs)) == 0
    text = (docs / "README.md").read_text(encoding="utf-8")
    assert "(atteint)" in text
    assert "Confusions" not in text
