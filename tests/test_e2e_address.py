"""End to end: « mon adresse est-elle en QPV ? » through the real Rasa server and action
server (REST channel), the Base Adresse Nationale replaced by a local fake over real HTTP
(conftest `fake_ban`) and the real perimeters of Laval's and Roubaix's QPV in the catalogue."""

from __future__ import annotations

import pytest
from test_e2e_rest import say, stored_slots, texts

from catalog.dialogue import joint_question, question

pytestmark = pytest.mark.rasa
WHOSE_ADDRESS = question("lieu_adresse")[0]


@pytest.fixture(scope="module")
def settings(assistant):
    return assistant.settings


def test_an_address_in_the_message_is_checked_and_kept_once_the_person_says_whose_it_is(
    settings, fake_ban
):
    sender = "e2e-adresse-roubaix"
    answer = say(settings, "12 rue X, 59100 Roubaix, c'est en QPV ?", sender)
    said = texts(answer)
    assert "l'adresse « 12 Rue X 59100 Roubaix » est en QPV" in said
    assert "Nouveau Roubaix (QN05981M)" in said
    asked = next(m for m in answer if m.get("text") == WHOSE_ADDRESS)
    assert [b["title"] for b in asked["buttons"]][:3] == [
        "Mon domicile",
        "Mon entreprise",
        "Les deux",
    ]
    assert "12 rue X, 59100 Roubaix" in fake_ban.queries
    slots = stored_slots(settings, sender)
    assert slots.get("implante_qpv") is None
    assert slots.get("habite_qpv") is None

    payload = next(b["payload"] for b in asked["buttons"] if b["title"] == "Mon entreprise")
    answer = say(settings, payload, sender)
    assert "C'est noté : votre entreprise est (ou sera) implantée dans un quartier prioritaire" in (
        texts(answer)
    )
    slots = stored_slots(settings, sender)
    assert slots["implante_qpv"] is True
    assert slots.get("habite_qpv") is None
    assert slots["adresse_qpv"] is None
    # The questionnaire goes on with a profile question (not the same one again).
    assert WHOSE_ADDRESS not in texts(answer)
    assert answer[-1].get("text")


def test_j_habite_aux_fourches_names_the_qpv_then_the_address_settles_it(settings):
    sender = "e2e-adresse-laval"
    said = texts(say(settings, "j'habite aux Fourches à Laval", sender))
    # As a description (informer) or as a question (verifier_qpv), the official QPV is named.
    assert "Les Fourches (QN05301M)" in said
    assert "Laval" in said
    assert "sig.ville.gouv.fr" in said
    # Living in a neighbourhood of the catalogue's QPV list is taken as said (issue 16) and
    # said back in the recap, where the person can correct it; an address settles it.
    assert stored_slots(settings, sender)["habite_qpv"] is True
    assert "J'ai bien noté : Laval · domicile en quartier prioritaire." in said

    said = texts(say(settings, "j'habite au 3 rue des Fourches 53000 Laval", sender))
    assert "est en QPV : quartier Les Fourches (QN05301M)" in said
    assert "C'est noté : vous habitez dans un quartier prioritaire (QPV)." in said
    assert stored_slots(settings, sender)["habite_qpv"] is True


def test_an_address_given_to_the_joint_qpv_question_is_checked_then_the_other_fact_asked(
    settings, fake_ban
):
    """Asked « votre entreprise ou votre domicile… en QPV ? », the person answers with the
    address of the future premises: it is checked, its verdict sets the business fact only, and
    the joint question is not asked again."""
    joint = joint_question(("implante_qpv", "habite_qpv"))
    sender = "e2e-adresse-question-jointe"
    say(settings, "je veux ouvrir une épicerie à Roubaix, je suis au chômage", sender)
    answer = say(settings, '/informer{"besoin":"financement"}', sender)
    assert joint.text in [m.get("text") for m in answer]
    answer = say(settings, "mon local sera au 12 rue X, 59100 Roubaix", sender)
    said = texts(answer)
    assert "l'adresse « 12 Rue X 59100 Roubaix » est en QPV" in said
    assert "C'est noté : votre entreprise est (ou sera) implantée" in said
    slots = stored_slots(settings, sender)
    assert slots["implante_qpv"] is True
    assert slots.get("habite_qpv") is None, "nothing was said of the home"
    assert joint.text not in said
