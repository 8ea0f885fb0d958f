"""« Mon adresse est-elle en QPV ? »: the perimeters file, its import into SQLite and
PostgreSQL, the Base Adresse Nationale wrapper against a local fake over real HTTP, the verdicts
(en QPV, hors QPV, à vérifier and why), and `qp catalog import-qpv` / `qp qpv check` as real
processes. The perimeters are the real (simplified) ones of Laval's and Roubaix's QPV."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import (
    DATABASES,
    INSIDE_FOURCHES,
    INSIDE_NOUVEAU_ROUBAIX,
    PROJECT_DIR,
    QPV_FIXTURE,
)
from fake_ban import FakeBan
from sqlalchemy import inspect

from adapters.ban import DEFAULT_BASE_URL, SEARCH_PATH, BanGeocoder
from catalog import store
from catalog.address import (
    A_VERIFIER,
    EN_QPV,
    HORS_QPV,
    GeocodingUnavailableError,
    answer_text,
    check_address,
    find_address,
)
from catalog.engine import Catalog
from catalog.files import read_files
from catalog.qpv_perimeters import (
    SHIPPED_FILE,
    PerimeterFileError,
    PerimeterIndex,
    border_distance_m,
    perimeter_index,
    read_perimeters,
    read_stored,
    store_perimeters,
)

FIXTURE = QPV_FIXTURE
# Points placed with the fixture's real shapes (see test_the_test_points_are_where_we_say).
LAVAL_CENTRE = (-0.7707, 48.0699)  # more than 1 km from any QPV of Laval
ON_FOURCHES_BORDER = (-0.78677, 48.06673)  # a vertex of Les Fourches' border


@pytest.fixture(scope="module")
def places():
    return Catalog(read_files()).places


@pytest.fixture(scope="module")
def perimeters():
    return PerimeterIndex(read_perimeters(FIXTURE))


@pytest.fixture(scope="module")
def ban():
    with FakeBan() as fake:
        fake.add("12 rue X, 59100 Roubaix", "12 Rue X 59100 Roubaix", *INSIDE_NOUVEAU_ROUBAIX,
                 citycode="59512", postcode="59100", city="Roubaix")  # fmt: skip
        fake.add("3 rue des Fourches 53000 Laval", "3 Rue des Fourches 53000 Laval",
                 *INSIDE_FOURCHES, citycode="53130", postcode="53000", city="Laval")  # fmt: skip
        fake.add("1 place du 11 novembre 53000 Laval", "1 Place du 11 Novembre 53000 Laval",
                 *LAVAL_CENTRE, citycode="53130", postcode="53000", city="Laval")  # fmt: skip
        fake.add("5 rue de la limite 53000 Laval", "5 Rue de la Limite 53000 Laval",
                 *ON_FOURCHES_BORDER, citycode="53130", postcode="53000", city="Laval")  # fmt: skip
        fake.add("rue X Roubaix", "Rue X 59100 Roubaix", *INSIDE_NOUVEAU_ROUBAIX,
                 citycode="59512", postcode="59100", city="Roubaix", kind="street")  # fmt: skip
        fake.add("8 bd du port 80000 amiens", "8 Boulevard du Port 80000 Amiens", 2.290084,
                 49.897443, citycode="80021", postcode="80000", city="Amiens")  # fmt: skip
        fake.add("10 rue de la loge 34000 montpellier", "10 Rue de la Loge 34000 Montpellier",
                 3.8775, 43.6110, citycode="34172", postcode="34000",
                 city="Montpellier")  # fmt: skip
        fake.add("2 rue vague 59100 roubaix", "2 Rue Vague 59100 Roubaix",
                 *INSIDE_NOUVEAU_ROUBAIX, citycode="59512", postcode="59100", city="Roubaix",
                 score=0.31)  # fmt: skip
        yield fake


@pytest.fixture
def geocoder(ban):
    ban.fail_with(200)
    ban.delay(0)
    return BanGeocoder(ban.base_url, timeout=2.0)


def test_the_test_points_are_where_we_say(perimeters):
    fourches = next(p for p in perimeters.perimeters if p.code == "QN05301M")
    assert [p.code for p in perimeters.lookup(*INSIDE_FOURCHES).inside] == ["QN05301M"]
    assert border_distance_m(fourches.geometry, *INSIDE_FOURCHES) > 60
    assert perimeters.lookup(*LAVAL_CENTRE).inside == ()
    assert min(border_distance_m(p.geometry, *LAVAL_CENTRE) for p in perimeters.perimeters) > 900
    assert border_distance_m(fourches.geometry, *ON_FOURCHES_BORDER) < 1


# --- the perimeters file and its import ----------------------------------------------------


def test_the_shipped_file_has_a_perimeter_for_every_qpv_of_the_14_territories():
    codes = {p.code for p in read_perimeters(SHIPPED_FILE)}
    listed = {q["code"] for t in read_files().territories for q in t.get("qpv") or []}
    assert codes == listed
    assert len(codes) == 184
    source = json.loads(SHIPPED_FILE.read_text(encoding="utf-8"))["source"]
    assert source["simplified"] is True
    assert "data.gouv.fr" in source["dataset"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("pas du json", "ce n'est pas du GeoJSON valide"),
        ('{"type": "Feature"}', "FeatureCollection"),
        ('{"type": "FeatureCollection", "features": []}', "aucun périmètre"),
        (
            (
                '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
                '{"code_qp": "QP059001", "lib_qp": "X", "insee_com": "59512"}, "geometry": null}]}'
            ),
            "code_qp « QP059001 »",
        ),
        (
            (
                '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
                '{"code_qp": "QN05981M", "lib_qp": "Nouveau Roubaix", "insee_com": "59512"}, '
                '"geometry": {"type": "Polygon", "coordinates": [[[704000, 7059000], '
                "[705000, 7059000], [705000, 7060000], [704000, 7059000]]]}}]}"
            ),
            "Lambert-93",
        ),
        (
            (
                '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
                '{"code_qp": "QN05981M", "lib_qp": "Nouveau Roubaix", "insee_com": "59512"}, '
                '"geometry": {"type": "Point", "coordinates": [3.18, 50.67]}}]}'
            ),
            "non surfacique",
        ),
    ],
)
def test_a_file_that_is_not_the_perimeters_file_is_refused_in_french(tmp_path, content, expected):
    path = tmp_path / "qpv.geojson"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PerimeterFileError, match=expected):
        read_perimeters(path)


@pytest.mark.parametrize("database", DATABASES)
def test_imported_perimeters_are_read_back_the_same(database, tmp_path_factory):
    engine = store.make_engine(database(tmp_path_factory))
    try:
        assert read_stored(engine) == []
        assert store_perimeters(engine, read_perimeters(FIXTURE), "fixture") == 6
        assert inspect(engine).has_table("qpv_perimeters")
        stored = read_stored(engine)
        assert [p.code for p in stored] == sorted(p.code for p in read_perimeters(FIXTURE))
        roubaix_tourcoing = next(p for p in stored if p.code == "QN05980M")
        assert roubaix_tourcoing.communes == ("59163", "59512", "59599", "59650")
        index = perimeter_index(engine)
        assert [p.code for p in index.lookup(*INSIDE_FOURCHES).inside] == ["QN05301M"]
        # A second import replaces the first.
        assert store_perimeters(engine, read_perimeters(FIXTURE)[:2], "fixture") == 2
        assert len(read_stored(engine)) == 2
    finally:
        engine.dispose()


# --- finding the address in a message ------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "address"),
    [
        ("12 rue X, 59100 Roubaix, c'est en QPV ?", "12 rue X, 59100 Roubaix"),
        (
            "est-ce que le 3 rue des Fourches 53000 Laval est en QPV",
            "3 rue des Fourches 53000 Laval",
        ),
        ("mon local est au 8 bd du Port 80000 Amiens", "8 bd du Port 80000 Amiens"),
        ("J'habite 14 bis avenue Jean Jaurès à Roubaix", "14 bis avenue Jean Jaurès à Roubaix"),
        ("mon local est-il en QPV ?", None),
        ("j'habite aux Fourches à Laval", None),
        ("je veux ouvrir 2 boutiques à Roubaix", None),
    ],
)
def test_the_address_is_found_in_a_message(message, address):
    assert find_address(message) == address


# --- the verdicts --------------------------------------------------------------------------


def test_an_address_inside_a_qpv_is_en_qpv_with_its_code_and_name(geocoder, places, perimeters):
    check = check_address("12 rue X, 59100 Roubaix", geocoder, places, perimeters)
    assert (check.status, check.qpv_code, check.qpv_name) == (EN_QPV, "QN05981M", "Nouveau Roubaix")
    text = answer_text(check)
    assert "est en QPV" in text
    assert "Nouveau Roubaix (QN05981M)" in text
    assert "12 Rue X 59100 Roubaix" in text


def test_an_address_far_from_every_qpv_is_hors_qpv(geocoder, places, perimeters):
    check = check_address("1 place du 11 novembre 53000 Laval", geocoder, places, perimeters)
    assert check.status == HORS_QPV
    assert check.qpv_code is None
    assert "hors QPV" in answer_text(check)


def test_an_address_on_a_border_is_a_verifier_never_guessed(geocoder, places, perimeters):
    check = check_address("5 rue de la limite 53000 Laval", geocoder, places, perimeters)
    assert (check.status, check.reason, check.qpv_code) == (A_VERIFIER, "frontiere", "QN05301M")
    text = answer_text(check)
    assert "À vérifier" in text
    assert "Les Fourches (QN05301M)" in text
    assert "https://sig.ville.gouv.fr" in text


def test_a_street_without_number_is_a_verifier(geocoder, places, perimeters):
    check = check_address("rue X Roubaix", geocoder, places, perimeters)
    assert (check.status, check.reason) == (A_VERIFIER, "imprecise")
    text = answer_text(check)
    assert "numéro" in text
    assert "Nouveau Roubaix (QN05981M)" in text


def test_an_unknown_or_doubtful_address_is_a_verifier(geocoder, places, perimeters):
    for query in ("99 rue qui n'existe pas 59100 Roubaix", "2 rue vague 59100 Roubaix"):
        check = check_address(query, geocoder, places, perimeters)
        assert (check.status, check.reason) == (A_VERIFIER, "introuvable")
        assert check.commune_name == "Roubaix"  # from the words: the fallback names the QPV
        assert "QN05980M" in answer_text(check)


def test_outside_the_14_territories_the_assistant_does_not_say_hors_qpv(
    geocoder, places, perimeters
):
    check = check_address("8 bd du port 80000 Amiens", geocoder, places, perimeters)
    assert (check.status, check.reason) == (A_VERIFIER, "hors_territoires")


def test_a_commune_whose_perimeters_are_missing_is_a_verifier(geocoder, places, perimeters):
    # The fixture has Laval and Roubaix only: Montpellier's QPV have no perimeter here.
    check = check_address("10 rue de la Loge 34000 Montpellier", geocoder, places, perimeters)
    assert (check.status, check.reason) == (A_VERIFIER, "perimetres_absents")
    assert "Mosson" in answer_text(check)


def test_without_perimeters_the_answer_falls_back_on_names(geocoder, places):
    check = check_address("3 rue des Fourches 53000 Laval", geocoder, places, PerimeterIndex([]))
    assert (check.status, check.reason) == (A_VERIFIER, "perimetres_absents")
    assert "Les Fourches (QN05301M)" in answer_text(check)


@pytest.mark.parametrize("failure", ["http_500", "timeout", "refused"])
def test_when_the_geocoder_fails_the_answer_is_a_verifier_with_the_official_link(
    failure, ban, places, perimeters
):
    geocoder = BanGeocoder(ban.base_url, timeout=2.0)
    if failure == "http_500":
        ban.fail_with(500)
    elif failure == "timeout":
        ban.delay(1.0)
        geocoder = BanGeocoder(ban.base_url, timeout=0.2)
    else:
        geocoder = BanGeocoder("http://127.0.0.1:9", timeout=2.0)  # discard port: refused
    try:
        check = check_address("12 rue X, 59100 Roubaix", geocoder, places, perimeters)
    finally:
        ban.fail_with(200)
        ban.delay(0)
    assert (check.status, check.reason) == (A_VERIFIER, "geocodeur_indisponible")
    text = answer_text(check)
    assert "Base Adresse Nationale" in text
    assert "https://sig.ville.gouv.fr" in text
    assert "Roubaix compte 3 quartiers prioritaires" in text


def test_the_wrapper_sends_the_address_and_reads_the_geocodejson(geocoder, ban):
    found = geocoder.search("12 rue X, 59100 Roubaix", limit=3)
    assert ban.queries[-1] == "12 rue X, 59100 Roubaix"
    # The Géoplateforme's documented search: addresses only, a whole address, not a prefix.
    assert ban.params[-1] == {
        "q": "12 rue X, 59100 Roubaix",
        "index": "address",
        "limit": "3",
        "autocomplete": "0",
    }
    assert found[0].label == "12 Rue X 59100 Roubaix"
    assert found[0].citycode == "59512"
    assert found[0].type == "housenumber"
    assert 0 < found[0].score <= 1
    assert geocoder.search("  ") == []  # too short: no request


def test_the_default_geocoder_is_the_geoplateforme_search():
    """api-adresse.data.gouv.fr was reported shut down at the end of January 2026; the IGN
    documents the search at https://data.geopf.fr/geocodage/search (geoservices.ign.fr, read on
    2026-12-03). The fake answers only that path: a client still calling the old `/search/`
    gets an error, hence « à vérifier »."""
    assert DEFAULT_BASE_URL + SEARCH_PATH == "https://data.geopf.fr/geocodage/search"
    assert BanGeocoder().base_url == "https://data.geopf.fr/geocodage"


def test_a_geocoder_answering_elsewhere_than_search_is_unavailable(ban):
    """A base URL that does not lead to the documented `/search` (the old API's path, a
    redirect, a wrong prefix) is a failure, never an empty answer taken as « not found »."""
    wrong = BanGeocoder(ban.base_url + "/v0", timeout=2.0)
    with pytest.raises(GeocodingUnavailableError):
        wrong.search("12 rue X, 59100 Roubaix")


# --- the commands --------------------------------------------------------------------------


def qp(*args: str, env: dict | None = None):
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        check=False,
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


@pytest.fixture(scope="module")
def cli_env(ban, tmp_path_factory):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('qpv-cli')}/catalog.sqlite",
        "QP_GEOCODER_URL": ban.base_url,
    }
    result = qp("catalog", "import-qpv", str(FIXTURE), env=env)
    assert result.returncode == 0, result.stderr
    assert "6 périmètres de QPV importés" in result.stdout
    assert "178 QPV des 14 territoires sans périmètre" in result.stderr
    return env


def test_qp_qpv_check_answers_en_qpv_with_code_and_name(cli_env):
    result = qp("qpv", "check", "12 rue X, 59100 Roubaix", env=cli_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "En QPV : Nouveau Roubaix (QN05981M)"


def test_qp_qpv_check_answers_hors_qpv(cli_env):
    result = qp("qpv", "check", "1 place du 11 novembre 53000 Laval", env=cli_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "Hors QPV"


def test_qp_qpv_check_answers_a_verifier_near_a_border_and_without_network(cli_env):
    result = qp("qpv", "check", "5 rue de la limite 53000 Laval", env=cli_env)
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == "À vérifier"
    offline = {**cli_env, "QP_GEOCODER_URL": "http://127.0.0.1:9"}
    result = qp("qpv", "check", "3 rue des Fourches 53000 Laval", env=offline)
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == "À vérifier"
    assert "Les Fourches (QN05301M)" in result.stdout
    assert "sig.ville.gouv.fr" in result.stdout
    assert "Traceback" not in result.stderr


def test_qp_refuses_a_bad_perimeters_file_and_an_empty_address_in_one_line(cli_env, tmp_path):
    bad = tmp_path / "qpv.geojson"
    bad.write_text("{}", encoding="utf-8")
    result = qp("catalog", "import-qpv", str(bad), env=cli_env)
    assert result.returncode == 2
    assert "FeatureCollection" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    result = qp("qpv", "check", "  12 ", env=cli_env)
    assert result.returncode == 2
    assert "donnez une adresse" in result.stderr
