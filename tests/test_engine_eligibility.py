"""The engine's defects of issue 15, one test per case, on the shipped catalogue: what the
profile does not say is « à vérifier », never a silent no, and never a certain yes."""

from __future__ import annotations

import copy
import dataclasses
from datetime import date

from catalog.engine import Catalog, qpv_link, recommend

TODAY = date(2026, 12, 2)


def match_of(catalog, profile, aid_id, **values):
    result = recommend(catalog, profile(**values), TODAY)
    return next((m for m in result.aids if m.aid["id"] == aid_id), None)


def reinstated(catalog: Catalog, aid_id: str) -> Catalog:
    """The shipped catalogue with one withdrawn aid put back (a copy): its rule is still
    tested, as it will apply once an official source confirms the aid again."""
    aids = copy.deepcopy(catalog.files.aids)
    aid = next(a for a in aids if a["id"] == aid_id)
    assert aid.get("withdrawn"), f"{aid_id} is no longer withdrawn: test the shipped catalogue"
    aid["withdrawn"] = None
    return Catalog(dataclasses.replace(catalog.files, aids=aids))


def test_garantie_egalite_territoires_requires_a_qpv_link(catalog, profile):
    toulouse = {"stade": "creation", "secteur": "commerce", "commune": "Toulouse"}
    outside = match_of(
        catalog,
        profile,
        "garantie-egalite-territoires",
        **toulouse,
        habite_qpv=False,
        implante_qpv=False,
    )
    assert outside is None
    lives_there = match_of(
        catalog, profile, "garantie-egalite-territoires", **toulouse, habite_qpv=True
    )
    assert lives_there is not None
    assert lives_there.eligible is True
    unknown = match_of(catalog, profile, "garantie-egalite-territoires", **toulouse)
    assert unknown is not None
    assert unknown.eligible is None
    assert {"habite_qpv", "implante_qpv"} <= unknown.unknown_fields


def test_acre_unknown_category_is_a_verifier_not_a_silent_no(catalog, profile):
    # A salaried hairdresser of 35 taking over a salon outside the QPV, without the ARE: none
    # of the categories the profile can decide, but she may be in another one (her employer
    # in receivership, a CAPE, the PreParE, a rural ZFRR…).
    values = {
        "stade": "reprise",
        "secteur": "artisanat",
        "statut": "salarie",
        "commune": "Laval",
        "age": 35,
        "implante_qpv": False,
        "indemnise_are": False,
    }
    for aid_id in ("acre", "pret-honneur-solidaire"):
        match = match_of(catalog, profile, aid_id, **values)
        assert match is not None, aid_id
        assert match.eligible is None
        assert any(text.startswith("Autres cas ouvrant droit") for text in match.to_check)
    # A known « no » is still a no: the stage rules ACRE out.
    assert match_of(catalog, profile, "acre", **dict(values, stade="developpement")) is None


def test_rsa_status_does_not_open_acre_for_aah(catalog, profile):
    values = {
        "stade": "creation",
        "secteur": "commerce",
        "statut": "rsa",
        "commune": "Laval",
        "age": 44,
        "implante_qpv": False,
        "indemnise_are": False,
    }
    for aid_id in ("acre", "pret-honneur-solidaire"):
        match = match_of(catalog, profile, aid_id, **values)
        assert match is not None, aid_id
        assert match.eligible is None, aid_id
        assert any("l'AAH seule n'y ouvre pas droit" in text for text in match.to_check)
        assert "Vous percevez un minimum social" in match.reasons
    # Another category the profile decides makes it certain: under 26.
    young = match_of(catalog, profile, "acre", **dict(values, age=22))
    assert young.eligible is True
    # « À vérifier » only for the AAH: ranked with the certain aids, not after every aid that
    # still depends on a question.
    result = recommend(catalog, profile(**values), TODAY)
    assert "acre" in [m.aid["id"] for m in result.aids[:5]]


def test_student_without_scholarship_is_not_eligible_to_french_tech_tremplin(catalog, profile):
    # Withdrawn until an official page confirms a current season (catalog/data/aids/qpv.yml).
    assert match_of(catalog, profile, "french-tech-tremplin", stade="idee", habite_qpv=True) is None
    catalog = reinstated(catalog, "french-tech-tremplin")
    match = match_of(
        catalog,
        profile,
        "french-tech-tremplin",
        stade="idee",
        statut="etudiant",
        commune="Toulouse",
        habite_qpv=False,
    )
    assert match is not None
    assert match.eligible is None
    assert any("boursier" in text for text in match.to_check)
    in_qpv = match_of(
        catalog,
        profile,
        "french-tech-tremplin",
        stade="idee",
        statut="etudiant",
        commune="Toulouse",
        habite_qpv=True,
        secteur="numerique",
    )
    # In a QPV the scholarship no longer matters; only the innovative project, probable for a
    # digital start-up, is left to confirm.
    assert in_qpv.eligible is None
    assert not any("boursier" in text for text in in_qpv.to_check)
    assert any("innovants" in text for text in in_qpv.to_check)


def test_french_tech_tremplin_needs_an_innovative_project(catalog, profile):
    """A start-up programme: a cleaning business in a QPV is « à vérifier », and ranked
    below the same programme for a digital project."""
    catalog = reinstated(catalog, "french-tech-tremplin")
    base = {
        "stade": "creation",
        "commune": "Choisy-le-Roi",
        "habite_qpv": True,
        "besoins": ["accompagnement"],
    }
    cleaning = match_of(catalog, profile, "french-tech-tremplin", **base, secteur="services")
    digital = match_of(catalog, profile, "french-tech-tremplin", **base, secteur="numerique")
    assert cleaning is not None
    assert cleaning.eligible is None
    assert any("innovants" in text for text in cleaning.to_check)
    assert digital is not None
    assert digital.score > cleaning.score


def test_hdf_start_up_is_not_certain_for_every_service_business(catalog, profile):
    base = {"stade": "creation", "commune": "Roubaix"}
    services = match_of(catalog, profile, "hdf-start-up", **base, secteur="services")
    assert services is not None
    assert services.eligible is None
    assert any("haute valeur ajoutée" in text for text in services.to_check)
    digital = match_of(catalog, profile, "hdf-start-up", **base, secteur="numerique")
    assert digital is not None
    assert digital.eligible is None
    # A digital business is most often a high value-added service: probable, ranked above
    # the same aid for any other service.
    assert digital.score > services.score
    industry = match_of(catalog, profile, "hdf-start-up", **base, secteur="industrie")
    assert industry is not None
    assert industry.eligible is True
    assert match_of(catalog, profile, "hdf-start-up", **base, secteur="commerce") is None


def test_apprentice_aid_is_not_eligible_for_every_creator(catalog, profile):
    match = match_of(
        catalog,
        profile,
        "aide-embauche-apprenti",
        stade="creation",
        secteur="commerce",
        commune="Nancy",
        besoins=["financement"],
    )
    assert match is not None
    assert match.eligible is None
    assert any("apprenti" in text for text in match.to_check)


def test_digitalisation_aid_is_certain_only_with_a_digital_need(catalog, profile):
    base = {"stade": "developpement", "secteur": "commerce", "commune": "Arras", "effectif": 2}
    without = match_of(
        catalog, profile, "hdf-digitalisation-entreprises", **base, besoins=["financement"]
    )
    assert without is not None
    assert without.eligible is None
    digital = match_of(
        catalog, profile, "hdf-digitalisation-entreprises", **base, besoins=["numerique"]
    )
    assert digital is not None
    assert digital.eligible is True


def test_qpv_score_does_not_depend_on_argument_order(catalog, profile):
    base = {"stade": "creation", "secteur": "commerce", "commune": "Roubaix"}
    lives_unknown = profile(**base, habite_qpv=None, implante_qpv=False)
    works_unknown = profile(**base, habite_qpv=False, implante_qpv=None)
    assert qpv_link(lives_unknown) is None
    assert qpv_link(works_unknown) is None
    assert qpv_link(profile(habite_qpv=False, implante_qpv=False)) is False
    assert qpv_link(profile(habite_qpv=False, implante_qpv=True)) is True
    assert qpv_link(profile(habite_qpv=True, implante_qpv=None)) is True
    # Aids whose rule reads both QPV fields alike: one unknown, one false, in either order.
    symmetric = {"pret-honneur-quartier", "garantie-egalite-territoires"}
    scores = []
    for values in (lives_unknown, works_unknown):
        result = recommend(catalog, values, TODAY)
        scores.append({m.aid["id"]: m.score for m in result.aids if m.aid["id"] in symmetric})
    assert set(scores[0]) == symmetric
    assert scores[0] == scores[1]


def test_zfang_is_a_verifier_for_a_restaurant_not_a_silent_yes(catalog, profile):
    """The pages read list the excluded sectors without settling the restaurant trade."""
    base = {"stade": "creation", "commune": "Saint-Louis", "code_postal": "97450", "effectif": 0}
    restaurant = match_of(
        catalog, profile, "zfang-abattement-benefices", **base, secteur="restauration"
    )
    assert restaurant is not None
    assert restaurant.eligible is None
    assert any("restauration" in text for text in restaurant.to_check)
    digital = match_of(catalog, profile, "zfang-abattement-benefices", **base, secteur="numerique")
    assert digital is not None
    assert digital.eligible is True
    shop = match_of(catalog, profile, "zfang-abattement-benefices", **base, secteur="commerce")
    assert shop is None


BFC_PRIME = "prime-creation-reprise-territoires-fragilises-bfc"
YOUTH_CHECK = "jeunes sans revenus"


def test_bfc_prime_28_year_old_student_in_montbeliard_qpv_is_not_silently_excluded(
    catalog, profile
):
    """The Région opens its prime to « jeunes sans revenus » with no age limit
    (bourgognefranchecomte.fr/node/448, read on 2026-12-03): a 28-year-old student who lives in
    a QPV of Montbéliard and creates a shop is not left out by an age rule; the youth branch is
    « à vérifier », with its sentence."""
    values = {
        "stade": "creation",
        "secteur": "commerce",
        "commune": "Montbéliard",
        "habite_qpv": True,
        "statut": "etudiant",
        "age": 28,
    }
    match = match_of(catalog, profile, BFC_PRIME, **values)
    assert match is not None
    assert match.eligible is None
    assert any(YOUTH_CHECK in t for t in match.to_check)
    # The same for « autre », and at any age: the profile cannot say whether one has revenues.
    for statut, age in (("autre", 28), ("etudiant", 19), ("autre", 40)):
        other = match_of(catalog, profile, BFC_PRIME, **{**values, "statut": statut, "age": age})
        assert other is not None, (statut, age)
        assert other.eligible is None, (statut, age)


def test_bfc_prime_24_year_old_employee_is_not_eligible_without_the_check(catalog, profile):
    """Being 24 does not make a salaried person « sans revenus »: never « éligible » on age
    alone, only « à vérifier » with the condition said."""
    values = {
        "stade": "creation",
        "secteur": "commerce",
        "commune": "Montbéliard",
        "habite_qpv": True,
        "statut": "salarie",
        "age": 24,
    }
    match = match_of(catalog, profile, BFC_PRIME, **values)
    assert match is not None
    assert match.eligible is not True
    assert any(YOUTH_CHECK in t for t in match.to_check)
    assert not any("jeune" in r.lower() for r in match.reasons)
    # A job seeker or a minimum-income recipient is still eligible by the Région's text.
    for statut in ("demandeur_emploi", "rsa"):
        sure = match_of(catalog, profile, BFC_PRIME, **{**values, "statut": statut})
        assert sure is not None, statut
        assert sure.eligible is True, statut
    # No QPV link: left out whatever the age.
    assert match_of(catalog, profile, BFC_PRIME, **{**values, "habite_qpv": False}) is None
