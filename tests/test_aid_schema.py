"""The one typed aid schema (catalog/aid_schema.py): the shipped records fit it, a record goes
through the database and back unchanged, its errors are structured and French, the console's
form fields are paths of it, and the JSON Schema committed for editors is the generated one."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from datetime import date
from typing import Any

import pytest
from conftest import PROJECT_DIR

from catalog import aid_form, store
from catalog.aid_schema import AidRecord, StoredAid, json_schema, problems_of, schema_text
from catalog.files import read_files
from catalog.validate import validate

SCHEMA_FILE = PROJECT_DIR / "catalog" / "schema" / "aid.schema.json"


@pytest.fixture(scope="module")
def files():
    return read_files()


def _acre(files) -> dict[str, Any]:
    return copy.deepcopy(next(a for a in files.aids if a["id"] == "acre"))


def test_every_shipped_aid_fits_the_schema(files):
    assert files.aids
    for aid in files.aids:
        assert problems_of(aid, aid["id"]) == [], aid["id"]


def test_an_aid_goes_through_the_database_and_back_unchanged(files, tmp_path):
    engine = store.make_engine(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    store.load(files, engine)
    stored = {aid.id: aid for aid in store.read_aids(engine)}
    for record in files.aids:
        expected = StoredAid.model_validate(record)
        assert stored[record["id"]] == expected, record["id"]
    engine.dispose()


def test_errors_are_structured_by_field_and_in_french(files):
    aid = _acre(files)
    aid.update(
        status="closed",
        valid_until=None,
        family="famille",
        sources=["https://www.urssaf.fr", "pas une adresse"],
        amount={"text": "Jusqu'à 5 000 €", "min": 8000, "max": 5000},
        last_checked=None,
        montant="10 000 €",  # a misspelt key
    )
    found = {p.field: p.message for p in problems_of(aid, "creation.yml[0] (acre)")}
    assert found == {
        "valid_until": "une aide fermée doit avoir une date de fin",
        "family": ("vaut 'famille', attendu l'un de : qpv, creation, transition, regional"),
        "sources[1]": "n'est pas une URL http(s) valide : 'pas une adresse'",
        "amount.max": "le montant maximum est inférieur au montant minimum",
        "last_checked": "champ obligatoire manquant",
        "montant": "clé inconnue (faute de frappe ?)",
    }


def test_the_validator_reports_schema_errors_with_their_record_and_field(files):
    broken = copy.deepcopy(files)
    acre = next(a for a in broken.aids if a["id"] == "acre")
    acre["amount"]["min"] = -5
    acre["needs"] = ["financement", "argent"]
    lines = {str(p) for p in validate(broken)}
    where = f"{broken.origins[('aids', 'acre')]} (acre)"
    assert lines == {
        f"{where}: amount.min : doit être un nombre positif, ou rester vide",
        (
            f"{where}: needs[1] : vaut 'argent', attendu l'un de : financement, accompagnement, "
            "local, formation, numerique, transition_ecologique, recrutement"
        ),
    }


def test_a_number_given_as_text_or_a_boolean_is_refused(files):
    for bad in ("5000", True):
        aid = _acre(files)
        aid["amount"]["max"] = bad
        assert [p.field for p in problems_of(aid, "x")] == ["amount.max"], bad


def test_an_imported_aid_carries_its_origin_and_a_file_record_may_not(files):
    aid = dict(_acre(files), origin="aides-territoires")
    assert StoredAid.model_validate(aid).origin == "aides-territoires"
    assert [p.field for p in problems_of(aid, "x")] == ["origin"]
    assert problems_of(aid, "x", StoredAid) == []


def test_the_console_form_edits_paths_of_the_schema():
    for spec in aid_form.FIELDS:
        model: Any = AidRecord
        for part in spec.path:
            assert part in model.model_fields, spec.key
            model = model.model_fields[part].annotation
        if spec.kind == "choice":
            assert set(aid_form.CHOICES[spec.key]) == set(
                json_schema()["$defs"]["AidRecord"]["properties"][spec.key]["enum"]
            )


def test_the_committed_json_schema_is_the_generated_one():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "catalog/schema/aid.schema.json est en retard : qp catalog schema > "
        "catalog/schema/aid.schema.json"
    )
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schema["type"] == "array"
    aid = schema["$defs"]["AidRecord"]
    assert aid["additionalProperties"] is False
    assert list(aid["properties"]) == list(AidRecord.model_fields)
    assert set(aid["required"]) >= {"id", "name", "url", "sources", "last_checked", "status"}


def test_qp_catalog_schema_prints_it():
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "catalog", "schema"],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == SCHEMA_FILE.read_text(encoding="utf-8")


def test_each_aid_file_points_editors_to_the_schema():
    for path in sorted((PROJECT_DIR / "catalog" / "data" / "aids").glob("*.yml")):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../../schema/aid.schema.json", path.name


def test_dated_amounts_are_part_of_the_schema(files):
    aid = _acre(files)
    aid["amount"]["values"] = [
        {
            "since": date(2024, 12, 6),
            "max": 17000,
            "text": "Jusqu'à 17 000 €",
            "reference": {
                "title": "Décret n° 2024-1123 du 4 décembre 2024",
                "url": "https://www.legifrance.gouv.fr/jorf/id/JORFTEXT000050714960",
            },
        }
    ]
    assert problems_of(aid, "x") == []
    assert StoredAid.model_validate(aid).amount.values[0].since == date(2024, 12, 6)
    aid["amount"]["values"].append(
        {"since": "2025-01-01", "min": 9000, "max": 5000, "reference": {"title": ""}}
    )
    found = {p.field: p.message for p in problems_of(aid, "x")}
    assert found == {
        "amount.values[1].since": "doit être une date AAAA-MM-JJ : '2025-01-01'",
        "amount.values[1].max": "le montant maximum est inférieur au montant minimum",
        "amount.values[1].reference.title": "champ obligatoire manquant",
    }
    definitions = json_schema()["$defs"]
    assert set(definitions["AmountValue"]["required"]) == {"since", "reference"}
