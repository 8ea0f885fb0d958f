"""End to end: the real action server and Rasa server on free ports, a French conversation
over the REST channel, then a restart that keeps the conversation (SQLite tracker store)."""

from __future__ import annotations

import httpx
import pytest

from bot.config import Settings
from bot.runner import Stack, free_port
from catalog.dialogue import question

pytestmark = pytest.mark.rasa

PERSONA = {   # what this job seeker answers to each question the assistant may ask
    "implante_qpv": "oui",
    "habite_qpv": "oui",
    "indemnise_are": "oui",
    "besoins": '/informer{"besoin":"financement"}',     # a button click
    "effectif": "0 salarié",
    "franchise": "non",
    "femme": "je ne sais pas",
    "age": "34",
    "anciennete_annees": "0 an",
    "montant": "15000 €",
    "secteur": '/informer{"secteur":"commerce"}',
    "statut": '/informer{"statut":"demandeur_emploi"}',
    "stade": '/informer{"stade":"creation"}',
    "commune": "Roubaix",
}
QUESTIONS = {question(field)[0]: field for field in PERSONA}


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    return Settings(rasa_port=free_port(), action_port=free_port(),
                    tracker_db=tmp / "tracker.sqlite", log_dir=tmp / "log")


def say(settings: Settings, text: str, sender: str = "e2e-roubaix") -> list[dict]:
    response = httpx.post(f"{settings.rasa_url}/webhooks/rest/webhook",
                          json={"sender": sender, "message": text}, timeout=60)
    response.raise_for_status()
    return response.json()


def texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def test_a_job_seeker_in_roubaix_gets_real_aids_with_links_and_keeps_them(settings, catalog):
    with Stack(settings):
        hello = texts(say(settings, "Bonjour"))
        assert "assistant Quartiers productifs" in hello

        answer = say(settings, "je veux ouvrir une épicerie à Roubaix, je suis au chômage")
        assert "J'ai bien noté" in texts(answer)
        for _ in range(10):
            if "Voici les aides" in texts(answer):
                break
            asked = [QUESTIONS[m["text"]] for m in answer if m.get("text") in QUESTIONS]
            assert asked, f"ni question ni recommandation : {texts(answer)}"
            asked_message = next(m for m in answer if m.get("text") in QUESTIONS)
            assert asked_message.get("buttons") or asked[0] == "commune"
            answer = say(settings, PERSONA[asked[0]])
        recommendation = texts(answer)
        assert "Voici les aides" in recommendation
        for aid_id in ("acre", "pret-honneur-quartier"):
            aid = catalog.aid(aid_id)
            assert aid["name"] in recommendation and aid["url"] in recommendation
        assert "organismes à contacter" in recommendation
        assert answer[-1].get("buttons"), "les suites sont proposées en boutons"

    # A restart keeps the conversation: the contacts are Roubaix's without asking again.
    with Stack(settings):
        contacts = texts(say(settings, "je voudrais parler à un conseiller"))
        assert "dites-moi votre commune" not in contacts
        assert any(c["name"] in contacts for c in catalog.files.contacts
                   if c.get("territory") == "roubaix")
