"""« Mon adresse est-elle en QPV ? » in the actions, run as the action server runs them, with
the Base Adresse Nationale replaced by a local fake (real HTTP) and the real perimeters of
Laval's and Roubaix's QPV in the catalogue database: the verdict, then habite_qpv /
implante_qpv only once the person has said whose address it is."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from test_actions import DOMAIN, run, tracker

from actions.information import ActionVerifierQpv
from actions.profile_form import ValidateProfilForm
from catalog.dialogue import question

ROUBAIX = {"stade": "creation", "secteur": "commerce", "commune": "Roubaix"}


@pytest.fixture(autouse=True)
def geocoder(fake_ban, monkeypatch):
    monkeypatch.setenv("QP_GEOCODER_URL", fake_ban.base_url)
    return fake_ban


def outside_the_form(track: Tracker) -> Tracker:
    track.active_loop = {}
    return track


async def test_an_address_in_a_qpv_question_is_checked_then_whose_it_is_is_asked():
    track = outside_the_form(
        tracker(text="12 rue X, 59100 Roubaix, c'est en QPV ?", intent="verifier_qpv")
    )
    dispatcher = CollectingDispatcher()
    events = await ActionVerifierQpv().run(dispatcher, track, DOMAIN)
    texts = [m.get("text") or "" for m in dispatcher.messages]
    assert "est en QPV : quartier Nouveau Roubaix (QN05981M)" in texts[0]
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert slots == {"adresse_qpv": {"en_qpv": True, "code": "QN05981M", "nom": "Nouveau Roubaix"}}
    assert "habite_qpv" not in slots
    assert "implante_qpv" not in slots
    # The profile form takes over to ask whose address it is.
    assert {"event": "active_loop", "name": "profil_form", "timestamp": None} in events


async def test_a_qpv_question_that_says_whose_address_it_is_sets_the_profile_at_once():
    slots, texts, _ = await run(
        ActionVerifierQpv(),
        tracker(text="mon local au 12 rue X, 59100 Roubaix, c'est en QPV ?", intent="verifier_qpv"),
    )
    assert slots["implante_qpv"] is True
    assert "habite_qpv" not in slots
    assert slots["adresse_qpv"] is None
    assert any(t.startswith("C'est noté : votre entreprise est (ou sera) implantée") for t in texts)


async def test_the_form_asks_whose_address_it_is_without_spending_a_question():
    pending = {"en_qpv": True, "code": "QN05981M", "nom": "Nouveau Roubaix"}
    track = tracker({**ROUBAIX, "adresse_qpv": pending, "champs_demandes": ["statut"]})
    track.latest_message["intent"]["name"] = "verifier_qpv"
    track.events.insert(1, {"event": "action", "name": "action_verifier_qpv"})
    slots, _, _ = await run(ValidateProfilForm(), track)
    assert slots["requested_slot"] == "lieu_adresse"
    assert "champs_demandes" not in slots  # the question budget is for the profile


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("mon domicile", {"habite_qpv": True}),
        ("c'est chez moi", {"habite_qpv": True}),
        ("mon entreprise", {"implante_qpv": True}),
        ("c'est l'adresse de ma boutique", {"implante_qpv": True}),
        ("les deux", {"habite_qpv": True, "implante_qpv": True}),
    ],
)
async def test_the_answer_sets_habite_qpv_or_implante_qpv(answer, expected):
    pending = {"en_qpv": True, "code": "QN05981M", "nom": "Nouveau Roubaix"}
    track = tracker({**ROUBAIX, "adresse_qpv": pending}, text=answer, requested="lieu_adresse")
    slots, texts, _ = await run(ValidateProfilForm(), track)
    for field, value in expected.items():
        assert slots[field] is value
    for field in {"habite_qpv", "implante_qpv"} - set(expected):
        assert slots.get(field) is None
    assert slots["adresse_qpv"] is None
    assert slots["requested_slot"] != "lieu_adresse"
    assert any(t.startswith("C'est noté") for t in texts)


async def test_an_address_out_of_every_qpv_sets_false_once_confirmed():
    pending = {"en_qpv": False, "code": None, "nom": None}
    track = tracker(
        {**ROUBAIX, "adresse_qpv": pending}, text="mon domicile", requested="lieu_adresse"
    )
    slots, texts, _ = await run(ValidateProfilForm(), track)
    assert slots["habite_qpv"] is False
    assert "C'est noté : vous n'habitez pas dans un quartier prioritaire (QPV)." in texts


async def test_neither_or_dont_know_keeps_the_profile_unchanged():
    pending = {"en_qpv": True, "code": "QN05981M", "nom": "Nouveau Roubaix"}
    for answer in ("je ne sais pas", "aucune des deux"):
        track = tracker({**ROUBAIX, "adresse_qpv": pending}, text=answer, requested="lieu_adresse")
        slots, texts, _ = await run(ValidateProfilForm(), track)
        assert slots["adresse_qpv"] is None
        assert slots.get("habite_qpv") is None
        assert slots.get("implante_qpv") is None
        assert "je ne retiens pas cette adresse" in texts[0]


async def test_a_digression_while_asked_whose_address_it_is_is_left_to_its_rule():
    pending = {"en_qpv": True, "code": "QN05981M", "nom": "Nouveau Roubaix"}
    track = tracker(
        {**ROUBAIX, "adresse_qpv": pending},
        text="c'est quoi un QPV ?",
        intent="demander_definition",
        requested="lieu_adresse",
    )
    slots, texts, _ = await run(ValidateProfilForm(), track)
    assert "habite_qpv" not in slots
    # Nothing but the question is said, and no slot is set but `requested_slot`: Rasa rejects
    # the form, drops this reply (question included) and lets the definition's rule answer.
    assert texts == [question("lieu_adresse")[0]]
    assert set(slots) == {"requested_slot"}


async def test_j_habite_aux_fourches_names_the_official_qpv_and_asks_for_the_address():
    track = tracker(
        text="j'habite aux Fourches à Laval",
        entities=[{"entity": "commune", "value": "Laval"}],
        new_slots={"commune": "Laval"},
    )
    slots, texts, _ = await run(ValidateProfilForm(), track)
    said = " ".join(texts)
    assert "Les Fourches (QN05301M) est un quartier prioritaire de Laval" in said
    assert "sig.ville.gouv.fr" in said
    assert slots["commune"] == "Laval"
    assert slots["territoire"] == "laval"
    assert "habite_qpv" not in slots  # a name is not an address: never guessed


async def test_an_address_given_while_describing_oneself_is_checked_and_kept_as_home():
    track = tracker(
        text="j'habite au 3 rue des Fourches 53000 Laval",
        entities=[{"entity": "commune", "value": "Laval"}],
        new_slots={"commune": "Laval", "code_postal": "53000"},
    )
    slots, texts, _ = await run(ValidateProfilForm(), track)
    said = " ".join(texts)
    assert "est en QPV : quartier Les Fourches (QN05301M)" in said
    assert slots["habite_qpv"] is True
    assert "implante_qpv" not in slots


async def test_without_the_geocoder_the_answer_is_a_verifier_and_nothing_is_set(monkeypatch):
    monkeypatch.setenv("QP_GEOCODER_URL", "http://127.0.0.1:9")
    slots, texts, _ = await run(
        ActionVerifierQpv(),
        tracker(text="12 rue X, 59100 Roubaix, c'est en QPV ?", intent="verifier_qpv"),
    )
    assert texts[0].startswith("À vérifier")
    assert "sig.ville.gouv.fr" in texts[0]
    assert "Nouveau Roubaix (QN05981M)" in texts[0]  # the commune's official list
    assert slots == {}


async def test_a_qpv_question_naming_a_neighbourhood_names_the_official_qpv():
    _, texts, _ = await run(
        ActionVerifierQpv(),
        tracker(
            text="j'habite aux Fourches à Laval, c'est en QPV ?",
            intent="verifier_qpv",
            entities=[{"entity": "commune", "value": "Laval"}],
        ),
    )
    assert "Laval compte 3 quartiers prioritaires (QPV) : Les Fourches (QN05301M)" in texts[0]
    assert "sig.ville.gouv.fr" in texts[0]


async def test_a_number_and_a_street_word_without_a_place_is_not_taken_for_an_address(
    geocoder,
):
    before = len(geocoder.queries)
    track = tracker(text="je donne 3 cours de cuisine par semaine", requested="stade")
    _, texts, _ = await run(ValidateProfilForm(), track)
    assert len(geocoder.queries) == before  # nothing sent to the geocoder
    assert not any("QPV" in t for t in texts)
