"""Freshness as a rule of the engine: the date it answers for decides what is open, and a
fact last checked more than six months ago is « à revérifier » (answers, `qp catalog stale`)."""

from __future__ import annotations

import copy
import dataclasses
from datetime import date

from catalog.engine import Catalog, contact_stale_note, recommend
from catalog.freshness import age_text, stale_facts

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
    aids = copy.deepcopy(files.aids)
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
