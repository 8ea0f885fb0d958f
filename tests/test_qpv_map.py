"""The QPV map of the 14 territories: official counts, official codes, and what the validator
refuses (a code of the wrong form, a list whose length differs from the recorded count)."""

from __future__ import annotations

import copy
import importlib.util
import json

import pytest
from conftest import PROJECT_DIR

from catalog.files import read_files
from catalog.qpv_map import check_territory_qpv, valid_code
from catalog.validate import validate

# Number of QPV per territory: décret n° 2023-1314 (metropolitan list since 1 January 2024) and
# the overseas list since 1 January 2025, as in the ANCT file « Quartiers prioritaires de la
# politique de la ville (QPV) » on data.gouv.fr, read on 2026-12-02. Cross-checks: Bouches-du-
# Rhône 71 (Cité Ressources), Arras 6 (IREV), Toulouse 16 (AUAT), Narbonne 3 — see issue 15.
OFFICIAL = {
    "aix-marseille": 66,
    "arras": 6,
    "est-ensemble": 22,
    "grand-narbonne": 3,
    "grand-nancy": 8,
    "grand-paris-sud": 18,
    "laval": 3,
    "maubeuge-val-de-sambre": 11,
    "montbeliard": 9,
    "montpellier": 10,
    "orly-choisy": 3,
    "roubaix": 3,
    "saint-louis-reunion": 6,
    "toulouse": 16,
}


@pytest.fixture(scope="module")
def files():
    return read_files()


def territory(files, tid: str) -> dict:
    return next(t for t in files.territories if t["id"] == tid)


@pytest.mark.parametrize(("tid", "count"), sorted(OFFICIAL.items()))
def test_each_territory_lists_exactly_its_recorded_official_number_of_qpv(files, tid, count):
    t = territory(files, tid)
    assert t["qpv_official"]["official_count"] == count
    assert t["qpv_official"]["count_source"].startswith("https://")
    assert len(t["qpv"]) == count
    assert len({q["code"] for q in t["qpv"]}) == count
    assert all(valid_code(q["code"]) for q in t["qpv"])


def test_the_shipped_catalogue_validates(files):
    assert validate(files) == []


def test_laval_has_the_three_official_qpv_and_not_the_veille_area(files):
    names = {q["code"]: q["name"] for q in territory(files, "laval")["qpv"]}
    assert names == {
        "QN05301M": "Les Fourches",
        "QN05302M": "Kellermann",
        "QN05303M": "Pavement - Charité - Mortier - Murat",
    }


def test_saint_louis_has_the_2025_overseas_codes(files):
    codes = {q["code"] for q in territory(files, "saint-louis-reunion")["qpv"]}
    assert codes == {"QN97401I", "QN97402M", "QN97403M", "QN97404M", "QN97405M", "QN97457M"}


def test_an_intercommunal_qpv_keeps_all_its_communes(files):
    roubaix = {q["code"]: q for q in territory(files, "roubaix")["qpv"]}
    assert roubaix["QN05980M"]["communes"] == ["59163", "59512", "59599", "59650"]


def test_an_intercommunal_qpv_is_known_in_each_of_its_communes(catalog):
    for insee in ("59291", "59365", "59392", "59424"):  # Hautmont, Louvroil, Maubeuge, Neuf-Mesnil
        assert "QN05918M" in {q["code"] for q in catalog.places.qpv_of_commune(insee)}
    assert len(catalog.places.qpv_of_commune("59512")) == 3  # Roubaix


def test_a_qpv_name_shared_by_several_communes_is_not_guessed(catalog):
    # « Centre Ville » is a QPV of Marignane and of other communes: no commune is guessed.
    assert catalog.places.resolve("Centre Ville") is None


@pytest.mark.parametrize(
    "code",
    ["QP05301M", "QN5301M", "QN053001M", "QN05301X", "QN05301", "qn05301m", "QN0A101M", None],
)
def test_the_validator_rejects_a_code_of_the_wrong_form(files, code):
    t = copy.deepcopy(territory(files, "laval"))
    t["qpv"][0]["code"] = code
    errors = check_territory_qpv(t, "laval")
    assert any("code QPV invalide" in str(e) for e in errors)


def test_the_validator_rejects_a_code_of_another_department(files):
    t = copy.deepcopy(territory(files, "laval"))
    t["qpv"][0]["code"] = "QN05901M"  # a Nord code for a Mayenne QPV
    assert any("département" in str(e) for e in check_territory_qpv(t, "laval"))


def test_the_validator_rejects_a_list_shorter_or_longer_than_the_official_count(files):
    t = copy.deepcopy(territory(files, "laval"))
    t["qpv"].pop()
    assert [str(e) for e in check_territory_qpv(t, "laval")] == [
        f"laval: 2 QPV listés, 3 selon le nombre officiel ({t['qpv_official']['count_source']})"
    ]
    t = copy.deepcopy(territory(files, "laval"))
    t["qpv_official"]["official_count"] = 4
    assert any("3 QPV listés, 4 selon" in str(e) for e in check_territory_qpv(t, "laval"))


def test_the_validator_rejects_a_qpv_outside_the_territory_or_a_missing_count(files):
    t = copy.deepcopy(territory(files, "laval"))
    t["qpv"][0]["communes"] = ["75056"]  # Paris, not in Laval Agglomération
    assert any("aucune de ses communes" in str(e) for e in check_territory_qpv(t, "laval"))
    t = copy.deepcopy(territory(files, "laval"))
    del t["qpv_official"]
    assert [str(e) for e in check_territory_qpv(t, "laval")] == [
        "laval: carte des QPV absente (qpv_map.yml) ou sans nombre officiel"
    ]


def test_qp_catalog_validate_reports_a_wrong_count(tmp_path):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(PROJECT_DIR / "catalog" / "data", data)
    path = data / "qpv_map.yml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("official_count: 3\n", "official_count: 2\n", 1),
        encoding="utf-8",
    )
    errors = validate(read_files(data))
    assert any("3 QPV listés, 2 selon le nombre officiel" in str(e) for e in errors)


def _extract_qpv():
    spec = importlib.util.spec_from_file_location(
        "extract_qpv", PROJECT_DIR / "scripts" / "extract_qpv.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _feature(code: str, name: str, insee: str) -> dict:
    return {"type": "Feature", "properties": {"code_qp": code, "lib_qp": name, "insee_com": insee}}


def test_the_extraction_script_refuses_a_file_whose_count_changed(tmp_path):
    extract = _extract_qpv()
    geojson = tmp_path / "qp.geojson"
    geojson.write_text(
        json.dumps({"features": [_feature("QN05301M", "Les Fourches", "53130")]}),
        encoding="utf-8",
    )
    laval = [{"id": "laval", "communes": [{"insee": "53130"}]}]
    records = extract.qpv_records(extract.load_features(geojson))
    with pytest.raises(SystemExit, match="1 QPV dans le fichier, 3 attendus"):
        extract.build_map(laval, records)


def test_the_extraction_script_refuses_a_code_of_the_wrong_form():
    extract = _extract_qpv()
    with pytest.raises(SystemExit, match="inattendus"):
        extract.qpv_records([_feature("QP053001", "Les Fourches", "53130")])
