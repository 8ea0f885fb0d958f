"""Contacts chosen for the person: whom each organisation serves (QPV, job seekers) and what
the person needs come before locality."""

from __future__ import annotations

import copy

from catalog.engine import rank_contacts
from catalog.files import read_files
from catalog.validate import validate


def kinds(contacts):
    return [c["kind"] for c in contacts]


def ids(contacts):
    return [c["id"] for c in contacts]


def test_contacts_citeslab_only_for_people_with_a_qpv_link(catalog, profile):
    base = {"stade": "idee", "commune": "Toulouse", "territoire": "toulouse"}
    outside = rank_contacts(catalog, profile(**base, habite_qpv=False, implante_qpv=False))
    assert "citeslab" not in kinds(outside)
    inside = rank_contacts(catalog, profile(**base, habite_qpv=True))
    assert inside[0]["kind"] == "citeslab"
    # Not known yet: CitésLab may still help, it stays proposed.
    assert "citeslab" in kinds(rank_contacts(catalog, profile(**base)))


def test_contacts_france_travail_only_for_job_seekers_or_employers_who_hire(catalog, profile):
    base = {
        "stade": "creation",
        "commune": "Laval",
        "territoire": "laval",
        "besoins": ["financement"],
    }
    salaried = rank_contacts(catalog, profile(**base, statut="salarie", indemnise_are=False))
    assert "france_travail" not in kinds(salaried)
    for values in (
        {"statut": "demandeur_emploi"},
        {"statut": "rsa"},
        {"statut": "salarie", "indemnise_are": True},
    ):
        assert rank_contacts(catalog, profile(**base, **values))[0]["kind"] == "france_travail"
    hiring = dict(base, besoins=["recrutement"])
    assert "france_travail" in kinds(rank_contacts(catalog, profile(**hiring, statut="salarie")))
    # Situation unknown: France Travail is not ruled out (after those made for the person).
    assert "france_travail" in kinds(rank_contacts(catalog, profile(**base), limit=50))


def test_contacts_digital_need_keeps_france_num_and_conseillers_entreprises(catalog, profile):
    values = {
        "stade": "developpement",
        "commune": "Toulouse",
        "territoire": "toulouse",
        "besoins": ["numerique"],
    }
    found = ids(rank_contacts(catalog, profile(**values)))
    assert {"france-num", "conseillers-entreprises"} <= set(found)
    # Without a digital need, the territory's own organisations come first.
    general = rank_contacts(catalog, profile(**dict(values, besoins=["financement"])))
    assert general[0]["territory"] == "toulouse"


def test_contacts_of_another_territory_are_never_proposed(catalog, profile):
    for values in (
        {"commune": "Roubaix", "territoire": "roubaix", "besoins": ["numerique"]},
        {"territoire": "hors_territoire", "statut": "demandeur_emploi"},
    ):
        contacts = rank_contacts(catalog, profile(**values))
        assert contacts
        assert all(c.get("territory") in (None, values["territoire"]) for c in contacts)


def test_each_territory_economic_service_is_an_epci_contact_with_source_and_date():
    """The economic service of each intercommunality is a contact of kind epci, with its
    sources and check date; territories.yml no longer keeps an undated, unsourced copy."""
    files = read_files()
    for territory in files.territories:
        assert "economic_service" not in territory, territory["id"]
        epci = [
            c for c in files.contacts if c["kind"] == "epci" and c["territory"] == territory["id"]
        ]
        assert len(epci) == 1, territory["id"]
        assert epci[0]["sources"], epci[0]["id"]
        assert epci[0]["last_checked"] is not None, epci[0]["id"]
    # A key the territory schema does not know (such as the old economic_service) is refused.
    copied = copy.deepcopy(files)
    copied.territories[0]["economic_service"] = {"name": "Service", "url": "https://exemple.fr"}
    errors = [str(e) for e in validate(copied)]
    assert any("economic_service" in e and "contact de type epci" in e for e in errors), errors
