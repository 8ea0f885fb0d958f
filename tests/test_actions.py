"""The actions, run as the action server runs them: rasa-sdk Tracker and CollectingDispatcher."""

from __future__ import annotations

import yaml
from conftest import PROJECT_DIR
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.contacts import ActionContacts
from actions.information import ActionDefinition, ActionVerifierQpv
from actions.profile_form import ValidateProfilForm
from actions.recommend import ActionRecommander
from actions.refine import refine_payload, refine_request
from actions.session import ActionRecommencer
from actions.slots import catalog, profile_from_slots
from catalog.dialogue import asked_fields, message, question
from catalog.questions import questions_that_matter
from settings import get_settings

DOMAIN = yaml.safe_load((PROJECT_DIR / "domain.yml").read_text(encoding="utf-8"))


def tracker(
    slots=None, text="", intent="informer", entities=(), new_slots=None, requested=None
) -> Tracker:
    """A tracker whose latest user message set `new_slots` (as Rasa's form hands them over)."""
    slots = dict(slots or {})
    slots["requested_slot"] = requested
    events = [
        {
            "event": "user",
            "text": text,
            "parse_data": {"intent": {"name": intent}, "entities": list(entities)},
        },
        {"event": "action", "name": "profil_form"},
    ]
    for name, value in (new_slots or {}).items():
        slots[name] = value
        events.append({"event": "slot", "name": name, "value": value})
    return Tracker(
        "test",
        slots,
        {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": list(entities)},
        events,
        False,
        None,
        {"name": "profil_form"},
        "action_listen",
    )


async def run(action, track):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, track, DOMAIN)
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    return slots, [m.get("text") or "" for m in dispatcher.messages], dispatcher.messages


async def test_a_free_description_fills_the_profile_and_the_next_question_is_chosen():
    slots, texts, _ = await run(
        ValidateProfilForm(),
        tracker(
            text="je veux ouvrir une épicerie à Roubaix, je suis au chômage",
            new_slots={
                "stade": "creation",
                "secteur": "commerce",
                "statut": "demandeur_emploi",
                "commune": "Roubaix",
            },
        ),
    )
    assert slots["territoire"] == "roubaix"
    assert slots["commune"] == "Roubaix"
    # stage, place and situation said: the needs come next (catalog/questions.py)
    assert slots["requested_slot"] == "besoins"
    assert slots["champs_demandes"] == [slots["requested_slot"]]
    assert any(t.startswith("J'ai bien noté : création · commerce") for t in texts)


async def test_dont_know_skips_the_question_and_moves_on():
    known = {
        "stade": "creation",
        "secteur": "commerce",
        "statut": "demandeur_emploi",
        "commune": "Roubaix",
        "territoire": "roubaix",
        "champs_demandes": ["implante_qpv"],
    }
    slots, _, _ = await run(
        ValidateProfilForm(), tracker(known, text="je ne sais pas", requested="implante_qpv")
    )
    assert slots["champs_ignores"] == ["implante_qpv"]
    assert slots["requested_slot"] not in (None, "implante_qpv")


async def test_a_yes_no_answer_that_nlu_called_nier_is_undone_by_dont_know():
    known = {"stade": "creation", "commune": "Roubaix", "territoire": "roubaix"}
    slots, _, _ = await run(
        ValidateProfilForm(),
        tracker(
            known,
            text="jsp",
            intent="nier",
            requested="habite_qpv",
            new_slots={"habite_qpv": False},
        ),
    )
    assert slots["habite_qpv"] is None
    assert "habite_qpv" in slots["champs_ignores"]


async def test_typed_numbers_are_read_for_the_requested_field():
    known = {"stade": "developpement", "commune": "Nancy", "territoire": "grand-nancy"}
    slots, _, _ = await run(
        ValidateProfilForm(), tracker(known, text="on est 3 salariés", requested="effectif")
    )
    assert slots["effectif"] == 3


async def test_a_stray_extraction_does_not_erase_a_known_value():
    """DIET once tagged the brackets of « Saint-Louis (97421) » as a status: « au RSA », said
    earlier, must survive."""
    known = {"stade": "creation", "statut": "rsa"}
    track = tracker(
        known,
        text="Saint-Louis (97421)",
        requested="commune",
        new_slots={"commune": "Saint-Louis", "code_postal": "97421", "statut": ")"},
    )
    track.events[:0] = [{"event": "slot", "name": "statut", "value": "rsa"}]
    slots, _, _ = await run(ValidateProfilForm(), track)
    assert slots["statut"] == "rsa"
    assert slots["territoire"] == "saint-louis-reunion"


async def test_an_unreadable_number_is_asked_again_politely():
    known = {"stade": "developpement"}
    slots, texts, _ = await run(
        ValidateProfilForm(),
        tracker(known, text="beaucoup", requested="age", new_slots={"age": "beaucoup"}),
    )
    assert slots["age"] is None
    assert any("Je n'ai pas compris ce nombre" in t for t in texts)


async def test_a_postal_code_outside_the_territories_is_said_plainly():
    slots, texts, _ = await run(
        ValidateProfilForm(),
        tracker(
            {"stade": "creation"},
            text="35000",
            requested="commune",
            new_slots={"code_postal": "35000"},
        ),
    )
    assert slots["territoire"] == "hors_territoire"
    assert any("ne fait pas partie des 14 territoires" in t for t in texts)


async def test_the_form_ends_when_nothing_useful_is_left_to_ask():
    full = {
        "stade": "creation",
        "secteur": "commerce",
        "statut": "demandeur_emploi",
        "commune": "Roubaix",
        "territoire": "roubaix",
        "implante_qpv": True,
        "habite_qpv": True,
        "indemnise_are": True,
        "besoins": ["financement"],
        "effectif": 0,
        "franchise": False,
        "femme": False,
        "age": 30,
        "anciennete_annees": 0,
    }
    slots, _, _ = await run(ValidateProfilForm(), tracker(full, text="oui", requested="femme"))
    assert slots["requested_slot"] is None


async def test_questions_come_with_buttons_including_dont_know():
    text, choices = question("stade")
    assert text == "Où en est votre projet ?"
    payloads = [b["payload"] for b in choices]
    assert '/informer{"stade":"creation"}' in payloads
    assert "je ne sais pas" in payloads
    # Asked alone (the home known, or results shown), the business comes with yes and no;
    # both unknown, they are asked together (tests/test_fewer_questions.py).
    assert [b["payload"] for b in question("implante_qpv")[1]][:2] == ["/affirmer", "/nier"]


async def test_the_form_s_own_reply_ends_with_the_question_it_requests():
    """No action_ask_<field> in the domain: validate_profil_form says the question it chose,
    after its own messages, with its buttons; Rasa then asks nothing itself."""
    slots, texts, messages = await run(
        ValidateProfilForm(),
        tracker(
            text="je veux ouvrir une épicerie à Roubaix, je suis au chômage",
            new_slots={
                "stade": "creation",
                "secteur": "commerce",
                "statut": "demandeur_emploi",
                "commune": "Roubaix",
            },
        ),
    )
    text, choices = question(slots["requested_slot"])
    assert texts[-1] == text
    assert len(texts) >= 2
    assert texts[0].startswith("J'ai bien noté")  # the recap comes first
    assert messages[-1]["buttons"] == choices
    assert [t for t in texts if t in {question(f)[0] for f in asked_fields()}] == [text]


async def test_a_form_that_ends_asks_nothing():
    full = {
        "stade": "creation",
        "secteur": "commerce",
        "statut": "demandeur_emploi",
        "commune": "Roubaix",
        "territoire": "roubaix",
        "champs_demandes": ["besoins", "implante_qpv", "habite_qpv", "age"],
    }
    slots, texts, _ = await run(ValidateProfilForm(), tracker(full, text="29", requested="age"))
    assert slots["requested_slot"] is None
    assert not {question(f)[0] for f in asked_fields()} & set(texts)


async def test_after_a_digression_the_form_asks_the_same_question_again():
    """Back in the form after a digression, Rasa calls the validation action with no new slot
    (the latest action is the digression's): it requests the same field and asks it again."""
    known = {
        "stade": "creation",
        "secteur": "commerce",
        "statut": "demandeur_emploi",
        "commune": "Roubaix",
        "territoire": "roubaix",
        "champs_demandes": ["besoins"],
    }
    track = tracker(
        known, text="c'est quoi un QPV ?", intent="demander_definition", requested="besoins"
    )
    track.events.insert(1, {"event": "action", "name": "action_definition"})
    slots, texts, messages = await run(ValidateProfilForm(), track)
    assert slots["requested_slot"] == "besoins"
    assert "champs_demandes" not in slots  # asked again, not a new question
    assert texts == [question("besoins")[0]]
    assert messages[0]["buttons"] == question("besoins")[1]


async def test_the_recommendation_shows_aids_with_amount_reasons_checks_and_link():
    profile = {
        "stade": "creation",
        "secteur": "commerce",
        "statut": "demandeur_emploi",
        "commune": "Roubaix",
        "territoire": "roubaix",
        "implante_qpv": True,
    }
    slots, texts, messages = await run(ActionRecommander(), tracker(profile))
    aids = slots["aides_recommandees"]
    assert "pret-honneur-quartier" in aids
    assert len(aids) <= 5
    first = next(t for t in texts if t.startswith("1. "))
    assert "Montant :" in first
    assert "Pourquoi :" in first
    assert "En savoir plus : http" in first
    assert any("organismes à contacter" in t for t in texts)
    assert messages[-1]["buttons"]


ROUBAIX_SHOP = {
    "stade": "creation",
    "secteur": "commerce",
    "statut": "demandeur_emploi",
    "commune": "Roubaix",
    "territoire": "roubaix",
}


async def test_after_the_results_the_questions_left_are_offered_as_pour_affiner_buttons():
    _, texts, messages = await run(
        ActionRecommander(), tracker({**ROUBAIX_SHOP, "champs_ignores": ["age"]})
    )
    offer = next(m for m in messages if m.get("text") == message("affiner"))
    fields = [refine_request_of(b["payload"]) for b in offer["buttons"]]
    profile = profile_from_slots(ROUBAIX_SHOP)
    assert fields == [f for f in questions_that_matter(catalog(), profile) if f != "age"]
    assert "implante_qpv" in fields
    assert all(b["title"].startswith("Pour affiner : ") for b in offer["buttons"])
    # after the aids and contacts, before « Que souhaitez-vous faire maintenant ? »
    at = texts.index(message("affiner"))
    assert max(i for i, t in enumerate(texts) if t.startswith(("1. ", "• "))) < at
    assert at < texts.index(message("suite"))
    # a complete profile has nothing left to refine
    complete = {
        **ROUBAIX_SHOP,
        "indemnise_are": True,
        "besoins": ["financement"],
        "habite_qpv": True,
        "implante_qpv": True,
        "age": 37,
        "femme": False,
        "effectif": 0,
        "franchise": False,
        "montant": 10000,
    }
    _, texts, _ = await run(ActionRecommander(), tracker(complete))
    assert message("affiner") not in texts


def refine_request_of(payload: str) -> str | None:
    return refine_request(tracker(text=payload, intent="chercher_aides"))


async def test_a_pour_affiner_button_asks_that_question_then_the_results_come_back():
    shown = {**ROUBAIX_SHOP, "aides_recommandees": ["acre"], "champs_demandes": ["secteur"]}
    slots, _, _ = await run(
        ValidateProfilForm(),
        tracker(shown, text=refine_payload("age"), intent="chercher_aides"),
    )
    assert slots["requested_slot"] == "age"
    assert slots["champs_demandes"] == ["secteur", "age"]
    # the answer: no other question, the form ends and the updated results are shown
    slots, _, _ = await run(
        ValidateProfilForm(),
        tracker(
            {**shown, "champs_demandes": ["secteur", "age"]},
            text="27",
            requested="age",
        ),
    )
    assert slots["age"] == 27
    assert slots["requested_slot"] is None


async def test_a_form_started_again_does_not_repeat_the_recap_of_what_is_unchanged():
    # « Voir d'autres aides » or « Pour affiner » start the form again, which validates every
    # known slot: nothing new was said, so no « J'ai bien noté ».
    shown = {**ROUBAIX_SHOP, "aides_recommandees": ["acre"]}
    track = tracker(shown, text="/chercher_aides", intent="chercher_aides", new_slots=ROUBAIX_SHOP)
    track.events[:0] = [{"event": "slot", "name": k, "value": v} for k, v in ROUBAIX_SHOP.items()]
    _, texts, _ = await run(ValidateProfilForm(), track)
    assert not any(t.startswith("J'ai bien noté") for t in texts)


async def test_a_correction_after_the_results_goes_straight_to_updated_results_with_a_recap():
    shown = {**ROUBAIX_SHOP, "age": 24, "aides_recommandees": ["acre"]}
    track = tracker(shown, text="non, j'ai 27 ans", new_slots={"age": 27})
    track.events.insert(0, {"event": "slot", "name": "age", "value": 24})
    slots, texts, _ = await run(ValidateProfilForm(), track)
    assert slots["age"] == 27
    assert slots["requested_slot"] is None  # no question: action_recommander follows
    assert any(t.startswith("J'ai bien noté : ") and "27 ans" in t for t in texts)


async def test_at_most_four_questions_before_the_first_results():
    asked = ["implante_qpv", "habite_qpv", "indemnise_are", "besoins"]
    slots, _, _ = await run(
        ValidateProfilForm(),
        tracker({**ROUBAIX_SHOP, "champs_demandes": asked}, text="oui", intent="affirmer"),
    )
    assert slots["requested_slot"] is None
    assert get_settings().actions.max_questions == 4
    # three asked: a fourth question may still come
    slots, _, _ = await run(
        ValidateProfilForm(),
        tracker({**ROUBAIX_SHOP, "champs_demandes": asked[:3]}, text="oui", intent="affirmer"),
    )
    assert slots["requested_slot"] in questions_that_matter(
        catalog(), profile_from_slots(ROUBAIX_SHOP)
    )


async def test_facts_older_than_six_months_are_said_a_reverifier(monkeypatch):
    import datetime

    import actions.contacts

    profile = {
        "stade": "creation",
        "secteur": "commerce",
        "statut": "demandeur_emploi",
        "commune": "Roubaix",
        "territoire": "roubaix",
        "implante_qpv": True,
    }
    # A year after every check of the catalogue: each aid and contact shown is flagged.
    monkeypatch.setattr(actions.contacts, "today", lambda: datetime.date(2027, 12, 31))
    _, texts, _ = await run(ActionRecommander(), tracker(profile))
    aids = [t for t in texts if t[:2] in {f"{n}." for n in range(1, 6)}]
    assert aids
    assert all("\nÀ revérifier : ces informations ont été vérifiées" in t for t in aids)
    contacts = [t for t in texts if t.startswith("• ")]
    assert contacts
    assert all(t.endswith(": à revérifier)") for t in contacts)
    # On a date less than six months after every check: nothing is flagged.
    monkeypatch.setattr(actions.contacts, "today", lambda: datetime.date(2026, 3, 1))
    _, texts, _ = await run(ActionRecommander(), tracker(profile))
    assert not any("revérifier" in t for t in texts)


async def test_contacts_ask_for_the_place_when_unknown():
    _, texts, _ = await run(ActionContacts(), tracker({}))
    assert "dites-moi votre commune" in texts[0]
    _, texts, _ = await run(ActionContacts(), tracker({"commune": "Toulouse"}))
    assert "dites-moi votre commune" not in texts[0]
    assert len(texts) >= 2


async def test_definitions_from_the_glossary_and_the_catalogue():
    _, texts, _ = await run(
        ActionDefinition(),
        tracker(
            text="c'est quoi l'ACRE ?",
            intent="demander_definition",
            entities=[{"entity": "aide", "value": "ACRE"}],
        ),
    )
    assert texts[0].startswith("ACRE : ")
    assert "Urssaf" in texts[0]
    _, texts, _ = await run(
        ActionDefinition(),
        tracker(
            text="c'est quoi le truc machin ?",
            intent="demander_definition",
            entities=[{"entity": "aide", "value": "truc machin"}],
        ),
    )
    assert "Je n'ai pas de définition" in texts[0]


async def test_qpv_check_names_known_neighbourhoods_and_the_official_checker():
    _, texts, _ = await run(
        ActionVerifierQpv(),
        tracker(
            text="Montpellier c'est en QPV ?",
            intent="verifier_qpv",
            entities=[{"entity": "commune", "value": "Montpellier"}],
        ),
    )
    assert "Mosson" in texts[0]
    assert "sig.ville.gouv.fr" in texts[0]
    _, texts, _ = await run(
        ActionVerifierQpv(), tracker(text="mon local est en QPV ?", intent="verifier_qpv")
    )
    assert "dites-moi la commune" in texts[0]


async def test_qpv_check_in_laval_names_the_three_official_qpv_with_their_codes():
    _, texts, _ = await run(
        ActionVerifierQpv(),
        tracker(
            text="Laval c'est en QPV ?",
            intent="verifier_qpv",
            entities=[{"entity": "commune", "value": "Laval"}],
        ),
    )
    assert "Laval compte 3 quartiers prioritaires (QPV)" in texts[0]
    for name in ("Les Fourches (QN05301M)", "Kellermann (QN05302M)", "Pavement"):
        assert name in texts[0]
    assert "Pommeraies" not in texts[0]  # a « veille » area, not a QPV


async def test_qpv_check_in_a_commune_of_the_territory_without_qpv_says_so():
    _, texts, _ = await run(
        ActionVerifierQpv(),
        tracker(
            text="Bonchamp-lès-Laval c'est en QPV ?",
            intent="verifier_qpv",
            entities=[{"entity": "commune", "value": "Bonchamp-lès-Laval"}],
        ),
    )
    assert "Bonchamp-lès-Laval ne compte aucun quartier prioritaire (QPV)" in texts[0]
    assert "sig.ville.gouv.fr" in texts[0]


async def test_qpv_check_of_a_neighbourhood_names_it_first():
    _, texts, _ = await run(
        ActionVerifierQpv(),
        tracker(
            text="la Mosson c'est en QPV ?",
            intent="verifier_qpv",
            entities=[{"entity": "commune", "value": "la Mosson"}],
        ),
    )
    assert "Montpellier compte 10 quartiers prioritaires (QPV) : Mosson (QN03405M)" in texts[0]


async def test_starting_over_resets_every_slot():
    track = tracker({"stade": "creation"})
    dispatcher = CollectingDispatcher()
    events = await ActionRecommencer().run(dispatcher, track, DOMAIN)
    assert events == [{"event": "reset_slots", "timestamp": None}]


async def test_an_ambiguous_commune_is_asked_with_one_button_per_commune():
    slots, texts, messages = await run(
        ValidateProfilForm(),
        tracker(
            {"stade": "creation"},
            text="Saint-Louis",
            requested="commune",
            new_slots={"commune": "Saint-Louis"},
        ),
    )
    assert slots["commune"] is None
    assert slots["requested_slot"] == "commune"
    assert "Plusieurs communes s'appellent « Saint-Louis »" in texts[0]
    assert "Saint-Louis (68300)" in [b["payload"] for b in messages[0]["buttons"]]


async def test_a_correction_of_the_place_updates_territory_and_postal_code():
    known = {
        "stade": "creation",
        "commune": "Roubaix",
        "code_postal": "59100",
        "territoire": "roubaix",
    }
    slots, _, _ = await run(
        ValidateProfilForm(),
        tracker(
            known,
            text="non, je suis à Arras",
            intent="informer",
            requested="statut",
            new_slots={"commune": "Arras"},
        ),
    )
    assert slots["territoire"] == "arras"
    assert slots["code_postal"] == "62000"


async def test_a_correction_of_the_stage_is_kept():
    known = {"stade": "creation", "commune": "Roubaix", "territoire": "roubaix"}
    slots, _, _ = await run(
        ValidateProfilForm(),
        tracker(
            known,
            text="en fait c'est une reprise",
            requested="statut",
            new_slots={"stade": "reprise"},
        ),
    )
    assert slots["stade"] == "reprise"


async def test_a_headcount_answer_does_not_change_the_personal_situation():
    track = tracker(
        {"stade": "developpement", "commune": "Nancy", "territoire": "grand-nancy"},
        text="2 salariés",
        requested="effectif",
        new_slots={"statut": "salarie"},
    )
    track.events.insert(0, {"event": "slot", "name": "statut", "value": "rsa"})
    slots, _, _ = await run(ValidateProfilForm(), track)
    assert slots["statut"] == "rsa"
    assert slots["effectif"] == 2


async def test_zero_answers_the_headcount_even_if_nlu_heard_start_over():
    slots, _, _ = await run(
        ValidateProfilForm(),
        tracker({"stade": "creation"}, text="zéro", intent="recommencer", requested="effectif"),
    )
    assert slots["effectif"] == 0


async def test_an_answer_that_does_not_fit_is_said_and_the_question_stays():
    slots, texts, _ = await run(
        ValidateProfilForm(),
        tracker(
            {"stade": "creation", "commune": "Roubaix", "territoire": "roubaix"},
            text="oui",
            intent="affirmer",
            requested="age",  # a question whose answer changes the first five aids
        ),
    )
    assert "Je n'ai pas compris votre réponse" in texts[0]
    assert slots["requested_slot"] == "age"


async def test_no_is_not_a_commune():
    slots, texts, _ = await run(
        ValidateProfilForm(),
        tracker({"stade": "creation"}, text="non", intent="nier", requested="commune"),
    )
    assert "commune" not in slots or slots["commune"] is None
    assert not any("14 territoires" in t for t in texts)


async def test_a_badly_cut_situation_is_read_from_the_whole_message():
    slots, _, _ = await run(
        ValidateProfilForm(),
        tracker(
            {"stade": "creation"},
            text="je suis demandeur d'emploi",
            requested="statut",
            new_slots={"statut": "demandeur"},
        ),
    )
    assert slots["statut"] == "demandeur_emploi"


async def test_the_age_of_the_business_is_not_read_as_an_amount():
    track = tracker(
        {"stade": "developpement", "commune": "Nancy", "territoire": "grand-nancy"},
        text="3 ans",
        requested="anciennete_annees",
        new_slots={"montant": "3"},
    )
    slots, _, _ = await run(ValidateProfilForm(), track)
    assert slots["anciennete_annees"] == 3
    assert slots["montant"] is None


async def test_a_commune_given_after_a_qpv_question_gets_the_qpv_answer():
    track = tracker({}, text="à Montpellier", new_slots={"commune": "Montpellier"})
    track.events.insert(0, {"event": "action", "name": "action_verifier_qpv"})
    track.events.insert(1, {"event": "action", "name": "action_listen"})
    _, texts, _ = await run(ValidateProfilForm(), track)
    assert any("Mosson" in t and "sig.ville.gouv.fr" in t for t in texts)


async def test_an_aid_with_dated_amounts_says_since_when_its_amount_applies():
    _, texts, _ = await run(
        ActionDefinition(),
        tracker(
            text="c'est quoi le microcrédit de l'Adie ?",
            intent="demander_definition",
            entities=[{"entity": "aide", "value": "Microcrédit professionnel de l'Adie"}],
        ),
    )
    assert "17 000 €" in texts[0]
    assert "en vigueur depuis le 6 décembre 2024" in texts[0]


async def test_a_new_commune_after_the_results_is_not_read_with_the_old_postal_code():
    # Started again after the results, the form validates every known slot: the postal code
    # of Roubaix comes along with the new commune and must not place Montpellier outside.
    known = {**ROUBAIX_SHOP, "code_postal": "59100", "aides_recommandees": ["arce"]}
    track = tracker(
        known,
        text="en fait c'est à Montpellier",
        new_slots={"commune": "Montpellier", "code_postal": "59100"},
    )
    track.events[:0] = [
        {"event": "slot", "name": "commune", "value": "Roubaix"},
        {"event": "slot", "name": "code_postal", "value": "59100"},
    ]
    slots, texts, _ = await run(ValidateProfilForm(), track)
    assert slots["territoire"] == "montpellier"
    assert slots["code_postal"] is None
    assert not any("ne fait pas partie des 14 territoires" in t for t in texts)
    assert any(
        "J'ai bien noté : création · commerce · demandeur d'emploi · Montpellier" in t
        for t in texts
    )


async def test_the_recap_says_every_fact_of_the_first_message_and_asks_none_of_them():
    slots, texts, _ = await run(
        ValidateProfilForm(),
        tracker(
            text="J'ai 24 ans, j'habite à la Mosson à Montpellier et je lance ma startup",
            new_slots={
                "stade": "creation",
                "secteur": "numerique",
                "commune": "Montpellier",
                "age": 24,
                "habite_qpv": True,
                "effectif": 0,
            },
        ),
    )
    recap = next(t for t in texts if t.startswith("J'ai bien noté"))
    assert "création · numérique · Montpellier · 24 ans · sans salarié" in recap
    assert "domicile en quartier prioritaire" in recap
    assert (slots["age"], slots["habite_qpv"], slots["effectif"]) == (24, True, 0)
    assert slots["requested_slot"] not in ("age", "habite_qpv", "effectif", "commune")


async def test_a_fact_corrected_in_one_message_is_said_back():
    track = tracker(
        {"stade": "creation", "commune": "Orly", "territoire": "orly-choisy", "age": 27},
        text="non, j'ai 27 ans",
        new_slots={"age": 27},
        requested="implante_qpv",
    )
    track.events.insert(0, {"event": "slot", "name": "age", "value": 25})
    slots, texts, _ = await run(ValidateProfilForm(), track)
    assert slots["age"] == 27
    assert any(t.startswith("J'ai bien noté") and "27 ans" in t for t in texts)


async def test_the_no_of_a_correction_does_not_answer_the_question_asked():
    track = tracker(
        {"stade": "creation", "commune": "Orly", "territoire": "orly-choisy"},
        text="non, j'ai 27 ans",
        intent="nier",
        new_slots={"age": 27, "implante_qpv": False},
        requested="implante_qpv",
    )
    track.events.insert(0, {"event": "slot", "name": "age", "value": 25})
    slots, texts, _ = await run(ValidateProfilForm(), track)
    assert slots["age"] == 27
    assert slots["implante_qpv"] is None
    assert slots["requested_slot"] == "implante_qpv"  # asked again
    recap = next(t for t in texts if t.startswith("J'ai bien noté"))
    assert "27 ans" in recap
    assert "quartier prioritaire" not in recap
