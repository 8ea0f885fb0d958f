"""The reliability suite in small (tests/soak.py; `make soak` runs it in full): 200 fuzzed
messages over REST, socket.io and the fake Telegram API, then the catalogue database locked
and the action server killed in the middle of conversations, on the session's shared
`assistant`. No 5xx, no trace, no conversation mixed, every message answered by the assistant
itself (no silence: no stand-in of a channel in its place); each fault told in French, nothing
lost, the conversation resumed."""

from __future__ import annotations

import time

import pytest
from fake_telegram import FakeTelegram
from soak import (
    STAND_INS,
    Fuzz,
    RestChannel,
    SocketChannel,
    Tally,
    TelegramChannel,
    check_texts,
    fault_action_server,
    fault_catalogue_locked,
    run_messages,
    stand_in,
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
    assert sum(tally.silences.values()) == 0  # no stand-in instead of an answer
    assert tally.sent == SHARES
    assert tally.markers_seen > 0  # the marker check did look at recaps


def test_a_stand_in_for_an_answer_counts_as_a_silence_and_a_failure():
    """The channels' « Je n'ai pas pu vous répondre… », « Un problème technique m'empêche… »,
    the action server's and the Telegram bridge's: each is a silence, counted per channel."""
    assert len(STAND_INS) == 6
    assert any(text.startswith("Je n'ai pas pu vous répondre cette fois-ci.") for text in STAND_INS)
    tally = Tally()
    for number, text in enumerate(STAND_INS):
        channel = ("rest", "socketio", "telegram")[number % 3]
        check_texts(tally, f"{channel}/x n°{number}", ["Bonjour.", text], "Laval", frozenset())
    assert tally.silences == {"rest": 2, "socketio": 2, "telegram": 2}
    assert len(tally.failures) == 6
    assert all("silence" in failure for failure in tally.failures)
    check_texts(tally, "rest/y n°0", ["J'ai bien noté : commerce · Laval."], "Laval", frozenset())
    assert sum(tally.silences.values()) == 6
    assert tally.markers_seen == 1


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
        assert not any(stand_in(text) for text in texts), (typed, texts)
    texts, _ = rest.send(sender, Fuzz("", "je crée mon entreprise"))
    assert texts[-1] == question  # nothing undone, nothing restarted: the same question
