"""The profile contract and the parsing of typed answers."""

import pytest

from catalog.profile import (
    ProfileError,
    is_dont_know,
    parse_number,
    parse_postal_code,
    parse_profile,
    parse_yes_no,
)


def test_absent_fields_are_unknown():
    profile = parse_profile({"stade": "creation"})
    assert profile.get("stade") == "creation"
    assert profile.get("secteur") is None
    assert not profile.known("besoins")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"couleur": "bleu"}, "champ inconnu"),
        ({"stade": "lancement"}, "valeur inconnue pour stade"),
        ({"besoins": ["argent"]}, "valeur inconnue pour besoins"),
        ({"besoins": "financement"}, "liste"),
        ({"habite_qpv": "oui"}, "true, false ou null"),
        ({"age": "trente"}, "nombre"),
        ({"age": 30.5}, "entier"),
        ({"code_postal": "5910"}, "5 chiffres"),
        ({"commune": "x" * 500}, "moins de 200"),
        ([], "objet JSON"),
    ],
)
def test_invalid_profiles_are_refused_with_a_french_message(raw, message):
    with pytest.raises(ProfileError, match=message):
        parse_profile(raw)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("15 000 €", 15000),
        ("20k", 20000),
        ("2,5", 2.5),
        ("j'ai 32 ans", 32),
        ("0 salarié", 0),
        ("trois", 3),
        ("1.500.000", 1500000),
        ("aucun", 0),
        ("bof", None),
    ],
)
def test_numbers_in_free_answers(text, number):
    assert parse_number(text) == number


def test_dont_know_yes_no_and_postal_codes():
    assert is_dont_know("Je ne sais pas")
    assert is_dont_know("jsp")
    assert is_dont_know("Aucune idée !")
    assert not is_dont_know("je sais pas quoi faire pour financer mon local")
    assert parse_yes_no("Oui") is True
    assert parse_yes_no("nan") is False
    assert parse_yes_no("peut-être") is None
    assert parse_postal_code("c'est au 59100 Roubaix") == "59100"
    assert parse_postal_code("123456") is None
