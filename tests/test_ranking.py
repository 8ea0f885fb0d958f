"""The order of the answer, one test per advisor case that the verified facts of issue 15 put
at risk: the aids the person most likely gets, for the need they stated, come first (the five
shown in the first answer); an aid for a project the person did not mention comes after."""

from __future__ import annotations

from datetime import date

from catalog.engine import need_fit, recommend

TODAY = date(2026, 12, 2)
SHOWN = 5  # actions/recommend.py: the first answer shows five aids


def first_answer(catalog, profile, **values) -> list[str]:
    return [m.aid["id"] for m in recommend(catalog, profile(**values), TODAY).aids[:SHOWN]]


def test_arras_shop_in_qpv_sees_cfe_exemption_before_digital_and_shopfront_grants(catalog, profile):
    shown = first_answer(
        catalog,
        profile,
        stade="developpement",
        secteur="commerce",
        commune="Arras",
        implante_qpv=True,
        habite_qpv=False,
        anciennete_annees=5,
        effectif=1,
        statut="independant",
        besoins=["financement"],
    )
    assert {"pret-honneur-quartier", "pret-vert", "exoneration-cfe-commerce-qpv"} <= set(shown)
    assert "hdf-digitalisation-entreprises" not in shown
    assert "hdf-rehabilitation-commerces" not in shown


def test_digital_need_brings_the_digitalisation_grant_forward(catalog, profile):
    base = {"stade": "developpement", "secteur": "commerce", "commune": "Arras", "effectif": 1}
    money = profile(**base, besoins=["financement"])
    digital = profile(**base, besoins=["financement", "numerique"])
    aid = catalog.aid("hdf-digitalisation-entreprises")
    assert need_fit(aid, digital) > need_fit(aid, money)
    assert "hdf-digitalisation-entreprises" in first_answer(
        catalog, profile, **base, besoins=["numerique"]
    )


def test_roubaix_job_seeker_creating_a_shop_sees_acre_in_the_first_answer(catalog, profile):
    shown = first_answer(
        catalog,
        profile,
        stade="creation",
        secteur="commerce",
        statut="demandeur_emploi",
        commune="Roubaix",
        implante_qpv=True,
        habite_qpv=True,
        indemnise_are=True,
        effectif=0,
        besoins=["financement"],
    )
    assert {"acre", "pret-honneur-quartier"} <= set(shown)
    assert "hdf-rehabilitation-commerces" not in shown


def test_saint_louis_rsa_creator_sees_acre_and_solidarity_loan_then_aden(catalog, profile):
    """« RSA ou minimum social » leaves « not the AAH alone » to check: a likely condition, so
    ACRE and the prêt d'honneur solidaire stay in the first answer. The headcount is not asked
    of a creator: presumed under ten (catalog/plausible.py), it ranks the Region's aid for
    very small businesses as it did when the person answered « Aucun » salarié — the same five
    aids either way — and the ADEN comes right after them (« Voir d'autres aides »)."""
    situation = {
        "stade": "creation",
        "secteur": "restauration",
        "statut": "rsa",
        "commune": "Saint-Louis",
        "code_postal": "97450",
        "implante_qpv": False,
        "habite_qpv": True,
        "indemnise_are": False,
        "femme": True,
        "besoins": ["financement"],
        "age": 29,
    }
    shown = first_answer(catalog, profile, **situation)
    assert {"acre", "pret-honneur-solidaire", "reunion-aide-tpe"} <= set(shown)
    assert set(shown) == set(first_answer(catalog, profile, **situation, effectif=0))
    ranked = [m.aid["id"] for m in recommend(catalog, profile(**situation), TODAY).aids]
    assert ranked[SHOWN] == "reunion-aden"


def test_maubeuge_digital_start_up_sees_hdf_start_up_in_the_first_answer(catalog, profile):
    shown = first_answer(
        catalog,
        profile,
        stade="creation",
        secteur="numerique",
        statut="salarie",
        commune="Maubeuge",
        implante_qpv=False,
        habite_qpv=False,
        effectif=1,
        femme=True,
        besoins=["financement"],
        montant=50000,
    )
    assert "hdf-start-up" in shown


def test_place_is_asked_right_after_the_qpv_question(catalog, profile):
    """« je veux créer une entreprise »: the QPV question, then where — the place decides the
    local contacts and every regional aid, however many regions have aids."""
    first = recommend(catalog, profile(stade="creation"), TODAY).questions
    assert first[:2] == ["implante_qpv", "commune"]
    then = recommend(catalog, profile(stade="creation", implante_qpv=True), TODAY).questions
    assert then[0] == "commune"


def test_rsa_creator_is_not_asked_her_age_for_rights_already_likely(catalog, profile):
    """ACRE and the prêt d'honneur solidaire are likely for an RSA beneficiary: her age would
    not change them, so the questions go to what does (her needs)."""
    values = {
        "stade": "creation",
        "secteur": "restauration",
        "statut": "rsa",
        "commune": "Saint-Louis",
        "code_postal": "97450",
        "implante_qpv": False,
        "habite_qpv": True,
        "indemnise_are": False,
    }
    questions = recommend(catalog, profile(**values), TODAY).questions
    assert "besoins" in questions
    assert "age" not in questions or questions.index("besoins") < questions.index("age")


def test_arras_baker_is_asked_whether_she_is_a_woman_within_seven_questions(catalog, profile):
    """Fields that only decide aids left « à vérifier » anyway (a shop-front or digital grant
    with its own condition to check) weigh half: the Garantie Égalité Femmes' question, which
    can make it certain, is asked within the seven questions."""
    values = {
        "stade": "creation",
        "secteur": "artisanat",
        "commune": "Arras",
        "implante_qpv": False,
        "habite_qpv": False,
        "indemnise_are": False,
        "statut": "salarie",
    }
    questions = recommend(catalog, profile(**values), TODAY).questions
    assert "femme" in questions[:4]  # three questions asked, four left of the seven
