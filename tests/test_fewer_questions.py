"""Fewer questions before the results (issue 16, « at most two questions » for the ticket's
transcripts): values presumed from the rest of the profile (catalog/plausible.py) are not
asked, and the two QPV facts are asked in one question when both matter (dialogue.yml
`questions_jointes`, actions/qpv_question.py). Run on the shipped catalogue and with the
actions as the action server runs them."""

from __future__ import annotations

from datetime import date

import pytest
from rasa_sdk import Tracker
from test_actions import DOMAIN, run, tracker

from actions.profile_form import ValidateProfilForm, fields_to_ask
from actions.qpv_question import UNCLEAR, read_answer
from actions.refine import refine_payload
from actions.slots import catalog as app_catalog
from bot.flows.assistant import Answer
from bot.flows.checks import default_wording, joint_reply
from catalog.dialogue import joint_question, message
from catalog.engine import recommend
from catalog.plausible import plausible_values
from catalog.profile import parse_profile
from catalog.questions import SHOWN, asked_together, candidate_values, questions_that_matter
from catalog.rules import evaluate, presumed

TODAY = date(2026, 12, 3)
QPV = ("implante_qpv", "habite_qpv")
JOINT = joint_question(QPV)
# « je veux ouvrir un snack à saint louis la réunion, je suis au rsa », then « Financement ».
SNACK = {
    "stade": "creation",
    "secteur": "restauration",
    "statut": "rsa",
    "commune": "Saint-Louis",
    "code_postal": "97450",
    "territoire": "saint-louis-reunion",
    "besoins": ["financement"],
}
# « je gère une boutique de prêt-à-porter à Nancy depuis 4 ans et je souhaiterais la
# développer sur internet », then « Aucun » salarié.
BOUTIQUE = {
    "stade": "developpement",
    "secteur": "commerce",
    "commune": "Nancy",
    "code_postal": "54000",
    "territoire": "grand-nancy",
    "anciennete_annees": 4,
    "besoins": ["numerique"],
    "effectif": 0,
}


# --- plausible values ------------------------------------------------------------------------


def test_a_creators_headcount_is_presumed_under_ten_and_nothing_else_is():
    creator = parse_profile({"stade": "creation"})
    assert plausible_values(creator, "effectif") == tuple(range(10))
    assert plausible_values(parse_profile({"stade": "idee"}), "effectif") == tuple(range(10))
    # An existing business or one taken over may employ anyone: nothing presumed.
    assert plausible_values(parse_profile({"stade": "reprise"}), "effectif") is None
    assert plausible_values(parse_profile({"stade": "developpement"}), "effectif") is None
    assert plausible_values(parse_profile({}), "effectif") is None
    # What the person said always wins.
    assert (
        plausible_values(parse_profile({"stade": "creation", "effectif": 12}), "effectif") is None
    )
    # « Au RSA »: the unemployment benefit (ARE) is presumed not received.
    assert plausible_values(parse_profile({"statut": "rsa"}), "indemnise_are") == (False,)
    assert plausible_values(parse_profile({"statut": "demandeur_emploi"}), "indemnise_are") is None


def test_a_condition_every_plausible_value_meets_is_likely_never_certain():
    creator = parse_profile({"stade": "creation"})
    small = {"field": "effectif", "lte": 10}
    hires = {"field": "effectif", "gte": 1}
    assert presumed(small, creator)
    assert not presumed(hires, creator), "0 employees is plausible too"
    assert not presumed(small, parse_profile({"stade": "reprise"}))
    # Likely met for the ranking, still unknown (« à vérifier ») for eligibility.
    assert evaluate(small, creator, assume_likely=True).value is True
    assert evaluate(small, creator).value is None


def test_only_plausible_values_are_tried_when_deciding_a_question(catalog):
    creator = parse_profile({"stade": "creation"})
    everything = candidate_values(catalog, "effectif")
    assert max(everything) > 9
    assert candidate_values(catalog, "effectif", creator) == [v for v in everything if v < 10]
    assert candidate_values(catalog, "effectif", parse_profile({"stade": "reprise"})) == everything


def test_the_snack_creator_is_not_asked_the_headcount_but_sees_the_small_business_aid(catalog):
    """The snack at Saint-Louis: before, « how many employees? » was asked because only the
    answer put the Region's aid for very small businesses among the first five; now that aid is
    there while the headcount is unknown, « à vérifier », and the question is not asked — but
    still offered after the results (« Pour affiner »)."""
    snack = parse_profile(SNACK)
    asked = questions_that_matter(catalog, snack, TODAY)
    assert "effectif" not in asked
    assert "indemnise_are" not in asked, "au RSA: the ARE is presumed not received"
    assert asked == list(QPV), "the only questions left: the two QPV facts, asked as one"
    assert asked_together(asked, asked[0]) == QPV
    offered = questions_that_matter(catalog, snack, TODAY, plausible_only=False)
    assert {"effectif", "indemnise_are"} <= set(offered)

    home = snack.with_values(habite_qpv=True, implante_qpv=False)
    matches = recommend(catalog, home, TODAY).aids[:SHOWN]
    tpe = next(m for m in matches if m.aid["id"] == "reunion-aide-tpe")
    assert tpe.eligible is None
    assert tpe.likely
    assert any("salarié" in line for line in tpe.to_check)
    assert questions_that_matter(catalog, home, TODAY) == []


def test_an_existing_business_is_still_asked_its_headcount(catalog):
    boutique = parse_profile({**BOUTIQUE, "effectif": None})
    assert questions_that_matter(catalog, boutique, TODAY)[0] == "effectif"


# --- one question for the two QPV facts -------------------------------------------------------


def test_both_qpv_facts_are_asked_together_only_while_both_matter(catalog):
    boutique = parse_profile(BOUTIQUE)
    asked = questions_that_matter(catalog, boutique, TODAY)
    assert asked == list(QPV)
    assert asked_together(asked, "implante_qpv") == QPV
    assert asked_together(asked, "habite_qpv") == QPV
    assert asked_together(["implante_qpv", "femme"], "implante_qpv") == ("implante_qpv",)
    assert asked_together(asked, "femme") == ("femme",)


def joint_tracker(slots, text, intent="informer", new_slots=None) -> Tracker:
    """The person answers `text` right after the joint question."""
    track = tracker(slots, text=text, intent=intent, new_slots=new_slots, requested="implante_qpv")
    track.events.insert(0, {"event": "bot", "text": JOINT.text, "data": {}})
    return track


async def test_the_joint_question_is_asked_with_one_button_per_combination():
    # The form's own reply ends with the question it requests (actions/asks.py).
    slots, texts, messages = await run(ValidateProfilForm(), tracker(BOUTIQUE))
    assert slots["requested_slot"] in QPV
    assert texts[-1] == JOINT.text
    assert "entreprise" in JOINT.text
    assert "domicile" in JOINT.text
    buttons = {b["title"]: b["payload"] for b in messages[-1]["buttons"]}
    assert buttons == {
        "Mon entreprise (local)": '/informer{"implante_qpv":true,"habite_qpv":false}',
        "Mon domicile": '/informer{"implante_qpv":false,"habite_qpv":true}',
        "Les deux": '/informer{"implante_qpv":true,"habite_qpv":true}',
        "Aucun des deux": '/informer{"implante_qpv":false,"habite_qpv":false}',
        "Je ne sais pas": "je ne sais pas",
    }
    for field in QPV:  # whichever of the two is requested, both are asked
        assert fields_to_ask(tracker(BOUTIQUE), field) == QPV


async def test_one_fact_left_or_results_shown_the_question_asks_that_fact_alone():
    for known, left in (("habite_qpv", "implante_qpv"), ("implante_qpv", "habite_qpv")):
        track = tracker({**BOUTIQUE, known: False})
        slots, texts, messages = await run(ValidateProfilForm(), track)
        assert slots["requested_slot"] == left
        assert texts == [message_of(left)]
        assert [b["payload"] for b in messages[-1]["buttons"]][:2] == ["/affirmer", "/nier"]
    # After the results the person chose « Pour affiner : votre domicile en QPV ? »: that one.
    shown = {**BOUTIQUE, "aides_recommandees": ["france-num"]}
    slots, texts, _ = await run(
        ValidateProfilForm(), tracker(shown, text=refine_payload("habite_qpv"))
    )
    assert slots["requested_slot"] == "habite_qpv"
    assert texts == [message_of("habite_qpv")]


def message_of(field: str) -> str:
    from catalog.dialogue import question

    return question(field)[0]


async def test_a_button_sets_both_facts_says_them_back_and_counts_as_one_question():
    slots, texts, _ = await run(
        ValidateProfilForm(),
        joint_tracker(
            {**BOUTIQUE, "champs_demandes": ["effectif", "implante_qpv"]},
            '/informer{"implante_qpv":false,"habite_qpv":true}',
            new_slots={"implante_qpv": False, "habite_qpv": True},
        ),
    )
    assert slots["implante_qpv"] is False
    assert slots["habite_qpv"] is True
    recap = next(t for t in texts if t.startswith("J'ai bien noté"))
    assert "domicile en quartier prioritaire" in recap
    assert "entreprise hors quartier prioritaire" in recap
    assert slots["requested_slot"] is None, "nothing left that changes the first aids"
    assert "champs_demandes" not in slots or slots["champs_demandes"] == [
        "effectif",
        "implante_qpv",
    ]


@pytest.mark.parametrize(
    ("text", "intent", "mapped", "expected"),
    [
        ("les deux", "informer", {}, {"implante_qpv": True, "habite_qpv": True}),
        ("non", "nier", {"implante_qpv": False}, {"implante_qpv": False, "habite_qpv": False}),
        (
            "aucun des deux",
            "nier",
            {"implante_qpv": False},
            {"implante_qpv": False, "habite_qpv": False},
        ),
        ("juste mon domicile", "informer", {}, {"implante_qpv": False, "habite_qpv": True}),
        # A model may tag « domicile » as a sector (« aide à domicile »): a word that means
        # no sector corrects nothing, the answer still counts (CI of 2026-12-03).
        (
            "juste mon domicile",
            "informer",
            {"secteur": "domicile"},
            {"implante_qpv": False, "habite_qpv": True},
        ),
        (
            "mon local oui mais pas chez moi",
            "informer",
            {},
            {"implante_qpv": True, "habite_qpv": False},
        ),
    ],
)
async def test_a_typed_answer_sets_both_facts(text, intent, mapped, expected):
    slots, _, _ = await run(
        ValidateProfilForm(),
        joint_tracker({**BOUTIQUE, "champs_demandes": ["implante_qpv"]}, text, intent, mapped),
    )
    assert {name: slots.get(name) for name in QPV} == expected


async def test_a_real_correction_with_the_answer_asks_the_question_again():
    slots, _, _ = await run(
        ValidateProfilForm(),
        joint_tracker(
            {**BOUTIQUE, "champs_demandes": ["implante_qpv"]},
            "juste mon domicile, et c'est une boulangerie",
            "informer",
            {"secteur": "boulangerie"},
        ),
    )
    assert slots["secteur"] == "artisanat"
    assert {name: slots.get(name) for name in QPV} == {"implante_qpv": None, "habite_qpv": None}
    assert slots["requested_slot"] == "implante_qpv", "the question is asked again"


async def test_a_bare_yes_asks_which_one_and_sets_nothing():
    slots, texts, _ = await run(
        ValidateProfilForm(),
        joint_tracker(
            {**BOUTIQUE, "champs_demandes": ["implante_qpv"]},
            "oui",
            "affirmer",
            {"implante_qpv": True},  # Rasa's own mapping of « oui » to the requested slot
        ),
    )
    assert message("qpv_preciser") in texts
    assert slots["implante_qpv"] is None
    assert slots["requested_slot"] == "implante_qpv", "the question is asked again"


async def test_dont_know_skips_both_facts():
    slots, _, _ = await run(
        ValidateProfilForm(),
        joint_tracker({**BOUTIQUE, "champs_demandes": ["implante_qpv"]}, "je ne sais pas"),
    )
    assert set(QPV) <= set(slots["champs_ignores"])
    assert slots["requested_slot"] not in QPV


async def test_a_no_to_the_single_question_answers_the_business_only():
    slots, _, _ = await run(
        ValidateProfilForm(),
        tracker(
            {**BOUTIQUE, "habite_qpv": True},
            text="non",
            intent="nier",
            new_slots={"implante_qpv": False},
            requested="implante_qpv",
        ),
    )
    assert slots["implante_qpv"] is False
    assert "habite_qpv" not in slots or slots["habite_qpv"] is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Les deux", {"implante_qpv": True, "habite_qpv": True}),
        ("oui les 2", {"implante_qpv": True, "habite_qpv": True}),
        ("ni l'un ni l'autre", {"implante_qpv": False, "habite_qpv": False}),
        ("non", {"implante_qpv": False, "habite_qpv": False}),
        ("seulement mon entreprise", {"implante_qpv": True, "habite_qpv": False}),
        ("mon domicile", {"implante_qpv": False, "habite_qpv": True}),
        (
            "mon entreprise n'est pas en QPV, mon domicile oui",
            {"implante_qpv": False, "habite_qpv": True},
        ),
        ("mon domicile non", {"habite_qpv": False}),
        ("oui", UNCLEAR),
        ("je cherche un prêt", None),
    ],
)
def test_typed_answers_to_the_joint_question(text, expected):
    assert read_answer(text) == expected


# --- the scenarios' and simulated people's side ----------------------------------------------


def test_the_flows_see_both_fields_asked_and_click_the_matching_button():
    wording = default_wording()
    answer = Answer(({"text": JOINT.text, "buttons": JOINT.buttons()},))
    assert wording.asked_fields(answer) == list(QPV)
    assert wording.joint_asked(answer) == JOINT
    reply = {"implante_qpv": "je sais pas", "habite_qpv": "oui"}
    assert joint_reply(JOINT, reply, wording.dont_know) == "Mon domicile"
    reply = {"implante_qpv": "Oui", "habite_qpv": "Oui"}
    assert joint_reply(JOINT, reply, wording.dont_know) == "Les deux"
    reply = {"implante_qpv": "Non", "habite_qpv": "Non"}
    assert joint_reply(JOINT, reply, wording.dont_know) == "Aucun des deux"
    reply = {"implante_qpv": "Oui", "habite_qpv": "Non"}
    assert joint_reply(JOINT, reply, wording.dont_know) == "Mon entreprise (local)"
    reply = {"implante_qpv": "je ne sais pas", "habite_qpv": "je ne sais pas"}
    assert joint_reply(JOINT, reply, wording.dont_know) == "Je ne sais pas"


def test_the_shipped_catalogue_is_the_one_the_actions_read():
    """The actions' catalogue (actions/slots.py) agrees with the figures above."""
    assert app_catalog().aid("reunion-aide-tpe") is not None
    assert DOMAIN["slots"]["implante_qpv"]["mappings"][0]["entity"] == "implante_qpv"
    assert DOMAIN["slots"]["habite_qpv"]["mappings"][0]["entity"] == "habite_qpv"


async def test_an_answer_after_a_digression_still_answers_the_joint_question():
    """« C'est quoi un QPV ? » answered between the question and « les deux »."""
    track = joint_tracker({**BOUTIQUE, "champs_demandes": ["implante_qpv"]}, "les deux")
    track.events.insert(1, {"event": "bot", "text": "QPV : quartier prioritaire…", "data": {}})
    slots, _, _ = await run(ValidateProfilForm(), track)
    assert {name: slots.get(name) for name in QPV} == {"implante_qpv": True, "habite_qpv": True}
    # But after a single question, « les deux » is not an answer to it.
    track = tracker({**BOUTIQUE, "habite_qpv": True}, text="les deux", requested="implante_qpv")
    track.events.insert(0, {"event": "bot", "text": message_of("implante_qpv"), "data": {}})
    slots, texts, _ = await run(ValidateProfilForm(), track)
    assert slots.get("implante_qpv") is None
    assert message("reponse_incomprise") in texts
