"""Issue 18, finding 4 (retention) and the retry of erasures: `qp purge` (bot/purge.py) with a
clock the test controls, on SQLite and PostgreSQL, removes exactly what is past its period and
finishes the erasures that were left unfinished."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from conftest import DATABASES, PROJECT_DIR
from sqlalchemy import create_engine, insert, select
from sqlalchemy.orm import Session

from bot.purge import purge
from bot.rasa_store import EVENTS
from bot.telegram.rasa import sender_id
from bot.telegram.state import open_state
from catalog import erasure, store
from catalog.models import Account, AuditEntry, ErasureRequest, Lead, NluCorrection
from catalog.retention import Periods

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def ago(delta: timedelta) -> datetime:
    return NOW - delta


@pytest.fixture(params=DATABASES)
def stores(request, tmp_path_factory, tmp_path):
    catalog = store.make_engine(request.param(tmp_path_factory))
    store.migrate(catalog)
    tracker_url = request.param(tmp_path_factory).replace("catalog.sqlite", "tracker.sqlite")
    tracker = create_engine(tracker_url)
    EVENTS.metadata.create_all(tracker, tables=[EVENTS])
    with Session(catalog) as session, session.begin():
        account = Account(
            email="conseil@roubaix.example",
            name="Conseil",
            password_hash="-",
            role="conseiller",
            territory_id="roubaix",
            active=True,
            created_at=ago(400 * DAY),
        )
        session.add(account)
        session.flush()
        account_id = account.id
    yield catalog, tracker, tracker_url, account_id, tmp_path / "telegram.sqlite"
    catalog.dispose()
    tracker.dispose()


def add_events(tracker, sender: str, *moments: datetime) -> None:
    with tracker.begin() as connection:
        connection.execute(
            insert(EVENTS),
            [
                {"sender_id": sender, "type_name": "user", "timestamp": m.timestamp(), "data": "{}"}
                for m in moments
            ],
        )


def senders(tracker) -> dict[str, int]:
    with tracker.connect() as connection:
        rows = connection.execute(select(EVENTS.c.sender_id)).scalars().all()
    return {sender: rows.count(sender) for sender in set(rows)}


def add_lead(session, sender: str, created: datetime) -> None:
    session.add(
        Lead(
            created_at=created,
            sender_id=sender,
            channel="rest",
            territory_id="roubaix",
            email=f"{sender}@exemple.fr",
            profile={},
            aids=[],
            status="nouveau",
        )
    )


def add_correction(session, account_id: int, sender: str, created: datetime) -> None:
    session.add(
        NluCorrection(
            created_at=created,
            account_id=account_id,
            territory_id="roubaix",
            sender_id=sender,
            message_at=created.timestamp(),
            text="je veux ouvrir une épicerie",
            intent="informer",
            annotated="je veux ouvrir une [épicerie](secteur)",
        )
    )


def add_audit(session, account_id: int, target: str, at: datetime) -> None:
    session.add(
        AuditEntry(
            at=at,
            account_id=account_id,
            account_email="conseil@roubaix.example",
            action="conversation_ouverte",
            target=target,
            details={},
        )
    )


def test_finding_4_the_purge_removes_exactly_what_is_past_its_period(stores):
    catalog, tracker, tracker_url, account_id, telegram_path = stores
    periods = Periods()  # 180 days of conversation, a year of leads, corrections and audit
    add_events(tracker, "ancienne", ago(300 * DAY), ago(181 * DAY))
    add_events(tracker, "longue", ago(300 * DAY), ago(179 * DAY))  # kept whole
    add_events(tracker, "du-jour", ago(DAY / 24))
    with Session(catalog) as session, session.begin():
        add_lead(session, "vieille-demande", ago(366 * DAY))
        add_lead(session, "demande", ago(362 * DAY))
        add_correction(session, account_id, "vieille-correction", ago(366 * DAY))
        add_correction(session, account_id, "correction", ago(362 * DAY))
        add_audit(session, account_id, "vieille-entree", ago(366 * DAY))
        add_audit(session, account_id, "entree", ago(362 * DAY))
    state = open_state(telegram_path)
    state.executemany(
        "INSERT INTO callbacks (id, keyboard, chat_id, title, payload, created)"
        " VALUES (?, 'k', 1, 'Oui', '/affirmer', ?)",
        [("vieux", ago(31 * DAY).timestamp()), ("recent", ago(29 * DAY).timestamp())],
    )
    state.executemany(
        "INSERT INTO pending (chat_id, text, metadata, created) VALUES (1, ?, '{}', ?)",
        [("oublié", ago(2 * DAY).timestamp()), ("en attente", ago(DAY / 24).timestamp())],
    )

    report = purge(catalog, tracker_url, telegram_path, periods, NOW)

    assert report.problems == []
    assert (report.conversations, report.leads, report.corrections, report.audit_entries) == (
        1,
        1,
        1,
        1,
    )
    assert (report.telegram_buttons, report.telegram_waiting) == (1, 1)
    assert senders(tracker) == {"longue": 2, "du-jour": 1}
    with Session(catalog) as session:
        assert session.scalars(select(Lead.sender_id)).all() == ["demande"]
        assert session.scalars(select(NluCorrection.sender_id)).all() == ["correction"]
        assert session.scalars(select(AuditEntry.target)).all() == ["entree"]
    assert [r[0] for r in state.execute("SELECT id FROM callbacks")] == ["recent"]
    assert [r[0] for r in state.execute("SELECT text FROM pending")] == ["en attente"]
    # two days later: « longue » reaches its period, nothing else does
    later = purge(catalog, tracker_url, telegram_path, periods, NOW + 2 * DAY)
    assert (later.conversations, later.leads, later.corrections, later.audit_entries) == (
        1,
        0,
        0,
        0,
    )
    assert senders(tracker) == {"du-jour": 1}
    state.close()


def test_finding_2_an_unfinished_erasure_is_finished_by_the_purge_then_forgotten(stores):
    """The conversation deletion failed (rows still there) and so did the catalogue's: the
    purge deletes what is left up to the request, checks on its next run, then forgets the
    request; what the person wrote after the request is not touched."""
    catalog, tracker, tracker_url, account_id, _ = stores
    asked = ago(2 * DAY)
    add_events(tracker, "moi", ago(3 * DAY), asked)
    add_events(tracker, "moi", ago(DAY))  # a new conversation, after the request
    with Session(catalog) as session, session.begin():
        add_lead(session, "moi", ago(3 * DAY))
        add_correction(session, account_id, "moi", ago(3 * DAY))
        add_audit(session, account_id, "moi", ago(3 * DAY))
        add_audit(session, account_id, "moi#12", ago(3 * DAY))
        add_lead(session, "moi", ago(DAY))  # asked again after the erasure: kept
        session.add(
            ErasureRequest(
                sender_id="moi", requested_at=asked.timestamp(), recorded_at=asked, attempts=0
            )
        )

    first = purge(catalog, tracker_url, None, Periods(), NOW)
    assert first.problems == []
    assert (first.erasures_checked, first.erasures_pending) == (0, 1)
    assert senders(tracker) == {"moi": 1}
    with Session(catalog) as session:
        assert [lead.created_at.date() for lead in session.scalars(select(Lead))] == [
            ago(DAY).date()
        ]
        assert session.scalars(select(NluCorrection)).all() == []
        assert set(session.scalars(select(AuditEntry.target))) == {erasure.REDACTED}
        kept = session.scalars(select(ErasureRequest)).one()
        assert kept.attempts == 1
        assert kept.last_error == "conversation encore présente"

    second = purge(catalog, tracker_url, None, Periods(), NOW)
    assert (second.erasures_checked, second.erasures_pending) == (1, 0)
    with Session(catalog) as session:
        assert session.scalars(select(ErasureRequest)).all() == []
    assert senders(tracker) == {"moi": 1}


def test_an_unreachable_conversation_store_keeps_the_erasure_for_later(stores):
    catalog, _, _, _, _ = stores
    with Session(catalog) as session, session.begin():
        session.add(ErasureRequest(sender_id="moi", requested_at=NOW.timestamp(), recorded_at=NOW))
    report = purge(catalog, "postgresql+psycopg://nobody@127.0.0.1:1/none", None, Periods(), NOW)
    assert report.erasures_pending == 1
    assert report.erasures_checked == 0
    assert report.problems
    assert "injoignable" in report.problems[0]
    assert len(erasure.pending(catalog)) == 1


def test_periods_come_from_the_settings_in_days():
    from settings import Settings

    kept = Settings.from_env({"QP_RETENTION_LEADS_DAYS": "90"}).retention
    assert (kept.leads_days, kept.conversations_days, kept.audit_days) == (90, 180, 365)
    assert Periods().cutoff("leads", NOW) == NOW - 365 * DAY


def test_qp_purge_runs_from_the_command_line(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": f"sqlite:///{tmp_path}/catalog.sqlite",
        "TRACKER_DB": str(tmp_path / "tracker.sqlite"),
        "TELEGRAM_STATE_DB": str(tmp_path / "telegram.sqlite"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "purge"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Purge : 0 conversation(s)")
    wrong = subprocess.run(
        [sys.executable, "-m", "bot.cli", "purge"],
        cwd=PROJECT_DIR,
        env={**env, "QP_RETENTION_CONVERSATIONS_DAYS": "-3"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert wrong.returncode == 2
    assert "QP_RETENTION_CONVERSATIONS_DAYS" in wrong.stderr
    assert "Traceback" not in wrong.stderr


def test_finding_1_conversations_under_a_raw_telegram_chat_id_get_their_keyed_id(stores):
    """Before keyed ids, a Telegram conversation was `telegram:<chat_id>` (the person's user
    id). `qp purge` renames it everywhere to the id the bridge uses now: the person keeps it
    and can erase it, and the raw id is gone (bot/legacy_telegram.py)."""
    catalog, tracker, tracker_url, account_id, _ = stores
    key = "clé-des-identifiants"
    new, group = sender_id(4242, key), sender_id(-100123, key)
    add_events(tracker, "telegram:4242", ago(2 * DAY), ago(DAY))
    add_events(tracker, "telegram:-100123", ago(DAY))
    add_events(tracker, new, ago(DAY / 2))  # the person wrote again after the change
    add_events(tracker, "telegram:abc", ago(DAY))  # not a chat id: left alone
    with Session(catalog) as session, session.begin():
        add_lead(session, "telegram:4242", ago(DAY))
        add_correction(session, account_id, "telegram:4242", ago(DAY))
        add_audit(session, account_id, "telegram:4242#3", ago(DAY))
        add_audit(session, account_id, "telegram:42420", ago(DAY))
    report = purge(catalog, tracker_url, None, Periods(), NOW, telegram_key=key)
    assert report.problems == []
    assert senders(tracker) == {new: 3, group: 1, "telegram:abc": 1}
    with Session(catalog) as session:
        assert session.scalars(select(Lead.sender_id)).all() == [new]
        assert session.scalars(select(NluCorrection.sender_id)).all() == [new]
        targets = set(session.scalars(select(AuditEntry.target)))
    assert targets == {f"{new}#3", sender_id(42420, key)}
    assert report.telegram_renamed == 2 + 4
    assert "remplacés : 6" in report.summary()
    # a second run finds nothing raw left
    assert purge(catalog, tracker_url, None, Periods(), NOW, telegram_key=key).telegram_renamed == 0
