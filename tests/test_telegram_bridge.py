"""The Telegram bridge running for real (long polling) between the fake Telegram Bot API and a
fake Rasa REST channel: commands, texts, buttons, other messages, groups, outages, flood
control and the logs."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from html import unescape

import httpx
import pytest
from bridge_harness import (  # noqa: F401 (fixtures, requested by name)
    rasa_fixture,
    running_bridge,
    settings_for,
    telegram_fixture,
)
from fake_telegram import FakeTelegram

from bot import keys, logs
from bot.runner import free_port
from bot.telegram import texts
from bot.telegram.__main__ import configure_logging
from bot.telegram.rasa import sender_id
from catalog.cards import AidCard, card_payload, card_text
from settings import RetryPolicy

CHAT = 4242
GROUP = -100777


@pytest.fixture
def settings(telegram, rasa, tmp_path):
    return settings_for(telegram, rasa.url, tmp_path / "telegram.sqlite")


def shown(params: dict) -> str:
    """What the user reads: Telegram parses the HTML of the message."""
    assert params.get("parse_mode") == "HTML"
    return unescape(params["text"])


def keyboard(params: dict) -> list[dict]:
    return [key for row in params["reply_markup"]["inline_keyboard"] for key in row]


async def test_start_welcomes_with_the_privacy_notice_and_commands_are_registered(
    telegram, settings
):
    async with running_bridge(settings):
        commands = {c["command"]: c["description"] for c in telegram.commands}
        assert set(commands) == {"start", "aide", "recommencer", "contact", "supprimer"}
        assert commands["supprimer"] == "Effacer les informations de votre profil"
        telegram.send_text(CHAT, "/start")
        [welcome] = await telegram.until(lambda: telegram.sent(CHAT))
        assert "Quartiers productifs" in shown(welcome)
        assert "/supprimer" in shown(welcome)
        assert "sans votre nom, votre identifiant Telegram ni votre numéro" in shown(welcome)
        telegram.send_text(CHAT, "/aide")
        await telegram.until(lambda: len(telegram.sent(CHAT)) == 2)
        assert "/recommencer" in shown(telegram.sent(CHAT)[1])
        telegram.send_text(CHAT, "/inconnue")
        await telegram.until(lambda: len(telegram.sent(CHAT)) == 3)
        assert shown(telegram.sent(CHAT)[2]) == texts.UNKNOWN_COMMAND


async def test_a_text_reaches_rasa_as_the_chat_and_the_answer_is_escaped(telegram, rasa, settings):
    rasa.reply = lambda m: [{"text": "Aides <R&D> : voir https://bpifrance.fr/?a=1&b=2"}]
    async with running_bridge(settings):
        telegram.send_text(CHAT, "je veux créer une épicerie")
        [answer] = await telegram.until(lambda: telegram.sent(CHAT))
    [received] = rasa.received
    # the conversation id is a keyed hash of the chat id, never the chat id itself
    assert received["sender"] == sender_id(CHAT, keys.telegram_id_key())
    assert re.fullmatch(r"telegram:[0-9a-f]{32}", received["sender"])
    assert str(CHAT) not in received["sender"]
    assert received["message"] == "je veux créer une épicerie"
    assert received["metadata"]["channel"] == "telegram"
    assert received["metadata"]["chat_type"] == "private"
    assert answer["text"] == "Aides &lt;R&amp;D&gt; : voir https://bpifrance.fr/?a=1&amp;b=2"
    assert shown(answer) == "Aides <R&D> : voir https://bpifrance.fr/?a=1&b=2"
    assert answer["link_preview_options"] == {"is_disabled": True}
    assert "territory" not in received["metadata"]


async def test_a_territorys_own_bot_files_its_conversations_under_that_territory(
    telegram, rasa, tmp_path
):
    """As the web widget does: the advisors' console then lists them for that territory."""
    settings = settings_for(telegram, rasa.url, tmp_path / "telegram.sqlite", territory="roubaix")
    async with running_bridge(settings):
        telegram.send_text(CHAT, "bonjour")
        await telegram.until(lambda: telegram.sent(CHAT))
    assert rasa.received[0]["metadata"]["territory"] == "roubaix"


async def test_a_long_answer_is_split_into_messages_telegram_accepts(telegram, rasa, settings):
    paragraphs = [f"{i}. Prêt d'honneur Quartiers : jusqu'à 8 000 €. " * 12 for i in range(30)]
    rasa.reply = lambda m: [{"text": p} for p in paragraphs]
    async with running_bridge(settings):
        telegram.send_text(CHAT, "mes aides")
        await telegram.until(lambda: "29." in "".join(shown(p) for p in telegram.sent(CHAT)))
    pieces = [shown(p) for p in telegram.sent(CHAT)]
    assert len(pieces) > 1
    assert all(len(p) <= 4096 for p in pieces)
    assert " ".join(" ".join(pieces).split()) == " ".join(" ".join(paragraphs).split())


async def test_buttons_become_an_inline_keyboard_with_short_ids_and_a_choice_is_relayed(
    telegram, rasa, settings
):
    long_payload = '/informer{"secteur":"sante_social","besoin":"transition_ecologique"}'
    buttons = [
        {"title": "Santé ou social", "payload": long_payload},
        {"title": "Autre", "payload": '/informer{"secteur":"autre"}'},
        {"title": "Site officiel", "payload": "https://www.service-public.fr"},
    ]
    rasa.reply = lambda m: (
        [{"text": "Dans quel secteur d'activité ?", "buttons": buttons}]
        if m["message"] == "bonjour"
        else [{"text": "C'est noté."}]
    )
    async with running_bridge(settings):
        telegram.send_text(CHAT, "bonjour")
        [question] = await telegram.until(lambda: telegram.sent(CHAT))
        keys = keyboard(question)
        assert [k["text"] for k in keys] == ["Santé ou social", "Autre", "Site officiel"]
        assert keys[2]["url"] == "https://www.service-public.fr"
        assert all(
            len(k["callback_data"].encode()) <= 64 and "{" not in k["callback_data"]
            for k in keys[:2]
        )
        message_id = telegram.message_id_of(question)
        telegram.press(CHAT, message_id, keys[0]["callback_data"])
        await telegram.until(lambda: len(telegram.sent(CHAT)) == 2)
        [answered] = telegram.calls_to("answerCallbackQuery")
        assert answered.params["text"] == "Votre choix : Santé ou social"
        [edited] = telegram.calls_to("editMessageReplyMarkup")
        assert edited.params["message_id"] == message_id
        assert not edited.params.get("reply_markup")
        assert "reply_markup" not in telegram.messages[(CHAT, message_id)]
        assert rasa.texts() == ["bonjour", long_payload]

        # A second press on the same keyboard (a double tap) is answered and not relayed.
        telegram.press(CHAT, message_id, keys[1]["callback_data"])
        await telegram.until(lambda: len(telegram.calls_to("answerCallbackQuery")) == 2)
        assert (
            telegram.calls_to("answerCallbackQuery")[1].params["text"] == texts.CHOICE_ALREADY_TAKEN
        )
        await asyncio.sleep(0.2)
        assert rasa.texts() == ["bonjour", long_payload]


async def test_an_aid_card_arrives_as_html_with_its_buttons_and_its_values_escaped(
    telegram, rasa, settings
):
    card = AidCard(
        id="aide-r-d",
        rank=1,
        name="Aide <R&D> du quartier",
        amount="jusqu'à 5 000 €",
        why="Vous créez une entreprise; vous habitez un QPV",
        checks=["Le local doit être en QPV.", "Avoir < 3 salariés."],
        url="https://www.exemple.gouv.fr/aide?a=1&b=2",
    )
    details = '/demander_definition{"aide":"aide-r-d"}'
    rasa.reply = lambda m: (
        [
            {"text": "Voici les aides qui semblent correspondre à votre situation :"},
            {
                "text": card_text(card),
                "buttons": [{"title": "Détails", "payload": details}],
                "custom": card_payload(card),
            },
            {"text": "Les organismes à contacter près de chez vous :"},
        ]
        if m["message"] == "bonjour"
        else [{"text": "L'aide en détail."}]
    )
    async with running_bridge(settings):
        telegram.send_text(CHAT, "bonjour")
        [sent_card, contacts] = await telegram.until(
            lambda: telegram.sent(CHAT) if len(telegram.sent(CHAT)) >= 2 else None
        )
        assert sent_card["parse_mode"] == "HTML"
        assert sent_card["text"] == (
            "Voici les aides qui semblent correspondre à votre situation :\n\n"
            "<b>1. Aide &lt;R&amp;D&gt; du quartier</b>\n"
            "<b>Montant :</b> jusqu'à 5 000 €\n"
            "<b>Pourquoi :</b> Vous créez une entreprise; vous habitez un QPV\n"
            "<b>À vérifier :</b>\n"
            "• Le local doit être en QPV.\n"
            "• Avoir &lt; 3 salariés.\n"
            "<b>Lien officiel :</b> https://www.exemple.gouv.fr/aide?a=1&amp;b=2"
        )
        keys = keyboard(sent_card)
        assert [k["text"] for k in keys] == ["Détails", "Page officielle"]
        assert keys[1]["url"] == "https://www.exemple.gouv.fr/aide?a=1&b=2"
        assert shown(contacts) == "Les organismes à contacter près de chez vous :"
        telegram.press(CHAT, telegram.message_id_of(sent_card), keys[0]["callback_data"])
        await telegram.until(lambda: len(telegram.sent(CHAT)) == 3)
        assert rasa.texts() == ["bonjour", details]


async def test_buttons_still_work_after_a_restart_and_unknown_ids_ask_to_retype(
    telegram, rasa, settings
):
    rasa.reply = lambda m: [
        {
            "text": "Percevez-vous l'ARE ?",
            "buttons": [
                {"title": "Oui", "payload": "/affirmer"},
                {"title": "Non", "payload": "/nier"},
            ],
        }
    ]
    async with running_bridge(settings):
        telegram.send_text(CHAT, "bonjour")
        [question] = await telegram.until(lambda: telegram.sent(CHAT))
    message_id = telegram.message_id_of(question)
    async with running_bridge(settings):  # same state file: the ids are remembered
        telegram.press(CHAT, message_id, keyboard(question)[1]["callback_data"])
        await telegram.until(lambda: len(rasa.received) == 2)
        assert rasa.texts()[-1] == "/nier"
        telegram.press(CHAT, message_id, "zz-oublie")
        await telegram.until(
            lambda: any(shown(p) == texts.CHOICE_EXPIRED for p in telegram.sent(CHAT))
        )
        assert (
            telegram.calls_to("answerCallbackQuery")[-1].params["text"]
            == texts.CHOICE_EXPIRED_ALERT
        )
    assert len(rasa.received) == 2


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("photo", "photos"),
        ("voice", "messages vocaux"),
        ("sticker", "autocollant"),
        ("document", "documents"),
        ("location", "code postal"),
    ],
)
async def test_other_kinds_of_message_get_a_clear_answer_and_reach_nothing(
    telegram, rasa, settings, kind, words
):
    async with running_bridge(settings):
        telegram.send_other(CHAT, kind)
        [answer] = await telegram.until(lambda: telegram.sent(CHAT))
    assert words in shown(answer)
    assert rasa.received == []


async def test_finding_11_in_a_group_the_bot_only_invites_to_a_private_chat(
    telegram, rasa, settings
):
    """One group would be one shared profile that any member could fill or erase: the bot
    answers what is addressed to it with an invitation to a private chat, and tells Rasa
    nothing."""
    async with running_bridge(settings):
        telegram.send_text(GROUP, "Quelqu'un a le code du local ?", chat_type="supergroup")
        telegram.send_other(GROUP, "photo", chat_type="supergroup")
        telegram.send_text(GROUP, "@autre_bot bonjour", chat_type="supergroup")
        telegram.send_text(
            GROUP, "@qp_assistant_bot je veux ouvrir un garage", chat_type="supergroup"
        )
        telegram.send_text(GROUP, "à Maubeuge", chat_type="supergroup", reply_to_bot=True)
        telegram.send_text(GROUP, "/aide@qp_assistant_bot", chat_type="supergroup")
        telegram.send_text(GROUP, "/supprimer@qp_assistant_bot", chat_type="supergroup")
        await telegram.until(lambda: len(telegram.sent(GROUP)) == 4)
        telegram.send_text(CHAT, "bonjour")  # a private chat still reaches Rasa
        await telegram.until(lambda: rasa.received)
        await asyncio.sleep(0.3)
    assert rasa.texts() == ["bonjour"]
    sent = [shown(p) for p in telegram.sent(GROUP)]
    assert len(sent) == 4
    assert all("qu'en privé" in text and "https://t.me/qp_assistant_bot" in text for text in sent)


async def test_commands_send_their_intent_and_supprimer_erases_the_bridge_data(
    telegram, rasa, settings
):
    rasa.reply = lambda m: [
        {"text": "Oui ?", "buttons": [{"title": "Oui", "payload": "/affirmer"}]}
    ]
    async with running_bridge(settings) as bridge:
        telegram.send_text(CHAT, "/recommencer")
        telegram.send_text(CHAT, "/contact")
        await telegram.until(lambda: len(telegram.sent(CHAT)) == 2)
        callback = keyboard(telegram.sent(CHAT)[0])[0]["callback_data"]
        assert bridge.relay.callbacks.resolve(CHAT, callback) is not None
        telegram.send_text(CHAT, "/supprimer")
        await telegram.until(lambda: len(rasa.received) == 3)
        await telegram.until(lambda: len(telegram.sent(CHAT)) == 3)
        old = bridge.relay.callbacks.resolve(CHAT, callback)
        assert old is None, "the keyboards sent before /supprimer are forgotten"
    assert rasa.texts() == ["/recommencer", "/demander_contact", "/supprimer_donnees"]


async def test_finding_2_an_erasure_asked_in_words_also_erases_the_bridge_data(
    telegram, rasa, settings
):
    """« supprimer mes données » typed as text: the bridge sees the erase marker in Rasa's
    answer (actions/erasure.py) and forgets the chat's keyboards, as for /supprimer."""

    def reply(message):
        if message["message"] == "supprimer mes données":
            return [
                {"text": "C'est fait : vos données sont effacées."},
                {"custom": {"data": {"effacement": "fait"}}},
            ]
        return [{"text": "Oui ?", "buttons": [{"title": "Oui", "payload": "/affirmer"}]}]

    rasa.reply = reply
    async with running_bridge(settings) as bridge:
        telegram.send_text(CHAT, "je veux un conseiller")
        await telegram.until(lambda: len(telegram.sent(CHAT)) == 1)
        callback = keyboard(telegram.sent(CHAT)[0])[0]["callback_data"]
        assert bridge.relay.callbacks.resolve(CHAT, callback) is not None
        telegram.send_text(CHAT, "supprimer mes données")
        await telegram.until(lambda: len(telegram.sent(CHAT)) == 2)
        assert bridge.relay.callbacks.resolve(CHAT, callback) is None
    assert "effacées" in shown(telegram.sent(CHAT)[1])
    assert "effacement" not in shown(telegram.sent(CHAT)[1])  # the marker is not shown


async def test_when_rasa_is_down_the_user_is_told_and_the_messages_arrive_later_in_order(
    telegram, rasa, settings
):
    rasa.down()
    async with running_bridge(settings) as bridge:
        telegram.send_text(CHAT, "je veux créer une boulangerie")
        telegram.send_text(CHAT, "à Laval")
        await telegram.until(lambda: len(telegram.sent(CHAT)) == 2)
        assert [shown(p) for p in telegram.sent(CHAT)] == [texts.UNAVAILABLE] * 2
        assert bridge.relay.pending.count() == 2
        rasa.up()
        await telegram.until(lambda: len(telegram.sent(CHAT)) == 5)
        assert bridge.relay.pending.count() == 0
    assert rasa.texts() == ["je veux créer une boulangerie", "à Laval"]
    assert [shown(p) for p in telegram.sent(CHAT)[2:]] == [
        texts.BACK_ONLINE,
        "Reçu : je veux créer une boulangerie",
        "Reçu : à Laval",
    ]


async def test_waiting_messages_survive_a_restart_of_the_bridge(telegram, rasa, settings):
    rasa.down()
    async with running_bridge(settings):
        telegram.send_text(CHAT, "je suis au RSA")
        await telegram.until(lambda: telegram.sent(CHAT))
    rasa.up()
    async with running_bridge(settings):
        await telegram.until(lambda: len(telegram.sent(CHAT)) == 3)
    assert rasa.texts() == ["je suis au RSA"]
    assert shown(telegram.sent(CHAT)[2]) == "Reçu : je suis au RSA"


async def test_a_message_waiting_too_long_is_given_up_and_the_user_asked_to_resend(
    telegram, rasa, settings
):
    rasa.down()
    settings = settings.__class__(
        **{
            **settings.__dict__,
            "retry": RetryPolicy(initial_delay=0.05, max_delay=0.1, max_age=0.3),
        }
    )
    async with running_bridge(settings) as bridge:
        telegram.send_text(CHAT, "bonjour")
        await telegram.until(lambda: telegram.sent(CHAT))
        await asyncio.sleep(0.5)
        rasa.up()
        await telegram.until(lambda: len(telegram.sent(CHAT)) == 2)
        assert bridge.relay.pending.count() == 0
    assert shown(telegram.sent(CHAT)[1]) == texts.EXPIRED
    assert rasa.received == []


async def test_a_message_rasa_refuses_is_not_retried_and_the_user_asked_to_rephrase(
    telegram, rasa, settings
):
    rasa.status = 400
    async with running_bridge(settings) as bridge:
        telegram.send_text(CHAT, "bonjour")
        [answer] = await telegram.until(lambda: telegram.sent(CHAT))
        assert shown(answer) == texts.REJECTED
        assert bridge.relay.pending.count() == 0
        await asyncio.sleep(0.3)
    assert len(rasa.received) == 1


async def test_a_slow_answer_in_one_chat_does_not_hold_the_others(telegram, rasa, settings):
    def reply(message: dict) -> list[dict]:
        if message["message"] == "lent":
            time.sleep(1.0)
        return [{"text": message["message"]}]

    rasa.reply = reply
    async with running_bridge(settings):
        telegram.send_text(CHAT, "lent")
        telegram.send_text(CHAT, "après")
        telegram.send_text(CHAT + 1, "vite")
        await telegram.until(lambda: len(telegram.sent()) == 3)
    assert [shown(p) for p in telegram.sent()] == ["vite", "lent", "après"]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_telegram_flood_control_is_honoured(telegram, rasa, settings):
    telegram.fail_next("sendMessage", retry_after=1)
    async with running_bridge(settings):
        telegram.send_text(CHAT, "bonjour")
        await telegram.until(lambda: telegram.sent(CHAT), within=10)
    attempts = [c for c in telegram.calls if c.method == "sendMessage"]
    assert [c.refused for c in attempts] == [True, False]
    assert attempts[1].at - attempts[0].at >= 1.0
    assert shown(attempts[1].params) == "Reçu : bonjour"


async def test_the_logs_carry_no_message_text_chat_id_or_token(
    telegram, rasa, settings, caplog, capsys
):
    """The bridge logs as the other servers (bot/logs.py: JSON lines on stderr), and neither
    the message, the chat id nor the token appear in them."""
    root = logging.getLogger()
    kept, level = root.handlers[:], root.level
    configure_logging("json")
    root.addHandler(caplog.handler)  # configure() leaves its own handler only
    caplog.set_level(logging.INFO)
    secret_text = "mon SIRET est 12345678901234"
    try:
        async with running_bridge(settings):
            rasa.down()
            telegram.send_text(98765, secret_text)
            await telegram.until(lambda: telegram.sent(98765))
            rasa.up()
            await telegram.until(lambda: len(telegram.sent(98765)) == 3)
    finally:
        root.handlers[:] = kept
        root.setLevel(level)
        logging.captureWarnings(False)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert "Rasa unavailable" in logged
    assert "text message" in logged
    written = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert any("Rasa unavailable" in line for line in written)
    for line in written:
        assert set(logs.FIELDS) <= set(json.loads(line)), line
    for private in (secret_text, "98765", telegram.token, "12345678901234"):
        assert private not in logged
        assert private not in "\n".join(written)


def test_the_fake_telegram_refuses_a_wrong_token():
    with FakeTelegram() as fake:
        response = httpx.post(f"{fake.base_url}/bot1:wrong/getMe")
    assert response.status_code == 401
    assert response.json()["ok"] is False


def run_entry_point(env: dict[str, str]) -> subprocess.Popen:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    return subprocess.Popen(
        [sys.executable, "-m", "bot.telegram"],
        env={**clean, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_the_entry_point_refuses_to_start_without_a_token():
    process = run_entry_point({})
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in output
    assert "BotFather" in output


def test_the_entry_point_says_when_telegram_refuses_the_token(tmp_path):
    with FakeTelegram() as fake:
        process = run_entry_point(
            {
                "TELEGRAM_BOT_TOKEN": "1:faux",
                "TELEGRAM_API_BASE_URL": fake.base_url,
                "TELEGRAM_STATE_DB": str(tmp_path / "state.sqlite"),
            }
        )
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "refuse le jeton" in output


def test_the_entry_point_waits_for_an_unreachable_telegram_and_stops_on_sigterm(tmp_path):
    closed_port = free_port()
    process = run_entry_point(
        {
            "TELEGRAM_BOT_TOKEN": FakeTelegram.TOKEN,
            "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{closed_port}",
            "TELEGRAM_STATE_DB": str(tmp_path / "state.sqlite"),
        }
    )
    lines = []
    for line in process.stdout:
        lines.append(line)
        if "Telegram unreachable" in line:
            break
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, "".join(lines) + output
    assert FakeTelegram.TOKEN not in "".join(lines) + output
