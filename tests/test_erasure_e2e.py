"""Issue 18, finding 2, end to end: a person erased mid-turn — messages of the same sender sent
concurrently with « supprimer mes données », over Rasa's REST channel — with the real action
server and Rasa server, on a SQLite tracker store (the session's assistant) and on PostgreSQL
(a second assistant on free ports). Afterwards nothing of what the person gave before the
erasure is in any store: conversation, leads, « Ma fiche », NLU corrections, audit entries, the
event broker's copy and the observatory; and `qp purge` verifies and forgets the request."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime

import httpx
import pytest
from conftest import _postgresql, own_catalogue
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from test_e2e_rest import answer_until_recommendation, texts

from bot.keys import rest_headers
from bot.observatory.sql_broker import SqlBroker
from bot.purge import purge
from bot.rasa_store import EVENTS, tracker_engine
from bot.runner import Stack, free_port
from catalog.erasure import REDACTED
from catalog.leads import database as catalogue_database
from catalog.models import (
    Account,
    AuditEntry,
    ErasureRequest,
    Fiche,
    Lead,
    NluCorrection,
    ObservedConversation,
)
from catalog.observatory import conversation_key
from catalog.retention import Periods
from settings import Settings, settings_with

pytestmark = pytest.mark.rasa

PHONE = "06 12 34 56 78"
DESCRIPTION = "je veux ouvrir une épicerie à Roubaix, je suis au chômage"
CONCURRENT = {"je cherche aussi un local", "bonjour"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stack(request, tmp_path_factory):
    if request.param == "sqlite":
        yield request.getfixturevalue("assistant")
        return
    tmp = tmp_path_factory.mktemp("assistant-postgresql")
    settings = settings_with(
        DATABASE_URL=own_catalogue(tmp),  # its own observatory (see own_catalogue)
        RASA_PORT=str(free_port()),
        ACTION_PORT=str(free_port()),
        WEB_PORT=str(free_port()),
        TRACKER_DB=str(tmp / "unused.sqlite"),
        QP_TRACKER_URL=_postgresql(tmp_path_factory),
        QP_LOG_DIR=str(tmp / "log"),
    )
    with Stack(settings) as running:
        yield running


def say(settings: Settings, sender: str, text: str) -> list[dict]:
    response = httpx.post(
        f"{settings.servers.rasa_url}/webhooks/rest/webhook",
        json={"sender": sender, "message": text},
        headers=rest_headers(),
        timeout=120,
    )
    response.raise_for_status()
    return response.json()


def user_texts(url: str, sender: str) -> list[str]:
    engine = tracker_engine(url)
    if engine is None:
        return []
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(EVENTS.c.type_name, EVENTS.c.data)
                .where(EVENTS.c.sender_id == sender)
                .order_by(EVENTS.c.id)
            ).all()
    finally:
        engine.dispose()
    return [json.loads(data).get("text") for kind, data in rows if kind == "user"]


def database(settings: Settings) -> Engine:
    """The catalogue of the assistant under test: leads, corrections, audit, observatory."""
    return catalogue_database(settings.catalog.database_url)


def advisor_traces(settings: Settings, sender: str) -> None:
    """What the console would have kept of this person: a correction and audit entries."""
    with Session(database(settings)) as session, session.begin():
        account = session.scalar(select(Account).where(Account.email == "e2e@roubaix.example"))
        if account is None:
            account = Account(
                email="e2e@roubaix.example",
                name="Conseil",
                password_hash="-",
                role="conseiller",
                territory_id="roubaix",
                active=True,
                created_at=datetime.now(UTC),
            )
            session.add(account)
            session.flush()
        session.add(
            NluCorrection(
                created_at=datetime.now(UTC),
                account_id=account.id,
                territory_id="roubaix",
                sender_id=sender,
                message_at=time.time() - 1,
                text=DESCRIPTION,
                intent="informer",
                annotated=DESCRIPTION,
            )
        )
        for target in (sender, f"{sender}#3"):
            session.add(
                AuditEntry(
                    at=datetime.now(UTC),
                    account_id=account.id,
                    account_email=account.email,
                    action="conversation_ouverte",
                    target=target,
                    details={},
                )
            )


def test_finding_2_a_person_erased_mid_turn_leaves_nothing_in_any_store(stack):
    settings = stack.settings
    url = settings.tracker.url
    sender = f"effacement-{url.split(':')[0]}-{time.time_ns()}"
    answer_until_recommendation(settings, say(settings, sender, DESCRIPTION), sender)
    assert "conseiller de Roubaix" in texts(
        say(settings, sender, "je voudrais parler à un conseiller")
    )
    assert "e-mail" in texts(say(settings, sender, "oui"))
    assert PHONE in texts(say(settings, sender, PHONE))
    with Session(database(settings)) as session:
        assert [
            lead.phone for lead in session.scalars(select(Lead).where(Lead.sender_id == sender))
        ] == [PHONE]
        # the results came with the link to « Ma fiche »: its row is there, under this person
        assert session.scalars(select(Fiche).where(Fiche.sender_id == sender)).all() != []
    advisor_traces(settings, sender)
    before = set(user_texts(url, sender))
    assert PHONE in before
    assert DESCRIPTION in before
    assert not before & CONCURRENT

    # Three messages of the same sender at once: one just before the erasure, the erasure,
    # one just after; Rasa handles them one at a time, in an order the test does not choose.
    answers: dict[str, list[dict]] = {}

    def send(key: str, text: str) -> None:
        answers[key] = say(settings, sender, text)

    threads = [
        threading.Thread(target=send, args=("avant", "je cherche aussi un local")),
        threading.Thread(target=send, args=("effacement", "supprimer mes données")),
        threading.Thread(target=send, args=("apres", "bonjour")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    erased = answers["effacement"]
    assert any("effacés" in (m.get("text") or "") for m in erased), erased
    assert {"effacement": "fait"} in [m["custom"]["data"] for m in erased if m.get("custom")]

    # The conversation: nothing from before; at most a new one begun after the erasure.
    left = user_texts(url, sender)
    assert not set(left) & (before | {"supprimer mes données"}), left
    assert set(left) <= CONCURRENT

    # Rasa's published copy of the events (SQL event broker) and the observatory: the same,
    # once the observatory's consumer has folded the erase marker (it polls every second).
    broker = SqlBroker(settings.event_broker.url)
    deadline = time.monotonic() + 300
    while True:
        published = {
            r.event.get("text")
            for r in broker.read(0, 10**9)
            if r.event.get("sender_id") == sender and r.event.get("event") == "user"
        }
        if not published & before or time.monotonic() > deadline:
            break
        time.sleep(1)
    broker.dispose()
    assert not published & (before | {"supprimer mes données"}), published
    assert published <= CONCURRENT
    with Session(database(settings)) as session:
        observed = session.scalars(
            select(ObservedConversation).where(ObservedConversation.key == conversation_key(sender))
        ).all()
        assert all(row.turns <= len(CONCURRENT) and not row.lead for row in observed)
    with Session(database(settings)) as session:
        assert session.scalars(select(Lead).where(Lead.sender_id == sender)).all() == []
        assert session.scalars(select(Fiche).where(Fiche.sender_id == sender)).all() == []
        assert (
            session.scalars(select(NluCorrection).where(NluCorrection.sender_id == sender)).all()
            == []
        )
        targets = session.scalars(select(AuditEntry.target)).all()
        assert sender not in targets
        assert f"{sender}#3" not in targets
        assert REDACTED in targets
        request = session.scalars(
            select(ErasureRequest).where(ErasureRequest.sender_id == sender)
        ).one()
        assert request.attempts == 0

    # `qp purge` checks that nothing is left, then forgets the request itself.
    report = purge(database(settings), url, None, Periods(), datetime.now(UTC))
    assert report.problems == []
    assert report.erasures_pending == 0
    with Session(database(settings)) as session:
        assert (
            session.scalars(select(ErasureRequest).where(ErasureRequest.sender_id == sender)).all()
            == []
        )
    assert set(user_texts(url, sender)) <= CONCURRENT
