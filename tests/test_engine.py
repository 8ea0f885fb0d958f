"""The recommendation engine on the shipped catalogue: profiles as users would describe them."""

from datetime import date

import pytest

from catalog.engine import is_open, recommend

TODAY = date(2026, 11, 25)


def ids(result):
    return [match.aid["id"] for match in result.aids]


def regional_ids(catalog, region):
    return {
        aid["id"]
        for aid in catalog.files.aids
        if region in ((aid.get("scope") or {}).get("regions") or [])
    }


def test_job_seeker_opening_a_shop_in_roubaix(catalog, profile):
    result = recommend(
        catalog,
        profile(stade="creation", secteur="commerce", statut="demandeur_emploi", commune="Roubaix"),
        TODAY,
    )
    found = ids(result)
    assert "acre" in found
    assert "pret-honneur-quartier" in found
    acre = next(m for m in result.aids if m.aid["id"] == "acre")
    assert acre.eligible is True
    assert "Vous êtes demandeur d'emploi" in " ".join(acre.reasons)
    phq = next(m for m in result.aids if m.aid["id"] == "pret-honneur-quartier")
    assert phq.eligible is None
    assert {"habite_qpv", "implante_qpv"} & phq.unknown_fields
    assert result.profile.get("territoire") == "roubaix"
    # The QPV and the ARE decide several aids: they are among the next questions.
    assert {"implante_qpv", "indemnise_are"} <= set(result.questions)
    assert all(c.get("territory") in (None, "roubaix") for c in result.contacts)
    assert any(c.get("territory") == "roubaix" for c in result.contacts)


def test_confirmed_qpv_and_financing_need_put_the_qpv_honour_loan_first(catalog, profile):
    result = recommend(
        catalog,
        profile(
            stade="creation",
            secteur="commerce",
            statut="demandeur_emploi",
            commune="Roubaix",
            implante_qpv=True,
            habite_qpv=True,
            besoins=["financement"],
        ),
        TODAY,
    )
    assert ids(result)[0] == "pret-honneur-quartier"


def test_closed_aids_are_never_recommended(catalog, profile):
    closed = {aid["id"] for aid in catalog.files.aids if not is_open(aid, TODAY)}
    assert {"emplois-francs", "cheque-france-num", "zfu-te-exoneration-benefices"} <= closed
    for values in (
        {},
        {"stade": "creation", "implante_qpv": True, "effectif": 3, "secteur": "commerce"},
        {"stade": "developpement", "besoins": ["numerique", "recrutement"]},
    ):
        assert not closed & set(ids(recommend(catalog, profile(**values), TODAY)))


def test_another_regions_aids_are_never_recommended(catalog, profile):
    result = recommend(
        catalog,
        profile(
            stade="creation",
            secteur="commerce",
            statut="rsa",
            commune="Montbéliard",
            habite_qpv=True,
        ),
        TODAY,
    )
    found = set(ids(result))
    assert "prime-creation-reprise-territoires-fragilises-bfc" in found
    for region in (
        "hauts-de-france",
        "occitanie",
        "ile-de-france",
        "la-reunion",
        "provence-alpes-cote-d-azur",
        "pays-de-la-loire",
    ):
        assert not regional_ids(catalog, region) & found


def test_outside_the_territories_only_national_aids_and_national_contacts(catalog, profile):
    result = recommend(
        catalog,
        profile(
            stade="creation", secteur="services", statut="demandeur_emploi", code_postal="35000"
        ),
        TODAY,
    )
    assert result.profile.get("territoire") == "hors_territoire"
    assert all(not (m.aid.get("scope") or {}).get("regions") for m in result.aids)
    assert result.contacts
    assert all(c.get("territory") is None for c in result.contacts)


def test_women_guarantee_depends_on_the_skippable_question(catalog, profile):
    base = {"stade": "creation", "secteur": "commerce", "commune": "Nancy"}
    assert "garantie-egalite-femmes" in ids(recommend(catalog, profile(**base, femme=True), TODAY))
    assert "garantie-egalite-femmes" not in ids(
        recommend(catalog, profile(**base, femme=False), TODAY)
    )


def test_arce_only_for_people_receiving_the_are(catalog, profile):
    base = {"stade": "creation", "secteur": "commerce", "statut": "demandeur_emploi"}
    assert "arce" in ids(recommend(catalog, profile(**base, indemnise_are=True), TODAY))
    assert "arce" not in ids(recommend(catalog, profile(**base, indemnise_are=False), TODAY))


def test_an_empty_profile_asks_the_stage_first(catalog, profile):
    result = recommend(catalog, profile(), TODAY)
    assert result.questions[0] == "stade"
    assert "commune" in result.questions


@pytest.mark.parametrize(
    "values",
    [
        {"stade": "reprise", "secteur": "artisanat", "statut": "rsa", "commune": "Montbéliard"},
        {"stade": "idee", "statut": "etudiant", "commune": "Toulouse", "age": 21},
        {"stade": "creation", "franchise": True, "implante_qpv": True, "commune": "Évry"},
        {"stade": "developpement", "anciennete_annees": 4, "effectif": 3, "commune": "Nancy"},
    ],
)
def test_every_answer_is_explained_and_sourced(catalog, profile, values):
    result = recommend(catalog, profile(**values), TODAY)
    assert result.aids
    for match in result.aids:
        assert 0 <= match.score <= 1
        assert match.aid["url"].startswith("http")
        assert match.reasons or match.eligible is None or not match.aid.get("eligibility")
    as_json = result.as_json()
    assert set(as_json) == {"aids", "contacts", "questions"}
    assert {"id", "name", "score", "reasons", "to_check"} <= set(as_json["aids"][0])
