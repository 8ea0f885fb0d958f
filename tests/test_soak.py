"""The reliability suite in small (tests/soak.py; `make soak` runs it in full): 200 fuzzed
messages over REST, socket.io and the fake Telegram API, then the catalogue database locked
and the action server killed in the middle of conversations, on the session's shared
`assistant`. No 5xx, no trace, no conversation mixed, every message answered; each fault told
in French, nothing lost, the conversation resumed."""

from __future__ import annotations

import time

import pytest
from fake_telegram import FakeTelegram
from soak import (
    Fuzz,
    RestChannel,
    SocketChannel,
    Tally,
    TelegramChannel,
    fault_action_server,
    fault_catalogue_locked,
    run_messages,
    telegram_bridge,
)

pytestmark = pytest.mark.rasa

SHARES = {"rest": 80, "socketio": 60, "telegram": 60}


@pytest.fixture(scope="module")
def telegram(assistant):
    with FakeTelegram() as fake, telegram_bridge(assistant.settings, fake):
        yield TelegramChannel(assistant.settings, fake, first_chat=910_000)


def test_200_fuzzed_messages_each_get_an_answer_of_their_own_without_trace(assistant, telegram):
    tally = Tally()
    channels = [RestChannel(assistant.settings), SocketChannel(assistant.settings), telegram]
    run_messages(channels, SHARES, seed=18, workers=3, tally=tally, deadline=time.monotonic() + 900)
    assert tally.failures == []
    assert tally.sent == SHARES
    assert tally.markers_seen > 0  # the marker check did look at recaps


def test_the_catalogue_locked_then_the_action_server_killed_are_told_and_survived(assistant):
    rest = RestChannel(assistant.settings)
    locked = fault_catalogue_locked(assistant, rest)
    assert locked.problems == [], locked
    assert "effacer" in locked.told or "problème technique" in locked.told
    stopped = fault_action_server(assistant, rest)
    assert stopped.problems == [], stopped
    assert stopped.told.strip()


def test_rasa_own_intents_typed_by_a_person_are_answered_as_words(assistant):
    """The cause of the empty replies of issue 18: « /back », « /session_start », « /restart »
    typed in a long conversation ran Rasa's internal actions, which answer nothing (and
    « /back » undid the person's last turn). The channels now read them as words: the
    assistant itself answers, and the questionnaire goes on where it was."""
    rest = RestChannel(assistant.settings)
    sender = f"intentions-rasa-{time.time_ns()}"
    opening, _ = rest.send(sender, Fuzz("", "je veux ouvrir un commerce à Roubaix"))
    assert "Roubaix" in opening[0]
    question = opening[-1]  # the questionnaire's next question
    for typed in ("/back", "/session_start", " /restart ", "/out_of_scope", "/nlu_fallback",
                  "/back@0.9", '/session_start{"commune": "Laval"}'):  # fmt: skip
        texts, problem = rest.send(sender, Fuzz("", typed))
        assert problem is None
        assert texts, typed
        assert not texts[0].startswith("Je n'ai pas pu vous répondre"), (typed, texts)
    texts, _ = rest.send(sender, Fuzz("", "je crée mon entreprise"))
    assert texts[-1] == question  # nothing undone, nothing restarted: the same question
