"""End to end through Telegram: the fake Telegram Bot API, the bridge as its own process
(`python -m bot.telegram`, configured by environment variables), the real Rasa server and the
real action server. A job seeker in Roubaix answers with the inline buttons and gets the same
recommendation as on the web (REST channel)."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from html import unescape

import httpx
import pytest
from fake_telegram import FakeTelegram

from bot.keys import rest_headers
from catalog.dialogue import buttons, joint_question, message, question
from catalog.engine import open_catalog
from settings import PROJECT_DIR, Settings

pytestmark = pytest.mark.rasa

CHAT = 5001
TIMEOUT = 60  # seconds for one turn (the first one loads the model's caches)
OPENING = "je veux ouvrir une épicerie à Roubaix, je suis au chômage"
# What this job seeker answers (the same person as in test_e2e_rest.py): the title of the
# inline button pressed, or the text typed when the question has no fitting button.
PRESS = {
    "stade": "Je crée mon entreprise",
    "secteur": "Commerce",
    "statut": "Demandeur d'emploi",
    "implante_qpv": "Oui",
    "habite_qpv": "Oui",
    "indemnise_are": "Oui",
    "besoins": "Financement",
    "effectif": "Aucun",
    "franchise": "Non",
    "femme": "Je préfère ne pas répondre",
    "anciennete_annees": "Moins d'un an",
}
TYPE = {"commune": "Roubaix", "age": "34", "montant": "15000 €", "code_postal": "59100"}
# Both QPV facts asked at once while both matter (dialogue.yml `questions_jointes`).
JOINT = joint_question(("implante_qpv", "habite_qpv"))
BOTH_QPV = "implante_qpv+habite_qpv"
PRESS[BOTH_QPV] = "Les deux"
QUESTIONS = {question(field)[0]: field for field in {**PRESS, **TYPE} if field != BOTH_QPV}
QUESTIONS[JOINT.text] = BOTH_QPV
FOLLOW_UP = message("suite")  # "Que souhaitez-vous faire maintenant ?", after the aids


@pytest.fixture(scope="module")
def settings(assistant) -> Settings:
    return assistant.settings


@pytest.fixture(scope="module")
def telegram():
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture(scope="module")
def bridge(settings, telegram):
    """The bridge as `make run` would start it: its own process, configured by environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env.update(
        {
            "TELEGRAM_BOT_TOKEN": telegram.token,
            "TELEGRAM_API_BASE_URL": telegram.base_url,
            "TELEGRAM_STATE_DB": str(settings.servers.log_dir.parent / "telegram.sqlite"),
            "RASA_URL": settings.servers.rasa_url,
        }
    )
    with (settings.servers.log_dir / "telegram.log").open(
        "ab"
    ) as log:  # the child keeps its own copy
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.telegram"],
            cwd=PROJECT_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        telegram.wait_for(
            lambda: telegram.calls_to("deleteWebhook") or process.poll() is not None,
            timeout=TIMEOUT,
        )  # polling starts by removing any webhook
        assert process.poll() is None, (settings.servers.log_dir / "telegram.log").read_text()
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def shown(params: dict) -> str:
    """What the user reads: Telegram parses the HTML of the message (tags, then entities)."""
    assert params.get("parse_mode") == "HTML"
    return unescape(re.sub(r"<[^>]+>", "", params["text"]))


def keys(params: dict) -> list[dict]:
    markup = params.get("reply_markup") or {}
    return [key for row in markup.get("inline_keyboard", []) for key in row]


class Conversation:
    """One Telegram user, and what the bot sent back since their last action."""

    def __init__(self, telegram: FakeTelegram, chat_id: int) -> None:
        self.telegram, self.chat_id = telegram, chat_id

    def _wait(self, before: int, done: str) -> list[dict]:
        """The messages sent after the first `before`, once one of them contains `done` or
        a question of the profile."""

        def arrived() -> list[dict] | None:
            new = self.telegram.sent(self.chat_id)[before:]
            told = "\n".join(shown(p) for p in new)
            if done in told or any(q in told for q in QUESTIONS):
                return new
            return None

        return self.telegram.wait_for(arrived, timeout=TIMEOUT)

    def say(self, text: str, done: str = "") -> list[dict]:
        before = len(self.telegram.sent(self.chat_id))
        self.telegram.send_text(self.chat_id, text)
        return self._wait(before, done)

    def press(self, params: dict, title: str, done: str = "") -> list[dict]:
        """Press the button `title` of the keyboard sent with `params`."""
        message_id = self.telegram.message_id_of(params)
        [key] = [k for k in keys(params) if k["text"] == title]
        before = len(self.telegram.sent(self.chat_id))
        answered = len(self.telegram.calls_to("answerCallbackQuery"))
        self.telegram.press(self.chat_id, message_id, key["callback_data"])
        new = self._wait(before, done)
        # The press was answered (no spinner left) and the keyboard removed from the question.
        answers = self.telegram.calls_to("answerCallbackQuery")[answered:]
        assert [a.params["text"] for a in answers] == [f"Votre choix : {title}"]
        assert any(
            c.params["message_id"] == message_id and not c.params.get("reply_markup")
            for c in self.telegram.calls_to("editMessageReplyMarkup")
        )
        assert "reply_markup" not in self.telegram.messages[(self.chat_id, message_id)]
        return new


def rest(settings: Settings, sender: str, text: str) -> str:
    response = httpx.post(
        f"{settings.servers.rasa_url}/webhooks/rest/webhook",
        json={"sender": sender, "message": text},
        headers=rest_headers(),
        timeout=TIMEOUT,
    )
    response.raise_for_status()
    return "\n".join(m.get("text", "") for m in response.json())


def ranked_aids(text: str) -> list[str]:
    return re.findall(r"^\d+\. (.+)$", text, flags=re.MULTILINE)


def test_a_job_seeker_gets_through_telegram_the_same_aids_as_on_the_web(settings, telegram, bridge):
    user = Conversation(telegram, CHAT)
    [welcome] = user.say("/start", done="Vos données")
    assert "/supprimer" in shown(welcome)
    hello = user.say("Bonjour", done="assistant Quartiers productifs")
    assert "assistant Quartiers productifs" in shown(hello[-1])

    web_inputs = ["Bonjour", OPENING]  # what a web user would send for the same choices
    new = user.say(OPENING)
    assert "J'ai bien noté" in "\n".join(shown(p) for p in new)
    pressed = 0
    for _ in range(12):
        told = "\n".join(shown(p) for p in new)
        if "Voici les aides" in told:
            break
        last = new[-1]
        [field] = [f for q, f in QUESTIONS.items() if q in shown(last)]
        titles = [k["text"] for k in keys(last)]
        choices = JOINT.buttons() if field == BOTH_QPV else question(field)[1]
        assert titles == [c["title"] for c in choices], f"le clavier de « {field} »"
        if field in PRESS:
            new = user.press(last, PRESS[field], done=FOLLOW_UP)
            web_inputs.append(next(c["payload"] for c in choices if c["title"] == PRESS[field]))
            pressed += 1
        else:
            new = user.say(TYPE[field], done=FOLLOW_UP)
            web_inputs.append(TYPE[field])
    recommendation = "\n".join(shown(p) for p in new)
    assert "Voici les aides" in recommendation
    assert pressed >= 3, "the questions were answered with the inline buttons"
    catalog = open_catalog()
    for aid_id in ("acre", "pret-honneur-quartier"):
        aid = catalog.aid(aid_id)
        assert aid["name"] in recommendation
        assert aid["url"] in recommendation
    assert "organismes à contacter" in recommendation
    follow_ups = [k["text"] for k in keys(new[-1])]
    assert {b["title"] for b in buttons("suite")} <= set(follow_ups), "the next steps are buttons"
    assert all(len(p["text"]) <= 4096 for p in new)
    # Each aid is a card: its own message in Telegram HTML (the name in bold, the values
    # escaped) with the « Détails » button and a link button to the official page.
    cards = [p for p in new if re.match(r"^(?:.*\n\n)?<b>\d+\. ", p["text"], flags=re.DOTALL)]
    assert len(cards) == len(ranked_aids(recommendation)) >= 2
    for aid_id in ("acre", "pret-honneur-quartier"):
        aid = catalog.aid(aid_id)
        [card] = [p for p in cards if f"{html.escape(aid['name'], quote=False)}</b>" in p["text"]]
        assert "<b>Montant :</b>" in card["text"]
        assert "<b>Pourquoi :</b>" in card["text"]
        assert "<b>À vérifier :</b>" in card["text"]
        card_keys = keys(card)
        assert {"text": "Page officielle", "url": aid["url"]} in card_keys
        assert any(k["text"] == message("details") and "callback_data" in k for k in card_keys)
    # then « Ma fiche »: a link to the web server's printable page
    assert "/fiche/" in recommendation

    # The same person on the web (REST channel, same answers) gets the same aids, in order.
    for text in web_inputs[:-1]:
        rest(settings, "web-comparison", text)
    on_the_web = rest(settings, "web-comparison", web_inputs[-1])
    assert ranked_aids(recommendation) == ranked_aids(on_the_web) != []


def test_the_commands_reach_the_real_assistant(telegram, bridge):
    user = Conversation(telegram, CHAT + 1)
    user.say("je veux reprendre une boulangerie à Laval")
    started_over = user.say("/recommencer", done=message("recommencer"))
    assert message("recommencer") in "\n".join(shown(p) for p in started_over)
    contact = user.say("/contact", done="commune")
    assert "commune" in "\n".join(shown(p) for p in contact)
    erased = user.say("/supprimer", done=message("donnees_supprimees"))
    assert message("donnees_supprimees") in "\n".join(shown(p) for p in erased)
