"""NLU corrections (catalog/corrections.py) and masking (catalog/privacy.py): parsing Rasa's
annotation syntax, French validation errors, the export file, and Rasa itself reading it."""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml
from conftest import PROJECT_DIR

from catalog.corrections import (
    INTENT_LABELS,
    CorrectionError,
    annotate,
    contract_entities,
    contract_intents,
    export_yaml,
    intent_choices,
    normalize_message,
    parse_annotation,
    validate_correction,
)
from catalog.labels import ENTITY_LABELS
from catalog.privacy import (
    EMAIL_MASK,
    PHONE_MASK,
    has_contact_details,
    mask_email,
    mask_phone,
    mask_text,
    mask_value,
)

MESSAGE = "je veux ouvrir une épicerie à Roubaix, je suis au chômage"
ANNOTATED = (
    'je veux ouvrir une [épicerie]{"entity": "secteur", "value": "commerce"} à '
    '[Roubaix](commune), je suis [au chômage]{"entity": "statut", '
    '"value": "demandeur_emploi"}'
)


def errors_of(message: str, intent: str, annotated: str) -> list[str]:
    with pytest.raises(CorrectionError) as raised:
        validate_correction(message, intent, annotated)
    return raised.value.errors


# --- the taxonomy ------------------------------------------------------------------------


def test_the_fifteen_intents_and_the_entities_have_french_labels():
    assert len(contract_intents()) == 15
    assert set(contract_intents()) == set(INTENT_LABELS)
    assert [name for name, _ in intent_choices()] == list(contract_intents())
    assert set(contract_entities()) == {
        "secteur",
        "stade",
        "statut",
        "besoin",
        "commune",
        "code_postal",
        "montant",
        "age",
        "aide",
        # beyond the contract's nine (docs/contrat.md, issue 16)
        "anciennete_annees",
        "effectif",
        "quartier",
        "departement",
        "habite_qpv",
        "implante_qpv",
    }
    assert set(contract_entities()) <= set(ENTITY_LABELS)
    assert "nlu_fallback" not in contract_intents()


# --- parsing -------------------------------------------------------------------------------


def test_both_annotation_syntaxes_give_the_plain_text_and_the_entities():
    annotation = validate_correction(MESSAGE, "informer", ANNOTATED)
    assert annotation.text == MESSAGE
    assert [(e.text, e.entity, e.value) for e in annotation.entities] == [
        ("épicerie", "secteur", "commerce"),
        ("Roubaix", "commune", "Roubaix"),
        ("au chômage", "statut", "demandeur_emploi"),
    ]
    for entity in annotation.entities:
        assert MESSAGE[entity.start : entity.end] == entity.text


def test_the_short_value_syntax_and_known_synonyms_are_accepted():
    annotation = validate_correction(
        "je reprends une boulangerie",
        "informer",
        "je [reprends](stade:reprise) une [boulangerie](secteur)",
    )
    assert [(e.entity, e.value) for e in annotation.entities] == [
        ("stade", "reprise"),
        ("secteur", "boulangerie"),
    ]


def test_a_message_without_entities_is_a_valid_example():
    annotation = validate_correction("tu sers à quoi ?", "capacites_bot", "tu sers à quoi ?")
    assert annotation.entities == ()


def test_whitespace_and_line_breaks_are_normalised_as_one_line():
    assert normalize_message("  je veux\n ouvrir\tun   bar \r\n") == "je veux ouvrir un bar"
    annotation = validate_correction(
        "je veux\nouvrir un bar", "informer", "je veux ouvrir un [bar](secteur:restauration)"
    )
    assert annotation.annotated == "je veux ouvrir un [bar](secteur:restauration)"


# --- French validation errors ----------------------------------------------------------


@pytest.mark.parametrize(
    ("annotated", "expected"),
    [
        (
            "je veux ouvrir une [épicerie](magasin) à Roubaix, je suis au chômage",
            "l'entité « magasin » n'existe pas",
        ),
        (
            'je veux ouvrir une [épicerie]{"entity": secteur} à Roubaix, je suis au chômage',
            "n'est pas écrit correctement",
        ),
        (
            'je veux ouvrir une [épicerie]{"value": "commerce"} à Roubaix, je suis au chômage',
            "il manque le nom de l'entité",
        ),
        (
            (
                'je veux ouvrir une [épicerie]{"entity": "secteur", "role": "x"} à Roubaix, '
                "je suis au chômage"
            ),
            'seuls "entity" et "value"',
        ),
        (
            "je veux ouvrir une [épicerie](secteur:alimentation) à Roubaix, je suis au chômage",
            "« alimentation » n'est pas une valeur de l'entité secteur",
        ),
        (
            "je veux ouvrir une [épicerie fine et bio](secteur) à Roubaix, je suis au chômage",
            "n'est pas une valeur de l'entité secteur",
        ),
        (
            "je veux ouvrir une [ épicerie](secteur) à Roubaix, je suis au chômage",
            "ne doit commencer ni finir par une espace",
        ),
        (
            'je veux ouvrir une [épicerie][{"entity": "secteur"}] à Roubaix, je suis au chômage',
            "une seule entité par groupe de mots",
        ),
        (
            "je veux ouvrir une [épicerie(secteur) à Roubaix, je suis au chômage",
            "doit être exactement le message d'origine",
        ),
        (
            "je veux ouvrir un [bar](secteur:restauration) à Roubaix, je suis au chômage",
            "doit être exactement le message d'origine",
        ),
        ("", "Le texte annoté est vide"),
    ],
)
def test_annotation_mistakes_get_a_french_error(annotated, expected):
    errors = errors_of(MESSAGE, "informer", annotated)
    assert any(expected in error for error in errors), errors


def test_postal_codes_need_five_digits():
    errors = errors_of("59 100", "informer", "[59 100](code_postal)")
    assert any("5 chiffres" in error for error in errors), errors


def test_an_unknown_intent_and_unusable_messages_are_refused():
    assert any("Choisissez l'intention" in e for e in errors_of(MESSAGE, "nlu_fallback", MESSAGE))
    assert any("Choisissez l'intention" in e for e in errors_of(MESSAGE, "", MESSAGE))
    assert any(
        "bouton" in e
        for e in errors_of(
            '/informer{"secteur":"commerce"}', "informer", '/informer{"secteur":"commerce"}'
        )
    )
    assert any("2000 caractères" in e for e in errors_of("a" * 2001, "hors_sujet", "a" * 2001))
    assert any("vide" in e for e in errors_of("   ", "hors_sujet", "x"))
    # personal data never becomes training data
    for personal in ("mon mail : marie.dupont@exemple.fr", "rappelez-moi au 06 12 34 56 78"):
        assert any(
            "e-mail ou un numéro de téléphone" in e
            for e in errors_of(personal, "informer", personal)
        )


def test_several_errors_are_reported_together():
    errors = errors_of(
        MESSAGE,
        "inconnue",
        "je veux ouvrir une [épicerie](magasin) à [Roubaix](ville), je suis au chômage",
    )
    assert len(errors) == 3


# --- prefilling from the predicted entities -------------------------------------------------


def test_the_prediction_prefills_an_annotation_that_validates():
    predicted = [
        {
            "start": 19,
            "end": 27,
            "entity": "secteur",
            "value": "commerce",
            "extractor": "DIETClassifier",
        },
        {
            "start": 30,
            "end": 37,
            "entity": "commune",
            "value": "Roubaix",
            "extractor": "DIETClassifier",
        },
        {
            "start": 30,
            "end": 37,
            "entity": "commune",
            "value": "Roubaix",
            "extractor": "RegexEntityExtractor",
        },  # the same words twice: kept once
        {"start": 47, "end": 57, "entity": "statut", "value": "demandeur_emploi"},
        {"start": 0, "end": 2, "entity": "inconnue", "value": "je"},  # not in the contract
    ]
    annotated = annotate(MESSAGE, predicted)
    assert annotated == ANNOTATED
    assert validate_correction(MESSAGE, "informer", annotated).text == MESSAGE
    assert annotate(MESSAGE, []) == MESSAGE


# --- the export -------------------------------------------------------------------------------

CORRECTIONS = [
    ("informer", ANNOTATED),
    ("chercher_aides", "quelles aides pour un [local](besoin) ?"),
    ("informer", ANNOTATED),  # the same example twice
    ("hors_sujet", "tu connais la météo ?"),
    ("capacites_bot", "tu connais la météo ?"),  # corrected again: the latest
    ("informer", "j'ai [34](age) ans"),
]


def test_the_export_groups_by_intent_deduplicates_and_keeps_the_latest_correction():
    exported = export_yaml(CORRECTIONS)
    assert exported.count("- intent: informer") == 1
    data = yaml.safe_load(exported)
    assert data["version"] == "3.1"
    blocks = {block["intent"]: block["examples"] for block in data["nlu"]}
    assert list(blocks) == ["informer", "chercher_aides", "capacites_bot"]  # domain order
    assert blocks["informer"] == f"- {ANNOTATED}\n- j'ai [34](age) ans\n"
    assert blocks["capacites_bot"] == "- tu connais la météo ?\n"
    assert "hors_sujet" not in blocks
    assert exported.startswith("# ")


def test_an_empty_export_is_still_a_valid_nlu_file():
    data = yaml.safe_load(export_yaml([]))
    assert data == {"version": "3.1", "nlu": []}


@pytest.mark.rasa
def test_rasa_reads_the_exported_file_with_its_intents_entities_and_values(tmp_path):
    exported = tmp_path / "corrections-nlu.yml"
    exported.write_text(export_yaml(CORRECTIONS), encoding="utf-8")
    script = (
        "import json, sys\n"
        "from rasa.shared.nlu.training_data.loading import load_data\n"
        "data = load_data(sys.argv[1])\n"
        "print(json.dumps([{'text': m.get('text'), 'intent': m.get('intent'),\n"
        "  'entities': [[e['entity'], e['value'], e['start'], e['end']]\n"
        "               for e in m.get('entities') or []]}\n"
        "  for m in data.intent_examples]))\n"
    )
    result = subprocess.run(
        [str(PROJECT_DIR / ".venv-rasa" / "bin" / "python"), "-c", script, str(exported)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={"RASA_TELEMETRY_ENABLED": "false", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    examples = {e["text"]: e for e in json.loads(result.stdout.strip().splitlines()[-1])}
    assert set(examples) == {
        MESSAGE,
        "quelles aides pour un local ?",
        "tu connais la météo ?",
        "j'ai 34 ans",
    }
    assert examples[MESSAGE]["intent"] == "informer"
    assert examples[MESSAGE]["entities"] == [
        ["secteur", "commerce", 19, 27],
        ["commune", "Roubaix", 30, 37],
        ["statut", "demandeur_emploi", 47, 57],
    ]
    assert examples["quelles aides pour un local ?"]["entities"] == [["besoin", "local", 22, 27]]
    for text, example in examples.items():  # our parser agrees with Rasa's offsets
        ours = next(
            parse_annotation(a)[0] for _, a in CORRECTIONS if parse_annotation(a)[0].text == text
        )
        assert [[e.entity, e.value, e.start, e.end] for e in ours.entities] == example["entities"]
    assert examples["tu connais la météo ?"]["intent"] == "capacites_bot"
    assert "UserWarning" not in result.stderr or "corrections" not in result.stderr


# --- masking -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "marie.dupont@exemple.fr",
        "Marie-Claire.O'Neil+pro@mairie-roubaix.gouv.fr",
        "06 12 34 56 78",
        "06.12.34.56.78",
        "06-12-34-56-78",
        "0612345678",
        "06 1234 5678",
        "+33 6 12 34 56 78",
        "+33612345678",
        "+33 (0)6 12 34 56 78",
        "0033 6 12 34 56 78",
        "+262 692 12 34 56",
        "+32 470 12 34 56",
        "03\u00a020\u00a012\u00a034\u00a056",
    ],
)
def test_every_way_of_writing_an_email_or_a_phone_number_is_masked(text):
    masked = mask_text(f"Contact : {text}, merci")
    assert text not in masked
    assert masked.startswith("Contact : [")
    assert EMAIL_MASK in masked or PHONE_MASK in masked
    assert has_contact_details(text)


@pytest.mark.parametrize(
    "text",
    [
        "Prêt d'honneur de 15 000 € à 0 %",
        "59100 Roubaix",
        "jusqu'à 1 500 000 €",
        "le 12/03/2026",
        "SIRET 123 456 789 00012 ?",
        "j'ai 34 ans et 2 salariés",
        "Article L. 5141-1",
        "https://www.service-public.fr/particuliers/vosdroits/F1234",
    ],
)
def test_amounts_postal_codes_dates_and_links_are_not_masked(text):
    assert mask_text(text) == text
    assert not has_contact_details(text)


def test_values_are_masked_deeply():
    value = {"coordonnees": "marie@exemple.fr", "besoins": ["local", "tel 0612345678"], "age": 34}
    assert mask_value(value) == {
        "coordonnees": EMAIL_MASK,
        "besoins": ["local", f"tel {PHONE_MASK}"],
        "age": 34,
    }


def test_a_leads_own_fields_keep_just_enough_to_be_recognised():
    assert mask_email("jeanne.dupont@exemple.fr") == "j•••@•••.fr"
    assert mask_phone("06 12 34 56 78") == "06 •• •• •• 78"
    assert mask_phone("+262 692 12 34 56") == "+262 •• •• •• 56"
    assert mask_phone("123") == "•• •• ••"
