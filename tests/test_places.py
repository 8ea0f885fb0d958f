"""Place resolution against the catalogue's communes, postal codes and QPV."""

import pytest


@pytest.mark.parametrize(
    ("written", "territory", "commune"),
    [
        ("Roubaix", "roubaix", "Roubaix"),
        ("roubais", "roubaix", "Roubaix"),
        ("à Roubaix", "roubaix", "Roubaix"),
        ("evry courcouronnes", "grand-paris-sud", "Évry-Courcouronnes"),
        ("evry", "grand-paris-sud", "Évry-Courcouronnes"),
        ("Montbeliard", "montbeliard", "Montbéliard"),
        ("st louis 97450", "saint-louis-reunion", "Saint-Louis"),
        ("59100", "roubaix", "Roubaix"),
    ],
)
def test_communes_resolve_despite_typos_accents_articles(catalog, written, territory, commune):
    place = catalog.places.resolve(written)
    assert place.territory == territory
    assert place.commune_name == commune


def test_a_postal_code_outside_the_territories_gives_its_region(catalog):
    place = catalog.places.resolve(None, "69001")
    assert place.territory == "hors_territoire"
    assert place.region == "auvergne-rhone-alpes"


def test_a_known_qpv_name_resolves_to_its_commune(catalog):
    place = catalog.places.resolve("la Mosson")
    assert place.commune_name == "Montpellier"
    assert place.qpv_name
    assert "Mosson" in place.qpv_name


@pytest.mark.parametrize("written", ["Rennes", "Gare", "Centre", "Nantes", "Reims"])
def test_a_commune_elsewhere_or_a_generic_word_is_not_taken_for_a_qpv(catalog, written):
    place = catalog.places.resolve(written)
    assert place is None or place.qpv_name is None  # « Rennes » is not « Arènes » (Toulouse)


def test_an_official_qpv_name_resolves_with_its_code(catalog):
    place = catalog.places.resolve("aux Fourches")
    assert (place.commune_name, place.qpv_name, place.qpv_code) == (
        "Laval",
        "Les Fourches",
        "QN05301M",
    )


def test_nothing_matches_gibberish(catalog):
    assert catalog.places.resolve("zzqxw") is None


def test_a_name_shared_with_communes_elsewhere_is_ambiguous(catalog):
    place = catalog.places.resolve("Saint-Louis")
    assert place.commune_insee is None
    assert "Saint-Louis (68300)" in place.candidates  # Haut-Rhin
    assert any(c.startswith("Saint-Louis (974") for c in place.candidates)
    chosen = catalog.places.resolve("Saint-Louis (68300)")
    assert chosen.territory == "hors_territoire"
    assert chosen.region == "grand-est"


@pytest.mark.parametrize(
    "written",
    [
        "saint louis la reunion",
        "Saint-Louis 974",
        "Saint-Louis (974)",
        "Saint-Louis (La Réunion)",
        "st louis réunion",
        "Saint-Louis à La Réunion",
    ],
)
def test_a_commune_qualified_by_its_department_or_region_is_not_ambiguous(catalog, written):
    place = catalog.places.resolve(written)
    assert place.candidates == ()
    assert (place.territory, place.commune_insee) == ("saint-louis-reunion", "97414")


@pytest.mark.parametrize(
    ("written", "region", "postal_code"),
    [("Saint-Louis (Haut-Rhin)", "grand-est", "68300"), ("saint louis 57", "grand-est", "57820")],
)
def test_a_qualified_homonym_elsewhere_is_outside_the_territories(
    catalog, written, region, postal_code
):
    place = catalog.places.resolve(written)
    assert place.candidates == ()
    assert (place.territory, place.region) == ("hors_territoire", region)
    assert (place.commune_name, place.postal_code) == ("Saint-Louis", postal_code)


def test_a_qualifier_that_fits_no_homonym_still_asks(catalog):
    assert catalog.places.resolve("Saint-Louis Bretagne").candidates
