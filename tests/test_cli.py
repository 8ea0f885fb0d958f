"""`qp` as a user runs it: real processes, real SQLite files."""

from __future__ import annotations

import csv
import datetime
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
    assert "50 aids" in first.stdout
    exported = json.loads(qp("catalog", "export", "--format", "json", env=env).stdout)
    assert len(exported) == 50
    assert {"acre", "emplois-francs"} <= {a["id"] for a in exported}
    rows = list(
        csv.DictReader(io.StringIO(qp("catalog", "export", "--format", "csv", env=env).stdout))
    )
    closed = next(r for r in rows if r["id"] == "emplois-francs")
    assert closed["status"] == "closed"
    assert closed["valid_until"] == "2024-12-31"


def test_stale_lists_old_aids_and_contacts_in_a_french_table(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(PROJECT_DIR / "catalog" / "data", data)
    checked = datetime.date(2026, 12, 2)
    for path in [*(data / "aids").glob("*.yml"), data / "contacts.yml"]:
        records = yaml.safe_load(path.read_text())
        for record in records:
            record["last_checked"] = checked
            if record["id"] == "acre":
                record["last_checked"] = datetime.date(2026, 2, 6)
            if record["id"] == "adie-national":
                record["last_checked"] = datetime.date(2025, 1, 15)
        path.write_text(yaml.safe_dump(records, allow_unicode=True))
    env = {"QP_CATALOG_DIR": str(data), "DATABASE_URL": f"sqlite:///{tmp_path}/stale.sqlite"}
    assert qp("catalog", "load", env=env).returncode == 0
    result = qp("catalog", "stale", "--date", "2026-12-02", env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "À revérifier le 02/12/2026 (dernière vérification avant le 02/06/2026) : "
        "1 aide(s), 1 contact(s)."
    )
    assert lines[1].split() == ["type", "identifiant", "dernière", "vérification", "ancienneté"]
    assert lines[2].split() == [
        "contact",
        "adie-national",
        "15/01/2025",
        "1",
        "an",
        "et",
        "10",
        "mois",
    ]
    assert lines[3].split() == ["aide", "acre", "06/02/2026", "9", "mois"]
    # Withdrawn aids are not stale facts (nothing of them is shown): listed apart, once.
    assert lines[4].startswith("Hors de cette liste, 6 aide(s) retirée(s) des recommandations")
    assert "occitanie-pass (depuis le 02/12/2026)" in lines[4]
    assert len(lines) == 5
    fresh = qp("catalog", "stale", "--date", "2025-03-01", env=env)
    assert fresh.returncode == 0
    assert fresh.stdout.startswith("Rien à revérifier le 01/03/2025")
    wrong = qp("catalog", "stale", "--date", "hier", env=env)
    assert wrong.returncode == 2
    assert "date invalide" in wrong.stderr
