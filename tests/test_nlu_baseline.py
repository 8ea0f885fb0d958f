"""The measures `make nlu-report` takes outside DIET, run in the Rasa runtime on small data:
the cross-validation folds recorded from Rasa's own split (rasa_extensions/nlu_folds.py), the
TF-IDF baseline scored on them (rasa_extensions/nlu_baseline.py) and the held-out examples'
entity values normalised by the training data's synonyms."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter

import pytest
from conftest import PROJECT_DIR

pytestmark = pytest.mark.rasa

TRAINING = """version: "3.1"
nlu:
- intent: saluer
  examples: |
    - bonjour
    - salut
    - bonsoir
    - coucou
    - bonjour à vous
    - salut tout le monde
    - hello
    - bonjour madame
    - bonsoir monsieur
    - coucou le robot
- intent: au_revoir
  examples: |
    - au revoir
    - à bientôt
    - bonne journée
    - à plus tard
    - ciao
    - adieu
    - bonne soirée
    - à la prochaine
    - au revoir madame
    - à demain
- intent: informer
  examples: |
    - j'ai une [boutique](secteur)
    - je tiens une [épicerie](secteur)
    - mon [restaurant](secteur) à [Roubaix](commune)
    - je veux ouvrir une [boutique](secteur) à [Laval](commune)
    - je suis dans le [commerce](secteur)
    - une [pizzeria]{"entity": "secteur", "value": "restauration"} à [Arras](commune)
    - mon [magasin](secteur) est à [Nancy](commune)
    - je fais de la [restauration](secteur)
    - j'habite à [Bondy](commune)
    - une [épicerie](secteur) à [Grigny](commune)
- synonym: commerce
  examples: |
    - boutique
    - épicerie
    - magasin
"""

HELD_OUT = """version: "3.1"
nlu:
- intent: informer
  examples: |
    - j'ouvre une [BOUTIQUE](secteur) à [Orly](commune)
    - une [pizzeria](secteur) à [Laval](commune)
    - un [snack]{"entity": "secteur", "value": "restauration"}
- intent: saluer
  examples: |
    - bonjour à tous
- intent: au_revoir
  examples: |
    - au revoir et à bientôt
"""

# Held-out examples whose values the components after the extractors change.
DETAILS = """version: "3.1"
nlu:
- intent: informer
  examples: |
    - j'ai [vingt-neuf](age) ans, il me faut [40 000 euros](montant)
    - mon [garage](secteur) tourne depuis [deux](anciennete_annees) ans avec [3](effectif) salariés
    - j'habite aux [Tarterets](quartier) à [Saint-Louis](commune) à la [Réunion](departement)
"""

CONFIG = """recipe: default.v1
language: fr
assistant_id: nlu-baseline-test
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
  - name: LogisticRegressionClassifier
policies: []
"""


def in_rasa_runtime(cwd, module: str, *args: str) -> None:
    python = PROJECT_DIR / ".venv-rasa" / "bin" / "python"
    assert python.exists(), "Rasa n'est pas installé : lancez « make setup »."
    result = subprocess.run(
        [str(python), "-m", module, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        env={
            **os.environ,
            "PYTHONPATH": str(PROJECT_DIR),
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "PYTHONWARNINGS": "ignore",
            "RASA_TELEMETRY_ENABLED": "false",
        },
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture
def data(tmp_path):
    (tmp_path / "nlu").mkdir()
    (tmp_path / "nlu" / "nlu.yml").write_text(TRAINING, encoding="utf-8")
    (tmp_path / "heldout.yml").write_text(HELD_OUT, encoding="utf-8")
    (tmp_path / "config.yml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def _read(path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_rasa_cross_validates_on_the_folds_recorded_and_drawn_again_without_training(data):
    in_rasa_runtime(data, "rasa_extensions.nlu_folds", "folds", "7", "2", "nlu", "drawn.json")
    in_rasa_runtime(data, "rasa_extensions.nlu_folds", "folds", "7", "2", "nlu", "again.json")
    in_rasa_runtime(data, "rasa_extensions.nlu_folds", "folds", "8", "2", "nlu", "other.json")
    in_rasa_runtime(
        data,
        "rasa_extensions.nlu_folds",
        "cross-validate",
        "7",
        "recorded.json",
        "--",
        "test",
        "nlu",
        "--nlu",
        "nlu",
        "--config",
        "config.yml",
        "--cross-validation",
        "--folds",
        "2",
        "--out",
        "cv",
    )
    drawn = _read(data / "drawn.json")
    # Rasa really trained and tested on those folds: its report covers each example once.
    report = _read(data / "cv" / "intent_report.json")
    assert report["macro avg"]["support"] == 30
    assert _read(data / "recorded.json") == drawn == _read(data / "again.json")
    assert _read(data / "other.json") != drawn
    # Every example once, stratified: each fold tests half of each intent.
    assert len(drawn) == 30
    assert len({row["text"] for row in drawn}) == 30
    assert Counter((row["fold"], row["intent"]) for row in drawn) == {
        (fold, intent): 5 for fold in (0, 1) for intent in ("saluer", "au_revoir", "informer")
    }


def test_the_held_out_values_are_those_the_synonyms_give(data):
    in_rasa_runtime(
        data, "rasa_extensions.nlu_folds", "examples", "heldout.yml", "nlu", "examples.json"
    )
    examples = {row["text"]: row for row in _read(data / "examples.json")}
    assert examples["j'ouvre une BOUTIQUE à Orly"] == {
        "text": "j'ouvre une BOUTIQUE à Orly",
        "intent": "informer",
        "entities": [
            {"entity": "secteur", "text": "BOUTIQUE", "value": "commerce"},
            {"entity": "commune", "text": "Orly", "value": "Orly"},
        ],
    }
    # « pizzeria » has a value of its own in the training data: the mapper learns it.
    assert examples["une pizzeria à Laval"]["entities"][0]["value"] == "restauration"
    assert examples["un snack"]["entities"] == [
        {"entity": "secteur", "text": "snack", "value": "restauration"}
    ]
    assert examples["bonjour à tous"]["entities"] == []


def test_the_held_out_values_are_those_the_actions_receive(data):
    """After the synonyms, the rules of the components that follow the extractors
    (rasa_extensions/profile_numbers.py, place_context.py), applied to the annotated words."""
    (data / "details.yml").write_text(DETAILS, encoding="utf-8")
    in_rasa_runtime(
        data, "rasa_extensions.nlu_folds", "examples", "details.yml", "nlu", "examples.json"
    )
    examples = {row["text"]: row for row in _read(data / "examples.json")}

    def values(text):
        return [(e["entity"], e["value"]) for e in examples[text]["entities"]]

    # numbers as numbers, whatever their words
    assert values("j'ai vingt-neuf ans, il me faut 40 000 euros") == [
        ("age", 29),
        ("montant", 40000),
    ]
    # a business some years old is in development
    assert values("mon garage tourne depuis deux ans avec 3 salariés") == [
        ("secteur", "garage"),
        ("anciennete_annees", 2),
        ("stade", "developpement"),
        ("effectif", 3),
    ]
    # a commune joined to its region; a named QPV after « j'habite » is where one lives
    assert values("j'habite aux Tarterets à Saint-Louis à la Réunion") == [
        ("habite_qpv", True),
        ("quartier", "Tarterets"),
        ("commune", "Saint-Louis à la Réunion"),
    ]


def test_the_baseline_is_scored_on_the_folds_and_on_the_held_out_file(data):
    in_rasa_runtime(data, "rasa_extensions.nlu_folds", "folds", "7", "2", "nlu", "folds.json")
    in_rasa_runtime(
        data, "rasa_extensions.nlu_folds", "examples", "heldout.yml", "nlu", "examples.json"
    )
    in_rasa_runtime(data, "rasa_extensions.nlu_baseline", "folds.json", "examples.json", "baseline")
    cv = _read(data / "baseline" / "cv_report.json")
    assert cv["macro avg"]["support"] == 30
    assert set(cv) >= {"saluer", "au_revoir", "informer", "accuracy", "folds_macro_f1"}
    assert len(cv["folds_macro_f1"]) == 2
    assert {cv[intent]["support"] for intent in ("saluer", "au_revoir", "informer")} == {10}
    assert cv["accuracy"] > 1 / 3  # better than chance, trained on five examples per intent
    held = _read(data / "baseline" / "heldout_report.json")
    assert held["macro avg"]["support"] == 5
    assert held["accuracy"] == 1.0  # trained on all thirty
