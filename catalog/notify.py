"""E-mails to advisors: an outbox in the catalogue database (table `notifications`).

A new contact request (catalog/leads.py) writes, in the same transaction as the lead, one
message to the territory's advisors who chose an e-mail per request, plus the territory's team
addresses from the settings (QP_NOTIFY_TERRITORY_ADDRESSES). `qp notify digest` writes, once a
day, one digest to each account that chose it: the number of new requests per territory since
its last digest. `send_pending` (run by `qp notify send` and by the runner's loop) hands the
messages to a `Mailer` (adapters/smtp.py); a refused or failed send is retried later, with a
growing delay, until it goes through: nothing is lost and the person's turn never waits for the
SMTP server.

No message carries personal data of the people who asked for help: a territory, a request
number, a date and a link to the console, where the contact details stay behind sign-in.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session

from catalog.models import Account, Lead, Notification, Territory
from catalog.store import rows_touched
from settings import NotifySettings

try:
    from zoneinfo import ZoneInfo

    LOCAL_TIME: Any = ZoneInfo("Europe/Paris")
except Exception:  # noqa: BLE001 — no time zone database: dates in UTC
    LOCAL_TIME = UTC

logger = logging.getLogger(__name__)

LEAD = "demande"
DIGEST = "synthese"
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=1)  # the delay stops growing here; retries never stop
CLAIM = timedelta(minutes=5)  # a message being sent is not taken by another sender meanwhile
KEEP_SENT = timedelta(days=30)
DIGEST_GAP = timedelta(hours=20)  # a restarted runner does not send a second digest that day
SIGNATURE = (
    "\n\n-- \nAssistant des aides « Quartiers productifs » — message automatique, ne pas "
    "répondre.\nCet e-mail ne contient aucune donnée personnelle : les coordonnées et le projet "
    "de la personne sont dans la console, après connexion.\nPour recevoir plutôt une synthèse "
    "par jour (ou l'inverse) : {url}/console/avis"
)


@dataclass(frozen=True)
class Mail:
    recipients: tuple[str, ...]
    subject: str
    body: str


class MailUnavailableError(RuntimeError):
    """The SMTP server did not accept the message (its error's kind as the message)."""


class Mailer(Protocol):
    def send(self, mail: Mail) -> None: ...


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0  # the request was erased before its e-mail went out
    errors: Counter[str] = field(default_factory=Counter)


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_TIME)


def _as_utc(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes: they are UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _territory_name(session: Session, territory: str | None) -> str:
    if territory is None:
        return "sans territoire"
    return session.scalar(select(Territory.name).where(Territory.id == territory)) or territory


def lead_recipients(session: Session, territory: str, settings: NotifySettings) -> list[str]:
    """The territory's active advisors who want an e-mail per request, and its team addresses."""
    accounts = session.scalars(
        select(Account.email).where(
            Account.role == "conseiller",
            Account.territory_id == territory,
            Account.active.is_(True),
            Account.daily_digest.is_(False),
        )
    )
    found = [*accounts, *settings.territory_addresses.get(territory, ())]
    return sorted(dict.fromkeys(address.lower() for address in found))


def lead_mail(session: Session, lead: Lead, settings: NotifySettings) -> Mail | None:
    """The e-mail telling a new request to its territory, or None when nobody is to be told."""
    if lead.territory_id is None:
        return None
    recipients = lead_recipients(session, lead.territory_id, settings)
    if not recipients:
        return None
    name = _territory_name(session, lead.territory_id)
    at = _local(lead.created_at)
    url = settings.console_url
    body = (
        "Bonjour,\n\n"
        f"Une personne a demandé à être recontactée par un conseiller du territoire {name} "
        f"(demande n° {lead.id}, le {at:%d/%m/%Y} à {at:%H:%M}, heure de Paris).\n\n"
        "Pour la lire et la suivre, ouvrez la console des conseillers :\n"
        f"{url}/console/demandes#demande-{lead.id}" + SIGNATURE.format(url=url)
    )
    return Mail(tuple(recipients), f"Nouvelle demande de contact — {name}", body)


def enqueue(session: Session, mail: Mail, kind: str, now: datetime, **about: Any) -> Notification:
    notification = Notification(
        created_at=now,
        kind=kind,
        recipients=list(mail.recipients),
        subject=mail.subject,
        body=mail.body,
        attempts=0,
        next_attempt_at=now,
        **about,
    )
    session.add(notification)
    return notification


def enqueue_lead(session: Session, lead: Lead, settings: NotifySettings) -> bool:
    """Queue the e-mail about `lead` (already flushed: it has its number) in the caller's
    transaction; False when e-mails are off or nobody is to be told."""
    if not settings.enabled:
        return False
    mail = lead_mail(session, lead, settings)
    if mail is None:
        return False
    enqueue(session, mail, LEAD, _as_utc(lead.created_at), territory_id=lead.territory_id,
            lead_id=lead.id)  # fmt: skip
    return True


def _digest_mail(
    session: Session,
    account: Account,
    counts: dict[str | None, int],
    since: datetime,
    settings: NotifySettings,
) -> Mail:
    url = settings.console_url
    start = _local(since)
    lines = []
    for territory, count in sorted(
        counts.items(), key=lambda item: _territory_name(session, item[0])
    ):
        link = f"{url}/console/demandes?statut=nouveau"
        if account.role == "admin":
            link += f"&territoire={territory or 'sans'}"
        plural = "s" if count > 1 else ""
        lines.append(
            f"- {_territory_name(session, territory)} : {count} nouvelle{plural} "
            f"demande{plural}\n  {link}"
        )
    total = sum(counts.values())
    body = (
        "Bonjour,\n\n"
        f"Depuis le {start:%d/%m/%Y} à {start:%H:%M} (heure de Paris), "
        f"{total} personne{'s ont' if total > 1 else ' a'} demandé à être "
        f"recontactée{'s' if total > 1 else ''} :\n\n"
        + "\n".join(lines)
        + SIGNATURE.format(url=url)
    )
    return Mail(
        (account.email,),
        f"Synthèse quotidienne : {total} nouvelle{'s' if total > 1 else ''} demande"
        f"{'s' if total > 1 else ''} de contact",
        body,
    )


def enqueue_digests(session: Session, settings: NotifySettings, now: datetime) -> int:
    """One digest per active account that chose it, for the requests created since its last
    digest (or the last 24 hours), at most one in 20 hours; none when there was no new request.
    Returns how many were queued."""
    if not settings.enabled:
        return 0
    queued = 0
    accounts = session.scalars(
        select(Account).where(Account.active.is_(True), Account.daily_digest.is_(True))
    )
    for account in accounts:
        if account.digest_until and now - _as_utc(account.digest_until) < DIGEST_GAP:
            continue
        since = _as_utc(account.digest_until) if account.digest_until else now - timedelta(days=1)
        query = (
            select(Lead.territory_id, func.count())
            .where(Lead.created_at > since, Lead.created_at <= now)
            .group_by(Lead.territory_id)
        )
        if account.role != "admin":
            if account.territory_id is None:
                continue
            query = query.where(Lead.territory_id == account.territory_id)
        counts = {territory: int(count) for territory, count in session.execute(query).all()}
        account.digest_until = now
        if counts:
            mail = _digest_mail(session, account, counts, since, settings)
            enqueue(session, mail, DIGEST, now, territory_id=account.territory_id)
            queued += 1
    return queued


def retry_delay(attempts: int) -> timedelta:
    """1 minute after the first failure, doubling up to an hour."""
    delay: timedelta = FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 12)
    return min(delay, LAST_RETRY)


def send_pending(
    engine: Engine, mailer: Mailer, now: datetime | None = None, limit: int = 100
) -> SendReport:
    """Send the messages that are due. Each is claimed first (so that two senders never send
    the same one), then marked sent, or kept for a later try with the error's kind."""
    now = now or datetime.now(UTC)
    report = SendReport()
    with Session(engine) as session, session.begin():
        session.execute(delete(Notification).where(Notification.sent_at < now - KEEP_SENT))
        due = list(
            session.execute(
                select(Notification.id, Notification.next_attempt_at)
                .where(Notification.sent_at.is_(None), Notification.next_attempt_at <= now)
                .order_by(Notification.next_attempt_at, Notification.id)
                .limit(limit)
            ).all()
        )
    for number, planned in due:
        with Session(engine) as session, session.begin():
            claimed = session.execute(
                update(Notification)
                .where(
                    Notification.id == number,
                    Notification.sent_at.is_(None),
                    Notification.next_attempt_at == planned,
                )
                .values(next_attempt_at=now + CLAIM)
            )
            if rows_touched(claimed) != 1:
                continue  # taken by another sender
            row = session.get(Notification, number)
            assert row is not None
            erased = row.lead_id is not None and session.get(Lead, row.lead_id) is None
            mail = Mail(tuple(row.recipients), row.subject, row.body)
            attempts = row.attempts
        if erased:
            outcome: dict[str, Any] = {"sent_at": now, "last_error": "demande effacée"}
            report.skipped += 1
        else:
            try:
                mailer.send(mail)
            except MailUnavailableError as error:
                kind = str(error)[:200] or "MailUnavailableError"
                report.failed += 1
                report.errors[kind] += 1
                outcome = {
                    "attempts": Notification.attempts + 1,
                    "next_attempt_at": now + retry_delay(attempts + 1),
                    "last_error": kind,
                }
                logger.warning("notification %s not sent (%s), retried later", number, kind)
            else:
                outcome = {"sent_at": now, "attempts": Notification.attempts + 1}
                report.sent += 1
        with Session(engine) as session, session.begin():
            session.execute(update(Notification).where(Notification.id == number).values(outcome))
    return report


def waiting(engine: Engine) -> int:
    """How many messages are waiting to be sent."""
    with Session(engine) as session:
        return int(
            session.scalar(
                select(func.count()).select_from(Notification).where(Notification.sent_at.is_(None))
            )
            or 0
        )
