"""Understanding a whole message (issue 16), inside the Rasa runtime (Python 3.10) where the
NLU components of rasa_extensions/ run:

- profile_numbers.py: the age, the age of the business, the staff and the amount said in words
  or figures (« vingt-quatre ans », « depuis 4 ans », « créée en 2021 », « seul », « 10k »)
  come out as numbers, and other extractors' readings of the same words give way to them;
- place_context.py: a commune with its department or region is one place (« saint louis la
  reunion »), a QPV neighbourhood after « j'habite » makes `habite_qpv` true;
- the trained model (models/assistant.tar.gz) parses the four first messages of the issue into
  every fact they hold;
- the `quartier` and `departement` lookups are those of the catalogue
  (scripts/extract_quartiers.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from test_rasa_speedups import in_rasa_runtime

from settings import PROJECT_DIR

pytestmark = pytest.mark.rasa

TODAY = "2026-12-02"

FIND_PROBE = """
import json, sys
from datetime import date
from rasa_extensions.profile_numbers import find
today = date.fromisoformat(sys.argv[2])
out = []
for text in json.loads(sys.argv[1]):
    out.append({e["entity"]: e["value"] for e in find(text, today)})
print(json.dumps(out))
"""

# text → the numbers it holds ({} when none of them is about the profile)
NUMBERS = {
    "Bonjour, je gère une boutique de prêt-à-porter à Nancy depuis 4 ans et je souhaiterais "
    "la développer sur internet.": {"anciennete_annees": 4},
    "j'ai une entreprise de nettoyage à marseille depuis 4 ans avec 6 salariés, je veux grandir": {
        "anciennete_annees": 4,
        "effectif": 6,
    },
    "J'ai 24 ans, j'habite à la Mosson à Montpellier et je lance ma startup dans le numérique": {
        "age": 24
    },
    "je veux ouvrir un snack a saint louis la reunion, je suis au rsa": {},
    "j'ai vingt-quatre ans": {"age": 24},
    "jsuis au rsa et g 29 ans": {"age": 29},
    "non, j'ai 27 ans": {"age": 27},
    "ma boutique a été créée en 2021": {"anciennete_annees": 5},
    "j'ai ouvert mon salon l'an dernier": {"anciennete_annees": 1},
    "mon entreprise a 6 ans": {"anciennete_annees": 6},
    "la boîte a été créée il y a trois ans": {"anciennete_annees": 3},
    "mon restaurant est en activité depuis 2019, j'ai 4 salariés": {
        "anciennete_annees": 7,
        "effectif": 4,
    },
    "mon food truck tourne depuis 6 mois": {"anciennete_annees": 0.5},
    "mon restaurant à Choisy-le-Roi a 6 ans, j'ai 4 salariés": {
        "anciennete_annees": 6,
        "effectif": 4,
    },
    "je travaille seul": {"effectif": 0},
    "avec deux employés": {"effectif": 2},
    "une entreprise de douze salariés": {"effectif": 12},
    "sans salarié pour l'instant": {"effectif": 0},
    "j'ai besoin de 10k": {"montant": 10000},
    "il me faudrait dix mille euros": {"montant": 10000},
    "un prêt de 15 000 €": {"montant": 15000},
    # the person's own situation, a trade, hiring, income: not the profile's numbers
    "je suis au chômage depuis 2 ans": {},
    "je suis coiffeuse depuis 12 ans et je veux ouvrir mon salon": {},
    "plombier depuis 10 ans, je veux me mettre à mon compte": {},
    "je veux recruter 2 salariés": {},
    "j'ai un restaurant et mon fils a 6 ans": {},
    "je suis un salarié": {},
    "j'ai 10 ans d'expérience": {},
    "je touche 600 euros de RSA": {},
    "mon loyer est de 900 € par mois": {},
}

STAGE_PROBE = """
import json
from rasa_extensions.profile_numbers import find, merge, with_stage
texts = ["j'ai un garage à Laval depuis 8 ans",
         "je reprends une boulangerie qui existe depuis 20 ans",
         "je veux ouvrir un garage à Laval"]
stages = [[{"entity": "stade", "value": "reprise", "start": 3, "end": 12}] if "reprends" in t
          else [] for t in texts]
print(json.dumps([[(e["entity"], e["value"]) for e in with_stage(merge(s, find(t)))
                   if e["entity"] == "stade"] for t, s in zip(texts, stages)]))
"""

MERGE_PROBE = """
import json
from rasa_extensions.profile_numbers import merge, find
cases = [
    ("J'ai 24 ans", [{"entity": "age", "value": "24", "start": 5, "end": 7,
                      "extractor": "DIETClassifier"}]),
    ("ma boutique existe depuis 4 ans avec 6 salariés",
     [{"entity": "age", "value": "4", "start": 26, "end": 27, "extractor": "DIETClassifier"},
      {"entity": "statut", "value": "salarie", "start": 39, "end": 47,
       "extractor": "DIETClassifier"}]),
    ("le projet coûte vingt mille", [{"entity": "montant", "value": "vingt mille",
                                      "start": 16, "end": 27, "extractor": "DIETClassifier"}]),
    ("mon restaurant à Choisy-le-Roi a 6 ans",
     [{"entity": "commune", "value": "Choisy-le-Roi", "start": 17, "end": 30,
       "extractor": "DIETClassifier"}]),
    ("mon fils a 4 ans", [{"entity": "age", "value": "4", "start": 11, "end": 12,
                     "extractor": "DIETClassifier"}]),
]
print(json.dumps([merge(entities, find(text)) for text, entities in cases]))
"""

PLACE_PROBE = """
import json
from rasa_extensions.place_context import qualify_communes, neighbourhood_roles

def span(text, words, kind):
    start = text.index(words)
    return {"entity": kind, "value": words, "start": start, "end": start + len(words)}

out = []
text = "je veux ouvrir un snack a saint louis la reunion, je suis au rsa"
out.append(qualify_communes(text, [span(text, "saint louis", "commune"),
                                   span(text, "la reunion", "departement")]))
text = "j'ai une menuiserie à Saint-Louis 974 depuis 3 ans"
out.append(qualify_communes(text, [span(text, "Saint-Louis", "commune")]))
text = "Saint-Louis (La Réunion)"
out.append(qualify_communes(text, [span(text, "Saint-Louis", "commune"),
                                   span(text, "La Réunion", "departement")]))
text = "à Roubaix depuis 4 ans"
out.append(qualify_communes(text, [span(text, "Roubaix", "commune")]))
text = "J'ai 24 ans, j'habite à la Mosson à Montpellier et je lance ma startup"
out.append(neighbourhood_roles(text, [span(text, "Mosson", "quartier")]))
text = "mon local est aux Fourches à Laval"
out.append(neighbourhood_roles(text, [span(text, "Fourches", "quartier")]))
text = "je connais bien la Mosson"
out.append(neighbourhood_roles(text, [span(text, "Mosson", "quartier")]))
print(json.dumps(out))
"""

MODEL_PROBE = """
import asyncio, json, sys
from rasa.core.agent import Agent

async def main():
    agent = Agent.load(sys.argv[1])
    out = []
    for text in json.loads(sys.argv[2]):
        parsed = await agent.parse_message(text)
        facts = {}
        for entity in parsed["entities"]:
            facts.setdefault(entity["entity"], []).append(entity["value"])
        out.append(facts)
    print(json.dumps(out))

asyncio.run(main())
"""

# The four first messages of issue 16: (text, facts every one of which must be understood)
TRANSCRIPTS = [
    (
        (
            "Bonjour, je gère une boutique de prêt-à-porter à Nancy depuis 4 ans et je "
            "souhaiterais la développer sur internet."
        ),
        {"anciennete_annees": [4], "besoin": ["numerique"], "commune": ["Nancy"]},
    ),
    (
        (
            "j'ai une entreprise de nettoyage à marseille depuis 4 ans avec 6 salariés, je veux "
            "grandir"
        ),
        {"anciennete_annees": [4], "effectif": [6]},
    ),
    (
        "J'ai 24 ans, j'habite à la Mosson à Montpellier et je lance ma startup dans le numérique",
        {"age": [24], "habite_qpv": [True], "quartier": ["Mosson"]},
    ),
    (
        "je veux ouvrir un snack a saint louis la reunion, je suis au rsa",
        {"commune": ["saint louis la reunion"], "statut": ["rsa"]},
    ),
    ("j'ai vingt-quatre ans et il me faut dix mille euros", {"age": [24], "montant": [10000]}),
    ("je veux réduire mes déchets", {"besoin": ["transition_ecologique"]}),
]


def test_numbers_of_the_profile_come_out_as_numbers():
    found = in_rasa_runtime(FIND_PROBE, json.dumps(list(NUMBERS)), TODAY)
    assert isinstance(found, list)
    for (text, expected), numbers in zip(NUMBERS.items(), found, strict=True):
        assert numbers == expected, text
        assert all(isinstance(v, (int, float)) for v in numbers.values()), text


def test_a_business_some_years_old_is_in_development_unless_the_message_says_otherwise():
    existing, takeover, new = in_rasa_runtime(STAGE_PROBE)  # type: ignore[misc]
    assert existing == [["stade", "developpement"]]
    assert takeover == [["stade", "reprise"]]
    assert new == []


def test_other_readings_of_the_same_words_give_way_to_the_numbers():
    same, business, words, place, child = in_rasa_runtime(MERGE_PROBE)  # type: ignore[misc]
    # DIET's « 24 » keeps its place and takes the number
    assert [(e["entity"], e["value"], e["extractor"]) for e in same] == [
        ("age", 24, "DIETClassifier")
    ]
    assert same[0]["processors"] == ["ProfileNumbers"]
    # the « 4 » of « depuis 4 ans » is not an age, « salariés » of « 6 salariés » not a status
    assert {(e["entity"], e["value"]) for e in business} == {
        ("anciennete_annees", 4),
        ("effectif", 6),
    }
    # an amount DIET found in words is read as a number; an age out of bounds is dropped
    assert [(e["entity"], e["value"]) for e in words] == [("montant", 20000)]
    # a place inside the words of a number keeps its own meaning
    assert {(e["entity"], e["value"]) for e in place} == {
        ("commune", "Choisy-le-Roi"),
        ("anciennete_annees", 6),
    }
    assert child == []


def test_a_commune_takes_its_department_and_a_named_qpv_says_where_one_lives():
    reunion, number, brackets, plain, lives, works, neither = in_rasa_runtime(PLACE_PROBE)  # type: ignore[misc]
    assert [(e["entity"], e["value"]) for e in reunion] == [("commune", "saint louis la reunion")]
    assert [(e["entity"], e["value"]) for e in number] == [("commune", "Saint-Louis 974")]
    assert [(e["entity"], e["value"]) for e in brackets] == [
        ("commune", "Saint-Louis (La Réunion)")
    ]
    assert [(e["entity"], e["value"]) for e in plain] == [("commune", "Roubaix")]
    assert [(e["entity"], e["value"]) for e in lives] == [("habite_qpv", True)]
    assert [(e["entity"], e["value"]) for e in works] == [("implante_qpv", True)]
    assert neither == []


def test_the_trained_model_understands_every_fact_of_the_issue_transcripts():
    model = PROJECT_DIR / "models" / "assistant.tar.gz"
    assert model.exists(), "Modèle absent : lancez « make train »."
    texts = [text for text, _ in TRANSCRIPTS]
    parsed = in_rasa_runtime(MODEL_PROBE, str(model), json.dumps(texts))
    assert isinstance(parsed, list)
    for (text, expected), facts in zip(TRANSCRIPTS, parsed, strict=True):
        for entity, values in expected.items():
            # several extractors may find the same words (DIET and a lookup): one meaning
            found = {v.lower() if isinstance(v, str) else v for v in facts.get(entity, [])}
            assert found == {v.lower() if isinstance(v, str) else v for v in values}, (
                text,
                facts,
            )


def test_the_place_lookups_are_those_of_the_catalogue():
    generated = subprocess.run(
        [sys.executable, "scripts/extract_quartiers.py"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT_DIR)},
    ).stdout
    stored = (PROJECT_DIR / "data" / "nlu" / "quartiers.yml").read_text(encoding="utf-8")
    assert generated == stored, "Relancez scripts/extract_quartiers.py > data/nlu/quartiers.yml"
    assert "    - Mosson\n" in stored
    assert "    - canal\n" not in stored  # an everyday word is not a neighbourhood
