"""`qp catalog import aides-territoires`: mapping, upsert, curated records, CLI, engine, API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date

import httpx
import pytest
from conftest import PROJECT_DIR
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.aides_territoires import DownloadError, download
from catalog import store
from catalog.engine import Catalog, recommend
from catalog.files import read_files
from catalog.importers import aides_territoires as at
from catalog.models import Aid
from catalog.profile import parse_profile

FIXTURE = PROJECT_DIR / "tests" / "fixtures" / "aides_territoires.json"
RAW = json.loads(FIXTURE.read_text(encoding="utf-8"))["results"]
BY_SLUG = {r["slug"]: r for r in RAW}
NATIONAL = "at-a1b2-fonds-damorcage-des-jeunes-entreprises"
HDF_LOAN = "at-c3d4-pret-relance-tpe-hauts-de-france"
EXPIRED = "at-e5f6-cheque-energie-commerces"
OCCITANIE = "at-k1l2-avance-transformation-numerique-occitanie"
IMPORTED = {NATIONAL, HDF_LOAN, EXPIRED, OCCITANIE}
TODAY = date(2026, 3, 1)


@pytest.fixture
def engine(tmp_path):
    engine = store.make_engine(f"sqlite:///{tmp_path}/c.sqlite")
    store.load(read_files(), engine)
    yield engine
    engine.dispose()


def rows(engine) -> dict[str, Aid]:
    with Session(engine) as session:
        return {a.id: a for a in session.scalars(select(Aid))}


def qp(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        check=False,
        text=True,
        cwd=PROJECT_DIR,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


# --- mapping -------------------------------------------------------------------------------


def test_a_national_grant_for_businesses_maps_to_a_valid_unscoped_record():
    aid = at.map_aid(BY_SLUG["a1b2-fonds-damorcage-des-jeunes-entreprises"], today=TODAY)
    assert aid["id"] == NATIONAL
    assert aid["origin"] == "aides-territoires"
    assert (aid["family"], aid["type"], aid["provider"]) == (
        "creation",
        "subvention",
        "Ministère de l'Économie",
    )
    assert "scope" not in aid
    assert aid["status"] == "open"
    assert aid["eligibility"] is None
    assert aid["amount"] == {
        "text": "Subvention de 20 à 50 % des dépenses",
        "min": None,
        "max": None,
    }
    assert "<" not in aid["summary"]
    assert "d'une entreprise de moins de 3 ans" in aid["summary"]
    assert aid["checks"][0].endswith("moins de 3 ans, moins de 10 salariés.")
    assert aid["checks"][-1] == at.NOTICE
    assert aid["url"] == "https://www.economie.gouv.fr/fonds-amorcage-jeunes-entreprises"
    assert aid["sources"] == [
        "https://aides-territoires.beta.gouv.fr/aides/a1b2-fonds-damorcage-des-jeunes-entreprises/"
    ]
    assert (aid["valid_from"], aid["valid_until"]) == (date(2025, 1, 1), None)
    assert aid["last_checked"] == date(2026, 1, 20)
    assert aid["confidence"] == "secondary"
    assert aid["needs"] == ["financement"]
    assert at.check(aid, read_files()) == []


def test_a_regional_loan_is_scoped_to_its_region():
    aid = at.map_aid(BY_SLUG["c3d4-pret-relance-tpe-hauts-de-france"], today=TODAY)
    assert aid["scope"] == {"regions": ["hauts-de-france"]}
    assert aid["type"] == "pret"
    assert aid["amount"]["max"] == 50000
    assert aid["amount"]["text"] == "Prêt jusqu'à 50 000 €"
    assert aid["provider"] == "Région Hauts-de-France"
    assert aid["url"] == "https://guide-aides.hautsdefrance.fr/pret-relance-tpe"


def test_an_expired_aid_is_closed_until_its_deadline():
    aid = at.map_aid(BY_SLUG["e5f6-cheque-energie-commerces"], today=TODAY)
    assert aid["status"] == "closed"
    assert aid["valid_until"] == date(2024, 6, 30)
    assert aid["family"] == "transition"
    assert "transition_ecologique" in aid["needs"]
    # "France métropolitaine": every region but the overseas ones
    assert "hauts-de-france" in aid["scope"]["regions"]
    assert "la-reunion" not in aid["scope"]["regions"]
    assert at.check(aid, read_files()) == []


def test_a_future_deadline_keeps_the_aid_open_with_an_end_date():
    record = dict(BY_SLUG["e5f6-cheque-energie-commerces"], submission_deadline="2026-06-30")
    aid = at.map_aid(record, today=TODAY)
    assert aid["status"] == "open"
    assert aid["valid_until"] == date(2026, 6, 30)


def test_french_labels_of_the_api_are_understood_too():
    aid = at.map_aid(BY_SLUG["k1l2-avance-transformation-numerique-occitanie"], today=TODAY)
    assert aid["type"] == "pret"
    assert aid["operator"] == "AD'OCC"
    assert aid["family"] == "transition"
    assert aid["needs"] == ["financement", "numerique"]
    assert aid["amount"]["text"] == "Avance récupérable jusqu'à 30 000 €"
    assert "&" in aid["summary"]
    assert "&amp;" not in aid["summary"]
    assert aid["scope"] == {"regions": ["occitanie"]}


@pytest.mark.parametrize(
    "slug", ["g7h8-renovation-des-ecoles-communales", "i9j0-aide-aux-vitrines-de-roubaix"]
)
def test_aids_for_communes_only_or_for_an_unplaceable_perimeter_are_skipped(slug):
    assert at.map_aid(BY_SLUG[slug]) is None


def test_no_audience_means_skipped_and_long_texts_are_cut():
    record = dict(BY_SLUG["a1b2-fonds-damorcage-des-jeunes-entreprises"])
    assert at.map_aid(dict(record, targeted_audiences=[])) is None
    assert at.map_aid({k: v for k, v in record.items() if k != "targeted_audiences"}) is None
    aid = at.map_aid(
        dict(record, description="<p>" + "mot " * 200 + "</p>", aid_types=["technical_engineering"])
    )
    assert len(aid["summary"]) <= at.SUMMARY_LENGTH
    assert aid["summary"].endswith("…")
    assert aid["type"] == "accompagnement"


# --- import --------------------------------------------------------------------------------


def test_import_counts_each_outcome_and_stores_the_records(engine):
    report = at.import_file(FIXTURE, engine)
    assert set(report.imported) == IMPORTED
    assert (report.updated, report.ignored_curated, report.invalid) == ([], [], [])
    assert dict(report.skipped) == {
        "g7h8-renovation-des-ecoles-communales": "ne vise pas les entreprises",
        "i9j0-aide-aux-vitrines-de-roubaix": "territoire non couvert : Roubaix",
    }
    stored = rows(engine)
    assert len(stored) == len(read_files().aids) + 4
    assert {stored[i].origin for i in IMPORTED} == {"aides-territoires"}
    assert stored[HDF_LOAN].regions == ["hauts-de-france"]
    assert report.summary() == (
        "Import Aides-territoires : 4 aides importées, 0 mise à jour, "
        "2 ignorées (hors entreprises ou hors territoire)"
    )


def test_reimport_is_idempotent_and_replaces_changed_records(engine, tmp_path):
    at.import_file(FIXTURE, engine)
    again = at.import_file(FIXTURE, engine)
    assert again.imported == []
    assert again.updated == []
    assert set(again.unchanged) == IMPORTED
    changed = [
        dict(r, name="Prêt Relance TPE (nouvelle version)")
        if r["slug"] == "c3d4-pret-relance-tpe-hauts-de-france"
        else r
        for r in RAW
    ]
    path = tmp_path / "liste.json"  # a plain list is accepted as well as a page
    path.write_text(json.dumps(changed), encoding="utf-8")
    third = at.import_file(path, engine)
    assert third.updated == [HDF_LOAN]
    assert third.imported == []
    assert rows(engine)[HDF_LOAN].name == "Prêt Relance TPE (nouvelle version)"


def test_a_hydra_page_is_accepted(engine, tmp_path):
    path = tmp_path / "page.json"
    path.write_text(json.dumps({"hydra:member": RAW[:2]}), encoding="utf-8")
    assert set(at.import_file(path, engine).imported) == {NATIONAL, HDF_LOAN}


def test_a_curated_record_is_never_overwritten(engine):
    before = rows(engine)["acre"]
    fake = dict(at.map_aid(RAW[0]), id="acre", name="ACRE importée")
    report = at.upsert([fake], engine)
    assert report.ignored_curated == ["acre"]
    assert report.imported == report.updated == []
    after = rows(engine)["acre"]
    assert (after.name, after.origin, after.type) == (before.name, "catalogue", before.type)
    assert "déjà dans le catalogue (fiche relue conservée)" in report.summary()


def test_an_invalid_record_is_refused_with_the_validator_messages(engine):
    bad = dict(
        at.map_aid(RAW[0]),
        id="at-bad",
        type="cadeau",
        valid_from=date(2026, 5, 1),
        valid_until=date(2026, 1, 1),
    )
    report = at.upsert([bad], engine)
    assert report.invalid
    assert report.invalid[0][0] == "at-bad"
    messages = " | ".join(report.invalid[0][1])
    assert "type : vaut 'cadeau'" in messages
    assert "antérieure" in messages
    assert "at-bad" not in rows(engine)


def test_loading_the_catalogue_again_keeps_the_imported_records(engine):
    at.import_file(FIXTURE, engine)
    store.load(read_files(), engine)
    stored = rows(engine)
    assert set(stored) >= IMPORTED
    assert stored["acre"].origin == "catalogue"


# --- engine --------------------------------------------------------------------------------


def test_imported_aids_are_recommended_only_when_open_and_in_the_right_region(engine):
    at.import_file(FIXTURE, engine)
    catalog = Catalog(store.read(engine))
    in_roubaix = {
        m.aid["id"]
        for m in recommend(catalog, parse_profile({"stade": "creation", "commune": "Roubaix"})).aids
    }
    assert {NATIONAL, HDF_LOAN} <= in_roubaix
    assert not {EXPIRED, OCCITANIE} & in_roubaix
    in_toulouse = {
        m.aid["id"]
        for m in recommend(
            catalog, parse_profile({"stade": "creation", "commune": "Toulouse"})
        ).aids
    }
    assert {NATIONAL, OCCITANIE} <= in_toulouse
    assert HDF_LOAN not in in_toulouse
    match = next(
        m
        for m in recommend(catalog, parse_profile({"commune": "Roubaix"})).aids
        if m.aid["id"] == HDF_LOAN
    )
    assert at.NOTICE in match.to_check


# --- command line --------------------------------------------------------------------------


def test_cli_imports_then_load_keeps_the_imported_aids(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/cli.sqlite"}
    assert qp("catalog", "load", env=env).returncode == 0
    result = qp("catalog", "import", "aides-territoires", str(FIXTURE), env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "Import Aides-territoires : 4 aides importées, "
        "0 mise à jour, 2 ignorées (hors entreprises ou hors "
        "territoire)"
    )
    again = qp("catalog", "import", "aides-territoires", str(FIXTURE), env=env)
    assert "0 aide importée, 0 mise à jour, 4 inchangées" in again.stdout
    assert qp("catalog", "load", env=env).returncode == 0
    exported = json.loads(qp("catalog", "export", "--format", "json", env=env).stdout)
    assert {a["id"] for a in exported} >= IMPORTED


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{pas du json", "JSON invalide"),
        ('{"aides": 3}', "n'est pas un export Aides-territoires"),
        (None, "impossible de lire"),
    ],
)
def test_cli_refuses_a_bad_file_with_exit_status_2(tmp_path, content, message):
    path = tmp_path / "export.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = qp(
        "catalog",
        "import",
        "aides-territoires",
        str(path),
        env={"DATABASE_URL": f"sqlite:///{tmp_path}/cli.sqlite"},
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert message in lines[0]
    assert "Traceback" not in result.stderr


def test_cli_download_needs_the_api_key(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/cli.sqlite"}
    env.pop("AIDES_TERRITOIRES_API_KEY", None)
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "catalog", "import", "aides-territoires", "--download"],
        capture_output=True,
        check=False,
        text=True,
        cwd=PROJECT_DIR,
        env=env,
        timeout=120,
    )
    assert result.returncode == 2
    assert "AIDES_TERRITOIRES_API_KEY" in result.stderr


# --- API download (fake transport: never the internet) -------------------------------------


def fake_api(pages: list[dict], seen: list[httpx.Request]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/api/connexion/":
            if request.headers.get("X-AUTH-TOKEN") != "cle-secrete":
                return httpx.Response(401, json={"detail": "clé invalide"})
            return httpx.Response(200, json={"token": "jwt-123"})
        assert request.url.path == "/api/aids/"
        assert request.headers["Authorization"] == "Bearer jwt-123"
        return httpx.Response(200, json=pages[int(request.url.params["page"]) - 1])

    return httpx.MockTransport(handle)


def test_download_logs_in_then_reads_every_page():
    seen: list[httpx.Request] = []
    pages = [
        {"count": 3, "next": "https://x/api/aids/?page=2", "results": RAW[:2]},
        {"count": 3, "next": None, "results": RAW[2:3]},
    ]
    aids = download("cle-secrete", page_size=2, transport=fake_api(pages, seen))
    assert [a["slug"] for a in aids] == [r["slug"] for r in RAW[:3]]
    assert [r.method for r in seen] == ["POST", "GET", "GET"]
    assert seen[1].url.params["page_size"] == "2"


def test_download_with_a_wrong_key_is_a_clear_error():
    with pytest.raises(DownloadError, match="HTTP 401"):
        download("mauvaise-cle", transport=fake_api([], []))
