"""E-mails to advisors (catalog/notify.py, adapters/smtp.py, bot/notify.py) against a real local
SMTP server (aiosmtpd) on a free port and a real SQLite catalogue: a new contact request queues
exactly one e-mail to its territory, without any contact detail of the person; a refused send
is kept and retried; the daily digest counts the new requests per territory; nothing is queued
when e-mails are off."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from adapters.smtp import SmtpMailer
from bot.runner import free_port
from catalog import notify, store
from catalog.accounts import create_account
from catalog.files import read_files
from catalog.leads import ContactDetails, save_lead
from catalog.models import Account, Lead, Notification
from settings import Settings, SettingsError, get_settings

PERSON_EMAIL = "marie.dupont@exemple.fr"
PERSON_PHONE = "06 12 34 56 78"
PROFILE = {"stade": "creation", "secteur": "commerce", "commune": "Roubaix", "age": 34}


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: email.message.EmailMessage


@dataclass
class Inbox:
    """aiosmtpd handler: every accepted message, in order."""

    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 — aiosmtpd's name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('notify')}/catalog.sqlite"
    engine = store.make_engine(url)
    store.load(read_files(), engine)
    engine.dispose()
    return url


@pytest.fixture
def engine(database_url, monkeypatch):
    """The module's catalogue as DATABASE_URL, emptied of accounts, leads and e-mails."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    engine = store.make_engine(database_url)
    store.migrate(engine)
    with Session(engine) as session, session.begin():
        for table in (Notification, Lead, Account):
            session.execute(delete(table))
    territories = {t["id"] for t in read_files().territories}
    with Session(engine) as session, session.begin():
        for address, role, territory, digest in (
            ("awa.diallo@roubaix.example", "conseiller", "roubaix", False),
            ("karim.benali@roubaix.example", "conseiller", "roubaix", False),
            ("lea.petit@roubaix.example", "conseiller", "roubaix", True),
            ("paul.martin@toulouse.example", "conseiller", "toulouse", False),
            ("admin@anct.example", "admin", None, True),
        ):
            account = create_account(
                session, address, address, "mot-de-passe-de-test", role, territory, territories
            )
            account.daily_digest = digest
        session.execute(select(Account)).all()
    yield engine
    engine.dispose()


def use_smtp(monkeypatch, port: int, **more: str) -> None:
    values = {
        "QP_SMTP_HOST": "127.0.0.1",
        "QP_SMTP_PORT": str(port),
        "QP_SMTP_SECURITY": "none",
        "QP_SMTP_FROM": "Assistant Quartiers productifs <ne-pas-repondre@exemple.fr>",
        "QP_SMTP_TIMEOUT": "5",
        "QP_CONSOLE_URL": "https://console.exemple.fr",
        **more,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()


def outbox(engine) -> list[Notification]:
    with Session(engine) as session:
        rows = list(session.scalars(select(Notification).order_by(Notification.id)))
        session.expunge_all()
        return rows


def everything_said(received: Received) -> str:
    """Subject, headers and body of a received e-mail, as one text."""
    return received.message.as_string() + "\n" + received.message.get_content()


def test_a_contact_request_sends_one_email_without_the_persons_details(smtp, engine, monkeypatch):
    controller, inbox = smtp
    use_smtp(
        monkeypatch,
        controller.port,
        QP_NOTIFY_TERRITORY_ADDRESSES="roubaix=Equipe@ville-roubaix.example",
    )
    lead_id = save_lead(
        "web-123",
        "socketio",
        "roubaix",
        ContactDetails(email=PERSON_EMAIL),
        PROFILE,
        ["acre"],
    )
    [queued] = outbox(engine)
    assert queued.lead_id == lead_id
    assert queued.sent_at is None

    report = notify.send_pending(engine, SmtpMailer(get_settings().notify))

    assert (report.sent, report.failed) == (1, 0)
    [mail] = inbox.received
    # The territory's advisors who want each request, and its team address; not the advisor
    # who chose the digest, not Toulouse's, not the administrator.
    assert sorted(mail.recipients) == [
        "awa.diallo@roubaix.example",
        "equipe@ville-roubaix.example",
        "karim.benali@roubaix.example",
    ]
    assert mail.sender == "ne-pas-repondre@exemple.fr"
    assert mail.message["Subject"] == "Nouvelle demande de contact — Roubaix"
    body = mail.message.get_content()
    assert f"https://console.exemple.fr/console/demandes#demande-{lead_id}" in body
    assert f"demande n° {lead_id}" in body
    said = everything_said(mail).lower()
    for personal in (PERSON_EMAIL, "marie", "dupont", "web-123", "commerce", "creation"):
        assert personal not in said
    assert outbox(engine)[0].sent_at is not None
    # Sent once: a second round sends nothing.
    assert notify.send_pending(engine, SmtpMailer(get_settings().notify)).sent == 0
    assert len(inbox.received) == 1


def test_a_phone_request_carries_no_phone_either(smtp, engine, monkeypatch):
    controller, inbox = smtp
    use_smtp(monkeypatch, controller.port)
    save_lead("tg-9", "telegram", "toulouse", ContactDetails(phone=PERSON_PHONE), {}, [])
    notify.send_pending(engine, SmtpMailer(get_settings().notify))
    [mail] = inbox.received
    assert mail.recipients == ["paul.martin@toulouse.example"]
    said = everything_said(mail)
    digits = "".join(c for c in said if c.isdigit())
    assert "0612345678" not in digits
    assert "612345678" not in digits
    assert "Toulouse" in mail.message["Subject"]


def test_an_smtp_failure_keeps_the_email_and_retries_it(smtp, engine, monkeypatch):
    controller, inbox = smtp
    closed = free_port()  # nobody listens there
    use_smtp(monkeypatch, closed)
    save_lead("web-1", "socketio", "roubaix", ContactDetails(email=PERSON_EMAIL), {}, [])
    now = datetime.now(UTC)

    report = notify.send_pending(engine, SmtpMailer(get_settings().notify), now=now)

    assert (report.sent, report.failed) == (0, 1)
    assert "ConnectionRefusedError" in report.errors
    [kept] = outbox(engine)
    assert kept.sent_at is None
    assert kept.attempts == 1
    assert kept.last_error == "ConnectionRefusedError"
    # Not retried before its delay…
    use_smtp(monkeypatch, controller.port)
    mailer = SmtpMailer(get_settings().notify)
    assert notify.send_pending(engine, mailer, now=now + timedelta(seconds=30)).sent == 0
    # … then sent, once.
    assert notify.send_pending(engine, mailer, now=now + notify.retry_delay(1)).sent == 1
    assert len(inbox.received) == 1
    assert notify.waiting(engine) == 0


def test_retry_delays_grow_and_are_bounded():
    assert notify.retry_delay(1) == timedelta(minutes=1)
    assert notify.retry_delay(2) == timedelta(minutes=2)
    assert notify.retry_delay(20) == timedelta(hours=1)


def test_a_request_erased_before_its_email_is_not_announced(smtp, engine, monkeypatch):
    controller, inbox = smtp
    use_smtp(monkeypatch, controller.port)
    lead_id = save_lead("web-2", "socketio", "roubaix", ContactDetails(email=PERSON_EMAIL), {}, [])
    with Session(engine) as session, session.begin():
        session.execute(delete(Lead).where(Lead.id == lead_id))
    report = notify.send_pending(engine, SmtpMailer(get_settings().notify))
    assert (report.sent, report.skipped) == (0, 1)
    assert inbox.received == []
    assert notify.waiting(engine) == 0


def test_nothing_is_queued_when_emails_are_off(engine, monkeypatch):
    monkeypatch.delenv("QP_SMTP_HOST", raising=False)
    get_settings.cache_clear()
    assert not get_settings().notify.enabled
    save_lead("web-3", "socketio", "roubaix", ContactDetails(email=PERSON_EMAIL), {}, [])
    assert outbox(engine) == []


def test_the_daily_digest_counts_new_requests_per_territory(smtp, engine, monkeypatch):
    controller, inbox = smtp
    use_smtp(monkeypatch, controller.port)
    settings = get_settings().notify
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        for hours_ago, territory in ((2, "roubaix"), (5, "roubaix"), (30, "roubaix"), (1, "laval")):
            session.add(
                Lead(
                    created_at=now - timedelta(hours=hours_ago),
                    sender_id=f"digest-{hours_ago}",
                    channel="socketio",
                    territory_id=territory,
                    email=PERSON_EMAIL,
                    profile={},
                    aids=[],
                    status="nouveau",
                )
            )
    with Session(engine) as session, session.begin():
        assert notify.enqueue_digests(session, settings, now) == 2
    report = notify.send_pending(engine, SmtpMailer(settings), now=now)
    assert report.sent == 2
    by_recipient = {tuple(r.recipients): r for r in inbox.received}
    advisor = by_recipient[("lea.petit@roubaix.example",)].message
    assert advisor["Subject"] == "Synthèse quotidienne : 2 nouvelles demandes de contact"
    text = advisor.get_content()
    assert "- Roubaix : 2 nouvelles demandes" in text
    assert "https://console.exemple.fr/console/demandes?statut=nouveau" in text
    assert "Laval" not in text
    admin = by_recipient[("admin@anct.example",)].message
    assert admin["Subject"] == "Synthèse quotidienne : 3 nouvelles demandes de contact"
    admin_text = admin.get_content()
    assert "- Roubaix : 2 nouvelles demandes" in admin_text
    assert "- Laval Agglomération : 1 nouvelle demande\r\n" in admin_text
    assert "territoire=laval" in admin_text
    for received in inbox.received:
        assert PERSON_EMAIL not in everything_said(received)
    # One a day: running it again (a restarted runner) queues nothing; the next day, only the
    # requests since the last digest count.
    with Session(engine) as session, session.begin():
        assert notify.enqueue_digests(session, settings, now + timedelta(hours=1)) == 0
        assert notify.enqueue_digests(session, settings, now + timedelta(days=1)) == 0


def test_smtp_settings_are_checked_in_french():
    with pytest.raises(SettingsError, match="QP_SMTP_FROM"):
        Settings.from_env({"QP_SMTP_HOST": "smtp.exemple.fr"})
    with pytest.raises(SettingsError, match="QP_SMTP_SECURITY"):
        Settings.from_env({"QP_SMTP_SECURITY": "tls"})
    with pytest.raises(SettingsError, match="QP_NOTIFY_TERRITORY_ADDRESSES"):
        Settings.from_env({"QP_NOTIFY_TERRITORY_ADDRESSES": "paris=a@b.fr"})
    settings = Settings.from_env(
        {"QP_NOTIFY_TERRITORY_ADDRESSES": "roubaix=A@b.fr, roubaix=c@d.fr,toulouse=e@f.fr"}
    )
    assert settings.notify.territory_addresses == {
        "roubaix": ("a@b.fr", "c@d.fr"),
        "toulouse": ("e@f.fr",),
    }
    assert not settings.notify.enabled
