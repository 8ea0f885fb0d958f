"""Which questions are worth asking (catalog/questions.py): only those whose answer can change
the first five aids shown, tried value by value on the shipped catalogue; and the recap of
everything understood (catalog/recap.py)."""

from dataclasses import replace
from datetime import date

from catalog.engine import Catalog, recommend
from catalog.files import read_files
from catalog.questions import SHOWN, candidate_values, questions_that_matter, thresholds
from catalog.recap import recap

TODAY = date(2026, 11, 25)


def first_five(catalog, profile):
    return {m.aid["id"] for m in recommend(catalog, profile, TODAY).aids[:SHOWN]}


def changes_first_five(catalog, profile, name):
    before = first_five(catalog, profile)
    return any(
        first_five(catalog, profile.with_values(**{name: value})) != before
        for value in candidate_values(catalog, name)
    )


def test_every_question_kept_changes_the_first_five_and_every_one_dropped_does_not(
    catalog, profile
):
    described = profile(
        stade="developpement",
        secteur="services",
        commune="Marseille",
        anciennete_annees=4,
        effectif=6,
    )
    located = recommend(catalog, described, TODAY).profile
    engine_questions = recommend(catalog, described, TODAY).questions
    kept = questions_that_matter(catalog, described, TODAY)
    assert kept, "some answer still changes the first aids"
    assert set(kept) < set(engine_questions), "some question only reorders aids further down"
    others = [q for q in kept if q != "besoins"]
    assert others == [q for q in engine_questions if q in others], "the engine's order is kept"
    for name in engine_questions:
        assert changes_first_five(catalog, located, name) is (name in kept), name


def test_remembered_answers_are_those_computed_afresh_and_follow_the_catalogue(profile):
    """The answers are remembered (the form asks three times a turn, issue 17): per profile,
    never shared between catalogue objects, and a caller cannot change a remembered one."""
    from catalog.questions import _questions_that_matter

    shipped = Catalog(read_files())
    profiles = [
        profile(stade="developpement", secteur="services", commune="Marseille", effectif=6),
        profile(stade="creation", commune="Roubaix", besoins=["financement"]),
        profile(stade="creation", commune="Roubaix", besoins=["financement", "numerique"]),
        profile(),
    ]
    for described in profiles:
        first = questions_that_matter(shipped, described, TODAY)
        assert first == _questions_that_matter(shipped, described, TODAY, SHOWN)
        first.clear()
        assert questions_that_matter(shipped, described, TODAY) == _questions_that_matter(
            shipped, described, TODAY, SHOWN
        )
    # a new revision is a new catalogue object: here, one whose aids ask nothing any more
    emptied = Catalog(replace(read_files(), aids=[]))
    assert questions_that_matter(emptied, profiles[0], TODAY) != questions_that_matter(
        shipped, profiles[0], TODAY
    )


def test_the_women_question_is_asked_only_when_the_guarantee_can_reach_the_first_five(
    catalog, profile
):
    # A cleaning company of six in Marseille: the women's guarantee stays below the first five
    # whatever the answer, so the question is not worth a message.
    marseille = profile(
        stade="developpement",
        secteur="services",
        commune="Marseille",
        anciennete_annees=4,
        effectif=6,
    )
    assert "femme" in recommend(catalog, marseille, TODAY).questions
    assert "femme" not in questions_that_matter(catalog, marseille, TODAY)
    # A young founder who lives at the Mosson in Montpellier: the franchise, the women's
    # question and even the business's own QPV (the home already ties the person to one) leave
    # the first five as they are; the needs (asked first) and the unemployment benefit do not.
    montpellier = profile(
        stade="creation", secteur="numerique", commune="Montpellier", age=24, habite_qpv=True
    )
    assert recommend(catalog, montpellier, TODAY).questions[-1] == "besoins"
    assert questions_that_matter(catalog, montpellier, TODAY) == ["besoins", "indemnise_are"]


def test_the_needs_come_right_after_the_stage_and_the_place(catalog, profile):
    # Unknown needs count as half met for every aid: a shop owner in Nancy who said nothing
    # of a project sees ecological aids first. The needs are asked before the details.
    nancy = profile(
        stade="developpement",
        secteur="commerce",
        commune="Nancy",
        implante_qpv=False,
        habite_qpv=False,
        anciennete_annees=4,
        effectif=1,
    )
    firsts = {m.aid["id"] for m in recommend(catalog, nancy, TODAY).aids[:SHOWN]}
    assert {"pret-vert", "diag-decarbon-action"} & firsts
    assert questions_that_matter(catalog, nancy, TODAY)[0] == "besoins"
    assert questions_that_matter(catalog, profile(), TODAY)[:3] == ["stade", "commune", "besoins"]


def test_the_place_is_asked_while_unknown_and_never_once_known(catalog, profile):
    unplaced = profile(stade="creation", secteur="commerce", statut="demandeur_emploi")
    assert "commune" in questions_that_matter(catalog, unplaced, TODAY)
    placed = unplaced.with_values(commune="Roubaix")
    assert "commune" not in questions_that_matter(catalog, placed, TODAY)


def test_a_complete_profile_has_nothing_left_to_ask(catalog, profile):
    complete = profile(
        stade="creation",
        secteur="commerce",
        statut="demandeur_emploi",
        indemnise_are=True,
        besoins=["financement"],
        commune="Roubaix",
        habite_qpv=True,
        implante_qpv=True,
        age=37,
        femme=False,
        effectif=0,
        franchise=False,
        montant=10000,
    )
    assert questions_that_matter(catalog, complete, TODAY) == []


def test_numbers_are_tried_on_each_side_of_the_catalogues_thresholds(catalog):
    ages = candidate_values(catalog, "age")
    for threshold in thresholds(catalog, "age"):
        assert {threshold - 1, threshold, threshold + 1} <= set(ages)
    assert 0 in candidate_values(catalog, "effectif")
    assert candidate_values(catalog, "femme") == [True, False]
    assert ["numerique"] in candidate_values(catalog, "besoins")
    assert "reprise" in candidate_values(catalog, "stade")


def test_the_recap_says_every_known_value_in_plain_french():
    values = {
        "stade": "creation",
        "secteur": "numerique",
        "statut": "rsa",
        "commune": "Montpellier",
        "code_postal": "34080",
        "territoire": "montpellier",
        "besoins": ["financement", "numerique"],
        "age": 24,
        "anciennete_annees": 4,
        "effectif": 6,
        "montant": 10000,
        "habite_qpv": True,
        "implante_qpv": False,
        "indemnise_are": False,
        "femme": True,
        "franchise": False,
        "champs_demandes": ["age"],
    }
    assert recap(values) == (
        "création · numérique · bénéficiaire du RSA ou d'un minimum social · Montpellier · "
        "besoin : financement, numérique · 24 ans · entreprise de 4 ans · 6 salariés · "
        "besoin de 10\u202f000 € · domicile en quartier prioritaire · "
        "entreprise hors quartier prioritaire · sans allocation chômage · "
        "projet porté par une femme · hors franchise"
    )


def test_the_recap_of_small_numbers_and_of_nothing():
    assert recap({"effectif": 0, "anciennete_annees": 0.5}) == (
        "entreprise de 6 mois · sans salarié"
    )
    assert recap({"effectif": 1, "anciennete_annees": 1, "indemnise_are": True}) == (
        "entreprise d'un an · 1 salarié · allocation chômage (ARE) perçue"
    )
    assert recap({"anciennete_annees": 0, "femme": False}) == (
        "entreprise de moins d'un an · projet qui n'est pas porté par une femme"
    )
    assert recap({"stade": None, "besoins": []}) == ""
