"""`qp` as a user runs it: real processes, real SQLite files."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml
from conftest import DATABASES, PROJECT_DIR

QP = [sys.executable, "-m", "bot.cli"]


def qp(*args: str, stdin: str | None = None, env: dict | None = None):
    return subprocess.run(
        [*QP, *args],
        input=stdin,
        capture_output=True,
        check=False,
        text=True,
        cwd=PROJECT_DIR,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_recommend_prints_the_contract_json_for_a_job_seeker_in_roubaix(tmp_path):
    path = tmp_path / "profil.json"
    path.write_text(
        json.dumps(
            {
                "stade": "creation",
                "secteur": "commerce",
                "statut": "demandeur_emploi",
                "commune": "Roubaix",
            }
        )
    )
    result = qp("recommend", str(path))
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) == {"aids", "contacts", "questions"}
    found = {aid["id"]: aid for aid in answer["aids"]}
    assert {"acre", "pret-honneur-quartier"} <= set(found)
    for aid in answer["aids"]:
        assert isinstance(aid["score"], float)
        assert aid["reasons"] is not None
        assert isinstance(aid["to_check"], list)
    assert answer["contacts"][0]["territory"] in ("roubaix", None)
    assert {"id", "name", "kind", "url", "phone", "territory"} <= set(answer["contacts"][0])
    assert "implante_qpv" in answer["questions"]


def test_recommend_reads_standard_input():
    result = qp("recommend", "-", stdin='{"stade": "idee"}')
    assert result.returncode == 0
    assert json.loads(result.stdout)["aids"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{pas du json", "profil JSON invalide"),
        ('{"couleur": "bleu"}', "champ inconnu"),
        ('{"stade": "fusion"}', "valeur inconnue pour stade"),
        ('["creation"]', "objet JSON"),
        ("", "profil JSON invalide"),
    ],
)
def test_recommend_refuses_a_bad_profile_with_exit_status_2(text, message):
    result = qp("recommend", "-", stdin=text)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert message in lines[0]
    assert "Traceback" not in result.stderr


def test_recommend_on_a_missing_file_is_a_clear_error():
    result = qp("recommend", "/nonexistent/profil.json")
    assert result.returncode == 2
    assert "impossible de lire" in result.stderr


def test_validate_passes_on_the_shipped_data():
    result = qp("catalog", "validate")
    assert result.returncode == 0, result.stderr
    assert "Catalogue valide" in result.stdout


def test_validate_reports_one_precise_line_per_error(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(PROJECT_DIR / "catalog" / "data", data)
    aids_file = data / "aids" / "creation.yml"
    aids = yaml.safe_load(aids_file.read_text())
    acre = next(a for a in aids if a["id"] == "acre")
    acre["status"] = "closed"
    acre["valid_until"] = None
    acre["url"] = "pas une url"
    acre["eligibility"] = {"field": "couleur", "eq": "bleu"}
    aids.append(dict(aids[1]))  # duplicate id
    aids_file.write_text(yaml.safe_dump(aids, allow_unicode=True))
    result = qp("catalog", "validate", env={"QP_CATALOG_DIR": str(data)})
    assert result.returncode == 1
    errors = result.stderr.strip().splitlines()
    assert any("(acre)" in e and "date de fin" in e for e in errors)
    assert any("(acre)" in e and "URL" in e for e in errors)
    assert any("(acre)" in e and "couleur" in e for e in errors)
    assert any("en double" in e for e in errors)
    assert errors[-1].endswith("erreur(s) dans le catalogue.")


@pytest.mark.parametrize("kind", DATABASES)
def test_load_is_idempotent_and_export_gives_every_aid(kind, tmp_path_factory):
    env = {"DATABASE_URL": kind(tmp_path_factory)}
    first, second = qp("catalog", "load", env=env), qp("catalog", "load", env=env)
    assert first.returncode == 0
    assert second.returncode == 0
    assert first.stdout == second.stdout
    assert "42 aids" in first.stdout
    exported = json.loads(qp("catalog", "export", "--format", "json", env=env).stdout)
    assert len(exported) == 42
    assert {"acre", "emplois-francs"} <= {a["id"] for a in exported}
    rows = list(
        csv.DictReader(io.StringIO(qp("catalog", "export", "--format", "csv", env=env).stdout))
    )
    closed = next(r for r in rows if r["id"] == "emplois-francs")
    assert closed["status"] == "closed"
    assert closed["valid_until"] == "2024-12-31"
