"""Handoff, erasure, goodbye, « voir plus » and misunderstanding: the actions alone."""

from __future__ import annotations

import time

import pytest
from rasa_sdk.executor import CollectingDispatcher
from test_actions import run, tracker

from actions.handoff import ActionEnregistrerDemande, ActionProposerRappel, ValidateHandoffForm
from actions.recommend import ActionRecommander
from actions.session import ActionAuRevoir, ActionReformuler, ActionSupprimerDonnees
from catalog.dialogue import message, question
from catalog.erasure import ERASE_MARKER, Outcome
from catalog.leads import leads_of, parse_contact

ROUBAIX = {
    "stade": "creation",
    "secteur": "commerce",
    "statut": "demandeur_emploi",
    "commune": "Roubaix",
    "territoire": "roubaix",
}


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("marie.dupont@exemple.fr", "marie.dupont@exemple.fr"),
        ("c'est Marie.Dupont@Exemple.fr merci", "marie.dupont@exemple.fr"),
        ("06 12 34 56 78", "06 12 34 56 78"),
        ("+33612345678", "06 12 34 56 78"),
    ],
)
def test_contact_details_are_recognised_and_normalised(text, shown):
    assert parse_contact(text).shown == shown


@pytest.mark.parametrize("text", ["non", "12345", "marie@", "<script>@x", "06 12"])
def test_anything_else_is_not_contact_details(text):
    assert parse_contact(text) is None


async def test_the_offer_names_the_territory_and_asks_consent():
    _, texts, messages = await run(ActionProposerRappel(), tracker(ROUBAIX))
    assert "conseiller de Roubaix" in texts[0]
    assert "uniquement" in texts[0]
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/affirmer", "/nier"]
    _, texts, _ = await run(ActionProposerRappel(), tracker({}))
    assert "indiquez-moi d'abord la commune" in texts[0]


async def test_invalid_contact_details_are_asked_again_politely():
    slots, texts, _ = await run(
        ValidateHandoffForm(),
        tracker(ROUBAIX, text="bof", requested="coordonnees", new_slots={"coordonnees": "bof"}),
    )
    assert slots["coordonnees"] is None
    assert "Je n'ai pas reconnu" in texts[0]
    # ... and the question comes again, in the same reply (no action_ask_coordonnees)
    assert slots["requested_slot"] == "coordonnees"
    assert texts[1:] == [question("coordonnees")[0]]


async def test_the_handoff_form_asks_for_contact_details_only_where_an_advisor_exists():
    slots, texts, messages = await run(ValidateHandoffForm(), tracker(ROUBAIX))
    assert slots["requested_slot"] == "coordonnees"
    assert texts == [question("coordonnees")[0]]
    assert messages[0]["buttons"] == question("coordonnees")[1]
    outside = {"commune": "Lyon", "territoire": "hors_territoire"}
    slots, texts, _ = await run(ValidateHandoffForm(), tracker(outside))
    assert slots["requested_slot"] is None
    assert texts == []
    given = tracker(
        ROUBAIX,
        text="06 12 34 56 78",
        requested="coordonnees",
        new_slots={"coordonnees": "06 12 34 56 78"},
    )
    slots, texts, _ = await run(ValidateHandoffForm(), given)
    assert slots == {"coordonnees": "06 12 34 56 78", "requested_slot": None}
    assert texts == []


async def test_a_lead_is_stored_for_the_territory_and_erased_on_request():
    track = tracker({**ROUBAIX, "coordonnees": "06 12 34 56 78", "aides_recommandees": ["acre"]})
    slots, texts, _ = await run(ActionEnregistrerDemande(), track)
    assert "conseillers de Roubaix" in texts[0]
    assert "06 12 34 56 78" in texts[0]
    assert slots == {"coordonnees": None}  # finding 1: not read back by a later request
    lead = leads_of("test")[-1]
    assert lead.territory_id == "roubaix"
    assert lead.phone == "06 12 34 56 78"
    assert lead.profile["statut"] == "demandeur_emploi"
    assert lead.aids == ["acre"]
    erase = tracker(ROUBAIX, text="supprimez mes données", intent="supprimer_donnees")
    erase.events[0]["timestamp"] = time.time() + 1
    _, texts, messages = await run(ActionSupprimerDonnees(), erase)
    assert leads_of("test") == []
    assert texts == [message("donnees_supprimees")]
    # the marker: Rasa's tracker store deletes the conversation, the widget its history
    assert messages[0]["custom"] == {"data": {ERASE_MARKER: "fait"}}


async def test_finding_1_contact_details_are_cleared_after_the_lead():
    """Issue 18, finding 1: the `coordonnees` slot was never cleared, so replaying the contact
    flow (anyone speaking as the person) read a stored e-mail or phone back. The lead keeps
    the details; the conversation forgets them, and a later request asks again."""
    stored = len(leads_of("test"))
    given = tracker({**ROUBAIX, "coordonnees": "marie.dupont@exemple.fr"})
    slots, texts, _ = await run(ActionEnregistrerDemande(), given)
    assert "marie.dupont@exemple.fr" in texts[0]  # read back once, to the person who gave it
    assert slots == {"coordonnees": None}
    assert len(leads_of("test")) == stored + 1
    assert leads_of("test")[-1].email == "marie.dupont@exemple.fr"

    later = tracker({**ROUBAIX, **slots})  # the conversation after the lead
    slots, texts, _ = await run(ValidateHandoffForm(), later)
    assert slots["requested_slot"] == "coordonnees"  # asked again...
    assert texts == [question("coordonnees")[0]]
    assert not any("marie.dupont" in text for text in texts)  # ...not read back
    slots, texts, _ = await run(ActionEnregistrerDemande(), later)
    assert texts == [message("demande_impossible")]
    assert slots == {"coordonnees": None}
    assert len(leads_of("test")) == stored + 1  # no second lead from the old details


async def test_finding_2_the_person_is_told_the_truth_when_the_erasure_fails(monkeypatch):
    from actions import erasure as action_side

    def recorded_only(engine, sender_id, requested_at):
        return Outcome(recorded=True, erased=False)

    monkeypatch.setattr(action_side, "request_erasure", recorded_only)
    erase = tracker(ROUBAIX, text="supprimez mes données", intent="supprimer_donnees")
    _, texts, messages = await run(ActionSupprimerDonnees(), erase)
    assert texts == [message("donnees_supprimees_en_partie")]
    assert "24 heures" in texts[0]
    assert messages[0]["custom"] == {"data": {ERASE_MARKER: "en_partie"}}

    def nothing_recorded(engine, sender_id, requested_at):
        return Outcome(recorded=False, erased=False)

    monkeypatch.setattr(action_side, "request_erasure", nothing_recorded)
    dispatcher = CollectingDispatcher()
    events = await ActionSupprimerDonnees().run(dispatcher, erase, {})
    assert events == []  # nothing erased: the profile and the conversation stay, no marker
    assert [m["text"] for m in dispatcher.messages] == [message("effacement_impossible")]
    assert not dispatcher.messages[0].get("custom")


async def test_goodbye_recalls_the_aids_found():
    _, texts, _ = await run(ActionAuRevoir(), tracker({"aides_recommandees": ["acre", "arce"]}))
    assert texts[0].startswith("Pour mémoire")
    assert "ACRE" in texts[0]
    assert "ARCE" in texts[0]
    _, texts, _ = await run(ActionAuRevoir(), tracker({}))
    assert texts == ["Au revoir et bonne réussite dans votre projet ! Revenez quand vous voulez."]


async def test_a_second_misunderstanding_in_a_row_offers_people():
    first = tracker(ROUBAIX, text="blabla", intent="nlu_fallback")
    _, texts, _ = await run(ActionReformuler(), first)
    assert "reformuler" in texts[0]
    second = tracker(ROUBAIX, text="blabla", intent="nlu_fallback")
    second.events.insert(
        0, {"event": "user", "text": "bla", "parse_data": {"intent": {"name": "nlu_fallback"}}}
    )
    _, texts, _ = await run(ActionReformuler(), second)
    assert "toujours pas" in texts[0]
    assert len(texts) > 2


async def test_see_more_shows_the_next_aids_not_the_same_ones():
    slots, texts, messages = await run(ActionRecommander(), tracker(ROUBAIX))
    first = slots["aides_recommandees"]
    assert messages[-1]["buttons"][0]["payload"] == "/chercher_aides"
    assert messages[1]["buttons"][0]["payload"].startswith('/demander_definition{"aide":')
    slots, texts, _ = await run(
        ActionRecommander(),
        tracker(
            {**ROUBAIX, "aides_recommandees": first},
            text="/chercher_aides",
            intent="chercher_aides",
        ),
    )
    assert texts[0] == "Voici d'autres aides possibles :"
    assert slots["aides_recommandees"][: len(first)] == first
    assert not set(slots["aides_recommandees"][len(first) :]) & set(first)
    assert any(t.startswith(f"{len(first) + 1}. ") for t in texts)


async def test_a_very_long_message_is_asked_to_be_shortened():
    _, texts, _ = await run(
        ActionReformuler(), tracker(ROUBAIX, text="mot " * 600, intent="nlu_fallback")
    )
    assert "très long" in texts[0]
