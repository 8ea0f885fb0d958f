"""`qp notify send` and `qp notify digest`: the advisors' e-mails of the outbox
(catalog/notify.py) handed to the SMTP server, and the daily digests queued then sent.

The runner (bot/runner.py) calls `send_now` every `send_every_seconds` and `digest_now` once a
day; both can also run from cron. Output and logs name counts and error kinds, never addresses.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from adapters.smtp import SmtpMailer
from catalog import notify
from catalog.leads import database
from settings import NotifySettings, get_settings

OFF = (
    "Les e-mails aux conseillers sont désactivés (QP_SMTP_HOST vide) : rien à envoyer. "
    "Voir docs/exploitation.md."
)


def send_now(settings: NotifySettings | None = None) -> notify.SendReport | None:
    """Send what is due; None when e-mails are off."""
    settings = settings or get_settings().notify
    if not settings.enabled:
        return None
    return notify.send_pending(database(), SmtpMailer(settings))


def digest_now(settings: NotifySettings | None = None, now: datetime | None = None) -> int | None:
    """Queue today's digests (then `send_now` sends them); None when e-mails are off."""
    settings = settings or get_settings().notify
    if not settings.enabled:
        return None
    with Session(database()) as session, session.begin():
        return notify.enqueue_digests(session, settings, now or datetime.now(UTC))


def _report(report: notify.SendReport) -> int:
    print(
        f"{report.sent} e-mail(s) envoyé(s), {report.failed} en échec (réessayé(s) plus tard), "
        f"{notify.waiting(database())} en attente."
    )
    for kind, count in report.errors.items():
        print(f"  échec : {kind} × {count}", file=sys.stderr)
    return 1 if report.failed else 0


def _send(args: argparse.Namespace) -> int:
    report = send_now()
    if report is None:
        print(OFF)
        return 0
    return _report(report)


def _digest(args: argparse.Namespace) -> int:
    queued = digest_now()
    if queued is None:
        print(OFF)
        return 0
    print(f"{queued} synthèse(s) quotidienne(s) mise(s) en file.")
    report = send_now()
    assert report is not None
    return _report(report)


def add_notify_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("notify", help="e-mails aux conseillers (docs/exploitation.md)")
    sub = parser.add_subparsers(dest="notify_command", required=True)
    send = sub.add_parser(
        "send", help="envoie les e-mails en attente (nouvelles demandes, synthèses)"
    )
    send.set_defaults(handler=_send)
    digest = sub.add_parser(
        "digest", help="prépare et envoie la synthèse quotidienne des comptes qui l'ont choisie"
    )
    digest.set_defaults(handler=_digest)
