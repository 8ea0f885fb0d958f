"""Freshness as a rule of the engine: the date it answers for decides what is open, a fact
last checked more than six months ago is « à revérifier » (answers, `qp catalog stale`), and an
aid no official source could confirm is withdrawn until checked again."""

from __future__ import annotations

import copy
import dataclasses
from datetime import date

import pytest

from catalog.aid_overview import overview
from catalog.engine import Catalog, contact_stale_note, recommend
from catalog.freshness import (
    CONTACT,
    age_text,
    is_due,
    is_stale,
    stale_facts,
    withdrawal,
    withdrawn_aids,
)
from catalog.glossary import define

TODAY = date(2026, 12, 2)


def catalog_with(catalog: Catalog, **changes) -> Catalog:
    """The shipped catalogue with one aid changed (a copy: the shared fixture stays intact)."""
    aids = copy.deepcopy(catalog.files.aids)
    aid = next(a for a in aids if a["id"] == "pret-honneur-initiative")
    aid.update(changes)
    return Catalog(dataclasses.replace(catalog.files, aids=aids))


def match_of(catalog, profile, today, aid_id="pret-honneur-initiative"):
    values = {"stade": "creation", "secteur": "commerce", "commune": "Nancy"}
    result = recommend(catalog, profile(**values), today)
    return next((m for m in result.aids if m.aid["id"] == aid_id), None)


def test_an_aid_checked_over_six_months_ago_is_flagged_a_reverifier(catalog, profile):
    old = catalog_with(catalog, last_checked=date(2026, 2, 6))
    match = match_of(old, profile, TODAY)
    assert match.stale
    note = match.as_json()["to_check"][-1]
    assert note.startswith("À revérifier")
    assert "06/02/2026" in note
    assert "9 mois" in note
    assert note not in match.to_check  # the engine's list stays the conditions; JSON adds it
    # The same fact, read on a date less than six months after its check: nothing to flag.
    fresh = match_of(old, profile, date(2026, 8, 6))
    assert not fresh.stale
    assert fresh.stale_note is None
    assert not any(t.startswith("À revérifier") for t in fresh.as_json()["to_check"])


def test_an_aid_never_checked_is_flagged_a_reverifier(catalog, profile):
    match = match_of(catalog_with(catalog, last_checked=None), profile, TODAY)
    assert match.stale
    assert "n'est pas connue" in match.stale_note


def test_uncertain_aid_past_its_announced_end_is_not_recommended(catalog, profile):
    ending = catalog_with(catalog, status="uncertain", valid_until=date(2026, 6, 30))
    assert match_of(ending, profile, date(2026, 6, 1)) is not None
    assert match_of(ending, profile, date(2026, 7, 1)) is None


def test_uncertain_aid_without_end_date_is_only_a_verifier(catalog, profile):
    open_aid = match_of(catalog_with(catalog, status="open", valid_until=None), profile, TODAY)
    assert open_aid.eligible is True
    uncertain = catalog_with(catalog, status="uncertain", valid_until=None)
    match = match_of(uncertain, profile, TODAY)
    assert match is not None
    assert match.eligible is None
    assert any("pourrait avoir changé ou pris fin" in t for t in match.to_check)
    assert match.score < open_aid.score


def test_the_engine_answers_for_the_date_it_is_given(catalog, profile):
    later = catalog_with(catalog, valid_from=date(2027, 1, 1))
    assert match_of(later, profile, TODAY) is None
    assert match_of(later, profile, date(2027, 1, 1)) is not None


def test_stale_facts_lists_aids_and_contacts_oldest_first(catalog):
    files = catalog.files
    # The aids not withdrawn (a withdrawn aid is never a stale fact: see below).
    aids = [a for a in copy.deepcopy(files.aids) if not a.get("withdrawn")]
    contacts = copy.deepcopy(files.contacts)
    for record in aids + contacts:
        record["last_checked"] = TODAY
    aids[0]["last_checked"] = date(2026, 5, 1)
    aids[1]["last_checked"] = None
    contacts[0]["last_checked"] = date(2025, 1, 15)
    aids[2]["last_checked"] = date(2026, 6, 2)  # exactly six months: still fresh
    facts = stale_facts(dataclasses.replace(files, aids=aids, contacts=contacts), TODAY)
    assert [(f.kind, f.id) for f in facts] == [
        ("aide", aids[1]["id"]),
        ("contact", contacts[0]["id"]),
        ("aide", aids[0]["id"]),
    ]
    assert [f.age(TODAY) for f in facts] == ["jamais vérifié", "1 an et 10 mois", "7 mois"]


def test_age_is_said_in_whole_months():
    assert age_text(date(2026, 2, 6), TODAY) == "9 mois"
    assert age_text(date(2025, 12, 2), TODAY) == "1 an"
    assert age_text(date(2024, 12, 3), TODAY) == "1 an et 11 mois"
    assert age_text(TODAY, TODAY) == "0 mois"


def test_a_stale_contact_is_said_a_reverifier():
    contact = {"id": "x", "last_checked": date(2026, 2, 6)}
    assert contact_stale_note(contact, TODAY) == (
        "(coordonnées vérifiées le 06/02/2026 : à revérifier)"
    )
    assert contact_stale_note(contact, date(2026, 3, 1)) is None
    assert contact_stale_note({"id": "y", "last_checked": None}, TODAY)


WITHDRAWN = {"since": TODAY, "reason": "Aucune page officielle trouvée le 2 décembre 2026."}


def test_a_withdrawn_aid_is_not_recommended_until_checked_again(catalog, profile):
    withdrawn = catalog_with(catalog, withdrawn=WITHDRAWN, last_checked=date(2026, 2, 6))
    assert match_of(withdrawn, profile, TODAY) is None
    # Withdrawn on the day it was last checked (a fact found wrong that day): still withdrawn.
    same_day = catalog_with(catalog, withdrawn=WITHDRAWN, last_checked=TODAY)
    assert match_of(same_day, profile, TODAY) is None
    # A check later than the withdrawal (the console's « vérifiée aujourd'hui ») lifts it.
    checked = catalog_with(catalog, withdrawn=WITHDRAWN, last_checked=date(2026, 12, 3))
    assert match_of(checked, profile, date(2026, 12, 3)) is not None


def test_the_shipped_catalogue_has_no_stale_fact_left_to_recommend(catalog):
    """Done when of issue 15: on 2026-12-02 every aid was checked within six months or is
    withdrawn (its old date kept), and every contact was checked within six months."""
    for aid in catalog.files.aids:
        assert not is_stale(aid["last_checked"], TODAY) or withdrawal(aid), aid["id"]
    assert [c["id"] for c in catalog.files.contacts if is_stale(c["last_checked"], TODAY)] == []
    # What `qp catalog stale` lists on that day, and on the day of the last re-check: nothing.
    assert stale_facts(catalog.files, TODAY) == []
    assert stale_facts(catalog.files, date(2026, 12, 3)) == []


def test_a_withdrawn_aid_is_not_a_stale_fact_but_listed_apart(catalog):
    """Nothing of a withdrawn aid is shown as current, so its old check date flags nothing:
    it is listed as withdrawn, and becomes a stale fact again only once a check lifts the
    withdrawal and then grows old."""
    old = catalog_with(catalog, withdrawn=WITHDRAWN, last_checked=date(2026, 2, 6))
    aid = old.aid("pret-honneur-initiative")
    assert is_stale(aid["last_checked"], TODAY)
    assert not is_due(aid, TODAY)
    assert "pret-honneur-initiative" not in [f.id for f in stale_facts(old.files, TODAY)]
    assert "pret-honneur-initiative" in [a["id"] for a in withdrawn_aids(old.files.aids)]
    # Checked again after the withdrawal: back in the answers, and due again once stale.
    lifted = catalog_with(catalog, withdrawn=WITHDRAWN, last_checked=date(2026, 12, 3))
    assert withdrawn_aids(lifted.files.aids) == withdrawn_aids(catalog.files.aids)
    assert not is_due(lifted.aid("pret-honneur-initiative"), date(2027, 6, 3))
    assert is_due(lifted.aid("pret-honneur-initiative"), date(2027, 6, 4))
    # A contact has no withdrawal: its old date always flags it.
    assert is_due({"id": "x", "last_checked": date(2026, 2, 6)}, TODAY, CONTACT)


@pytest.mark.parametrize("stade", ["idee", "creation", "reprise", "developpement"])
def test_no_aid_or_contact_recommended_is_older_than_six_months(catalog, profile, stade):
    """Every territory, every stage, with and without a QPV link: nothing « à revérifier »."""
    for territory in catalog.files.territories:
        commune = territory["communes"][0]["name"]
        for qpv in (True, False):
            result = recommend(
                catalog, profile(stade=stade, commune=commune, habite_qpv=qpv), TODAY
            )
            assert result.aids, (territory["id"], qpv)
            for match in result.aids:
                assert not match.stale, (territory["id"], match.aid["id"])
                assert not withdrawal(match.aid), (territory["id"], match.aid["id"])
            for contact in result.contacts:
                assert contact_stale_note(contact, TODAY) is None, contact["id"]


def test_a_withdrawn_aid_asked_by_its_name_is_said_unconfirmed_without_amount(catalog):
    entry = define(catalog, "French Tech Tremplin")
    assert entry is not None
    assert entry.term == "French Tech Tremplin"
    assert entry.amount is None
    assert "aucune source officielle" in entry.definition
    assert "06/02/2026" in entry.definition
    # An aid checked within six months keeps its amount.
    assert define(catalog, catalog.aid("microcredit-adie")["name"]).amount


def test_the_console_list_shows_a_withdrawn_aid_with_its_reason(catalog):
    rows = {row.id: row for row in overview(catalog.files.aids, TODAY)}
    assert rows["occitanie-pass"].withdrawn.startswith("depuis le 02/12/2026 : ")
    assert "plus mobilisable" in rows["occitanie-pass"].withdrawn
    assert rows["acre"].withdrawn is None
