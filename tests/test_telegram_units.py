"""Telegram bridge, pure parts: splitting, escaping, keyboards, callback ids, the pending
queue, group addressing and the configuration."""

from __future__ import annotations

import json

import pytest
from fake_telegram import FakeTelegram
from telegram import Message

from bot.telegram.addressing import addressed_text, is_addressed
from bot.telegram.callbacks import MAX_CALLBACK_BYTES, CallbackMap
from bot.telegram.pending import PendingQueue
from bot.telegram.rendering import (
    MAX_MESSAGE_LENGTH,
    Button,
    escape,
    plan,
    row_width,
    split_text,
    utf16_length,
)
from bot.telegram.state import open_state
from bot.telegram.webhook import secret_matches
from catalog.dialogue import question
from settings import Settings, SettingsError, get_settings

BOT = "qp_assistant_bot"
BOT_ID = 123456789


# --- splitting and escaping -----------------------------------------------------------------


def test_a_short_text_is_one_message():
    assert split_text("Bonjour !") == ["Bonjour !"]


def test_a_long_answer_is_split_at_paragraphs_within_the_limit():
    paragraphs = [(f"{i}. " + "Aide à la création d'entreprise. " * 20).strip() for i in range(40)]
    text = "\n\n".join(paragraphs)
    pieces = split_text(text)
    assert len(pieces) > 1
    assert all(utf16_length(p) <= MAX_MESSAGE_LENGTH for p in pieces)
    assert all(p.startswith(tuple(f"{i}. " for i in range(40))) for p in pieces)
    assert "\n\n".join(pieces) == text  # nothing lost, cut only between paragraphs


def test_splitting_counts_emoji_as_telegram_does_and_cuts_unbroken_words():
    text = "😀" * 3000  # 6,000 UTF-16 code units
    pieces = split_text(text)
    assert "".join(pieces) == text
    assert all(utf16_length(p) <= MAX_MESSAGE_LENGTH for p in pieces)
    assert [len(p) for p in split_text("x" * 10000, 4096)] == [4096, 4096, 1808]


def test_escaping_keeps_the_text_as_typed_and_links_plain():
    assert escape("<b>R&D</b> > 5") == "&lt;b&gt;R&amp;D&lt;/b&gt; &gt; 5"
    link = "https://www.service-public.fr/particuliers/vosdroits/R46124?a=1&b=2"
    assert escape(link) == link.replace("&", "&amp;")  # Telegram links it after parsing


# --- planning Rasa answers ----------------------------------------------------------------


def test_consecutive_texts_are_joined_and_the_keyboard_goes_with_the_question():
    text, buttons = question("secteur")
    answers = [{"text": "J'ai bien noté : commerce."}, {"text": text, "buttons": buttons}]
    [message] = plan(answers)
    assert message.text == f"J'ai bien noté : commerce.\n\n{text}"
    assert [b.title for b in message.buttons] == [b["title"] for b in buttons]


def test_a_long_answer_with_buttons_puts_the_keyboard_on_its_last_piece():
    answers = [{"text": "a " * 3000, "buttons": [{"title": "Oui", "payload": "/affirmer"}]}]
    messages = plan(answers)
    assert len(messages) == 2
    assert not messages[0].buttons
    assert messages[1].buttons


def test_images_become_links_and_empty_answers_disappear():
    messages = plan([{"image": "https://example.org/a.png"}, {"custom": {"x": 1}}])
    assert [m.text for m in messages] == ["https://example.org/a.png"]


def test_short_titles_go_two_per_row():
    assert row_width([Button("Oui", "/affirmer"), Button("Non", "/nier")]) == 2
    assert row_width([Button("Je reprends une entreprise", "/x")]) == 1


# --- callback ids -----------------------------------------------------------------------


def test_callback_ids_are_short_and_map_back_to_long_payloads(tmp_path):
    callbacks = CallbackMap(open_state(tmp_path / "state.sqlite"))
    payload = '/informer{"secteur":"sante_social","besoin":"transition_ecologique"}' * 2
    ids = callbacks.register(42, [("Santé", payload), ("Autre", "/informer{}")])
    assert all(len(i.encode()) <= MAX_CALLBACK_BYTES and payload not in i for i in ids)
    choice = callbacks.resolve(42, ids[0])
    assert (choice.title, choice.payload, choice.used) == ("Santé", payload, False)
    assert callbacks.resolve(43, ids[0]) is None, "another chat cannot use this button"
    assert callbacks.resolve(42, "inconnu") is None
    callbacks.mark_used(choice.keyboard)
    assert callbacks.resolve(42, ids[1]).used, "one choice spends the whole keyboard"


def test_callback_ids_survive_a_restart_and_are_erased_per_chat(tmp_path):
    ids = CallbackMap(open_state(tmp_path / "state.sqlite")).register(42, [("Oui", "/affirmer")])
    again = CallbackMap(open_state(tmp_path / "state.sqlite"))
    assert again.resolve(42, ids[0]).payload == "/affirmer"
    again.forget_chat(42)
    assert again.resolve(42, ids[0]) is None


def test_old_keyboards_are_purged(tmp_path):
    callbacks = CallbackMap(open_state(tmp_path / "state.sqlite"))
    ids = callbacks.register(42, [("Oui", "/affirmer")])
    assert callbacks.purge(older_than=3600) == 0
    assert callbacks.purge(older_than=-1) == 1
    assert callbacks.resolve(42, ids[0]) is None


# --- the pending queue --------------------------------------------------------------------


def test_the_pending_queue_keeps_order_per_chat_and_survives_a_restart(tmp_path):
    queue = PendingQueue(open_state(tmp_path / "state.sqlite"))
    first = queue.push(1, "premier", {"channel": "telegram"})
    queue.push(2, "autre", {})
    queue.push(1, "second", {})
    queue.failed(first)
    again = PendingQueue(open_state(tmp_path / "state.sqlite"))
    assert again.chats() == [1, 2]
    assert again.count() == 3
    head = again.first(1)
    assert (head.text, head.metadata, head.attempts) == ("premier", {"channel": "telegram"}, 1)
    again.remove(head.id)
    assert again.first(1).text == "second"
    again.forget_chat(1)
    assert again.chats() == [2]


# --- group chats --------------------------------------------------------------------------


def message(update: dict) -> Message:
    return Message.de_json(update["message"], None)


def test_private_messages_are_always_for_the_bot():
    fake = FakeTelegram()
    assert addressed_text(message(fake.text_update(5, " Bonjour ")), BOT, BOT_ID) == "Bonjour"


def test_group_messages_need_a_mention_or_a_reply():
    fake = FakeTelegram()
    plain = message(fake.text_update(-100, "On se voit demain ?", chat_type="supergroup"))
    assert addressed_text(plain, BOT, BOT_ID) is None
    assert not is_addressed(plain, BOT, BOT_ID)
    other = message(fake.text_update(-100, "@autre_bot bonjour", chat_type="group"))
    assert addressed_text(other, BOT, BOT_ID) is None
    mention = message(
        fake.text_update(-100, "@QP_Assistant_Bot, je veux créer un commerce 🙂", chat_type="group")
    )
    assert addressed_text(mention, BOT, BOT_ID) == "je veux créer un commerce 🙂"
    reply = message(fake.text_update(-100, "oui", chat_type="group", reply_to_bot=True))
    assert addressed_text(reply, BOT, BOT_ID) == "oui"
    only = message(fake.text_update(-100, "@qp_assistant_bot", chat_type="group"))
    assert addressed_text(only, BOT, BOT_ID) == ""


# --- configuration ------------------------------------------------------------------------


def bridge_settings(env):
    return Settings.from_env(env).telegram.for_the_bridge()


def test_polling_is_the_default_and_rasa_url_follows_the_project_settings(monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:abc")
    monkeypatch.setenv("RASA_PORT", "5999")
    monkeypatch.delenv("RASA_URL", raising=False)
    settings = get_settings().telegram.for_the_bridge()
    assert settings.mode == "polling"
    assert settings.rasa_url == "http://127.0.0.1:5999"
    assert settings.bot_api_url == "https://api.telegram.org/bot"
    assert settings.state_db.name == "telegram.sqlite"


def test_a_public_url_selects_the_webhook_with_a_secret_even_when_none_is_given():
    env = {
        "TELEGRAM_BOT_TOKEN": "1:abc",
        "TELEGRAM_WEBHOOK_URL": "https://qp.example.org/tg/x",
        "TELEGRAM_WEBHOOK_PORT": "8088",
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/",
        "RASA_URL": "http://rasa:5005/",
    }
    settings = bridge_settings(env)
    assert settings.mode == "webhook"
    assert settings.webhook_path == "/tg/x"
    assert settings.webhook_port == 8088
    assert len(settings.webhook_secret) >= 32
    assert settings.bot_api_url == "http://127.0.0.1:9/bot"
    assert settings.file_api_url == "http://127.0.0.1:9/file/bot"
    assert settings.rasa_url == "http://rasa:5005"
    other = bridge_settings(env)
    assert other.webhook_secret != settings.webhook_secret


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({}, "TELEGRAM_BOT_TOKEN"),
        (
            {
                "TELEGRAM_BOT_TOKEN": "1:a",
                "TELEGRAM_WEBHOOK_URL": "https://x.org",
                "TELEGRAM_WEBHOOK_SECRET": "pas de blancs !",
            },
            "TELEGRAM_WEBHOOK_SECRET",
        ),
        ({"TELEGRAM_BOT_TOKEN": "1:a", "TELEGRAM_WEBHOOK_PORT": "huit"}, "TELEGRAM_WEBHOOK_PORT"),
        ({"TELEGRAM_BOT_TOKEN": "1:a", "TELEGRAM_TERRITORY": "lyon"}, "TELEGRAM_TERRITORY"),
    ],
)
def test_a_wrong_configuration_says_what_to_fix(env, words):
    with pytest.raises(SettingsError, match=words):
        bridge_settings(env)


def test_a_territorys_own_bot_is_configured_by_its_id():
    env = {"TELEGRAM_BOT_TOKEN": "1:a", "TELEGRAM_TERRITORY": " Roubaix "}
    assert bridge_settings(env).territory == "roubaix"
    assert bridge_settings({"TELEGRAM_BOT_TOKEN": "1:a"}).territory is None


def test_the_secret_comparison_refuses_missing_and_wrong_tokens():
    assert secret_matches("s3cret", "s3cret")
    assert not secret_matches("S3cret", "s3cret")
    assert not secret_matches(None, "s3cret")
    assert not secret_matches("", "s3cret")


def test_the_fake_telegram_decodes_what_python_telegram_bot_sends():
    from fake_telegram import _decode

    assert _decode("text", "123") == "123"
    assert _decode("chat_id", "123") == 123
    assert _decode("reply_markup", json.dumps({"inline_keyboard": []})) == {"inline_keyboard": []}
