"""Dated amounts (catalog/amounts.py): the value in force on a day, its wording, its checks,
and the way it reaches the engine's answer through the database."""

from __future__ import annotations

from datetime import date

import pytest

from catalog import amounts, store
from catalog.engine import Catalog, recommend
from catalog.files import read_files
from catalog.profile import parse_profile
from catalog.validate import validate

DECREE_2024 = {
    "title": "Décret n° 2024-1123 du 4 décembre 2024",
    "url": "https://example.org/decret-2024-1123",
}
ADIE = {
    "text": "Jusqu'à 12 000 €",
    "min": None,
    "max": 12000,
    "values": [
        {"since": date(2024, 12, 6), "max": 17000, "reference": DECREE_2024},
        {
            "since": date(2016, 1, 1),
            "max": 12000,
            "text": "Jusqu'à 12 000 €",
            "reference": {"title": "Code monétaire et financier, art. R. 518-61"},
        },
    ],
}


def test_the_value_in_force_is_the_latest_started_on_or_before_the_day():
    assert amounts.in_force(ADIE, date(2024, 12, 5))["max"] == 12000
    assert amounts.in_force(ADIE, date(2024, 12, 6))["max"] == 17000
    assert amounts.in_force(ADIE, date(2026, 12, 2))["max"] == 17000


def test_before_the_first_value_or_without_values_the_plain_amount_applies():
    assert amounts.in_force(ADIE, date(2015, 6, 1)) is None
    assert amounts.text_on(ADIE, date(2015, 6, 1)) == "Jusqu'à 12 000 €"
    plain = {"text": "Gratuit", "min": None, "max": None}
    assert amounts.effective(plain, date(2026, 12, 2)) == {
        "text": "Gratuit",
        "min": None,
        "max": None,
        "since": None,
        "reference": None,
    }


def test_the_wording_says_since_when_the_value_is_in_force():
    assert amounts.text_on(ADIE, date(2026, 12, 2)) == (
        "17\u202f000 € maximum, en vigueur depuis le 6 décembre 2024"
    )
    assert amounts.text_on(ADIE, date(2020, 1, 1)) == (
        "Jusqu'à 12 000 €, en vigueur depuis le 1er janvier 2016"
    )
    both = {"since": date(2026, 3, 8), "min": 750, "max": 6000, "reference": DECREE_2024}
    assert amounts.wording(both) == ("De 750 € à 6\u202f000 €, en vigueur depuis le 8 mars 2026")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([], "liste non vide"),
        ([{"since": "hier", "max": 1, "reference": DECREE_2024}], "since : doit être une date"),
        ([{"since": date(2024, 1, 1), "max": 1}], "reference : doit donner au moins un titre"),
        ([{"since": date(2024, 1, 1), "reference": DECREE_2024}], "il faut un montant"),
        ([{"since": date(2024, 1, 1), "max": -5, "reference": DECREE_2024}], "nombre positif"),
        (
            [{"since": date(2024, 1, 1), "min": 9, "max": 5, "reference": DECREE_2024}],
            "min est supérieur à max",
        ),
        (
            [{"since": date(2024, 1, 1), "max": 5, "montant": 5, "reference": DECREE_2024}],
            "clés inconnues : montant",
        ),
        (
            [
                {"since": date(2024, 1, 1), "max": 5, "reference": DECREE_2024},
                {"since": date(2024, 1, 1), "max": 6, "reference": DECREE_2024},
            ],
            "deux valeurs à la même date",
        ),
        (
            [{"since": date(2024, 1, 1), "max": 5, "reference": {"title": "x", "url": "ftp:x"}}],
            "reference.url",
        ),
    ],
)
def test_malformed_dated_values_are_reported_in_french(values, message):
    errors = amounts.check({"text": "x", "values": values}, "aids (x)")
    assert any(message in str(error) for error in errors), errors


def test_the_validator_checks_the_dated_values_of_the_catalogue():
    files = read_files()
    assert validate(files) == []
    aid = next(a for a in files.aids if a["id"] == "microcredit-adie")
    aid["amount"]["values"][0]["since"] = "2024-12-06"
    assert any("microcredit-adie" in str(e) and "since" in str(e) for e in validate(files))


def test_the_catalogue_dates_the_adie_ceiling_raised_by_the_2024_decree():
    aid = next(a for a in read_files().aids if a["id"] == "microcredit-adie")
    current = amounts.effective(aid["amount"], date(2026, 12, 2))
    assert current["max"] == 17000
    assert current["since"] == date(2024, 12, 6)
    assert "2024-1123" in current["reference"]["title"]
    assert current["text"].endswith("en vigueur depuis le 6 décembre 2024")


def test_dated_values_survive_the_database_and_reach_the_answer(tmp_path):
    engine = store.make_engine(f"sqlite:///{tmp_path / 'catalog.db'}")
    store.load(read_files(), engine)
    catalog = Catalog(store.read(engine))
    aid = catalog.aid("microcredit-adie")
    assert aid["amount"]["values"][0]["since"] == date(2024, 12, 6)
    profile = parse_profile({"stade": "creation", "statut": "demandeur_emploi"})
    for day, expected in (
        (date(2026, 12, 2), "Jusqu'à 17 000 €, remboursables en 5 ans au plus, en vigueur depuis"),
        (date(2024, 6, 1), aid["amount"]["text"]),  # before the first dated value
    ):
        match = next(
            m
            for m in recommend(catalog, profile, today=day).aids
            if m.aid["id"] == "microcredit-adie"
        )
        assert match.amount_text.startswith(expected)
        assert match.as_json()["amount"] == match.amount_text


def test_the_catalogue_dates_acre_2026_rates():
    """ACRE (LFSS 2026, art. 23; décret n° 2026-69): at most 25 % from 1 January 2026, and
    in a micro-enterprise 25 % instead of half for a creation from 1 July 2026."""
    aid = next(a for a in read_files().aids if a["id"] == "acre")
    before = amounts.effective(aid["amount"], date(2025, 12, 31))
    assert before["since"] is None  # no dated value before 2026: the plain text applies
    january = amounts.effective(aid["amount"], date(2026, 3, 1))
    assert january["since"] == date(2026, 1, 1)
    assert "25 %" in january["text"]
    assert "réduites de moitié" in january["text"]
    assert "2025-1403" in january["reference"]["title"]
    assert "2026-69" in january["reference"]["title"]
    july = amounts.effective(aid["amount"], date(2026, 12, 3))
    assert july["since"] == date(2026, 7, 1)
    assert "réduites de 25 %" in july["text"]
    assert july["text"].endswith("en vigueur depuis le 1er juillet 2026")
    for value in aid["amount"]["values"]:
        assert value["reference"]["url"].startswith("https://")
