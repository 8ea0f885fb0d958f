"""How long each kind of personal data is kept, and the purge of what the catalogue database
holds past its period: leads, NLU corrections, audit entries, the observatory's conversations,
and the « Ma fiche » summaries past their expiry (catalog/fiches.py).
docs/donnees-personnelles.md says why each period (purpose, retention, erase path); `qp purge`
(bot/purge.py) applies them, with the conversations in Rasa's store and the Telegram bridge's
state.

Every period can be set, in days (QP_RETENTION_*_DAYS, the `retention` section of settings/).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Engine, delete
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from catalog import fiches, observatory
from catalog.models import AuditEntry, Lead, NluCorrection


@dataclass(frozen=True)
class Periods:
    """Retention periods, in days, counted from the moment given for each kind."""

    conversations: int = 180  # since the conversation's last message
    leads: int = 365  # since the request
    corrections: int = 365  # since the correction
    audit: int = 365  # since the action
    telegram_buttons: int = 30  # since the keyboard was sent
    telegram_waiting: int = 1  # messages still waiting for Rasa, since they were received

    def cutoff(self, kind: str, now: datetime) -> datetime:
        """What is older than this moment is past its period."""
        return now - timedelta(days=getattr(self, kind))


@dataclass(frozen=True)
class CatalogPurge:
    leads: int
    corrections: int
    audit_entries: int
    observed_conversations: int = 0
    fiches: int = 0


def purge_catalog(engine: Engine, periods: Periods, now: datetime) -> CatalogPurge:
    """Delete the leads, corrections, audit entries and observed conversations (same period as
    the conversations themselves) past their period, and the expired fiches, in one
    transaction."""

    def count(result: object) -> int:
        # A DELETE gives a CursorResult, which the stubs of `Session.execute` do not say.
        return cast("CursorResult[Any]", result).rowcount or 0

    with Session(engine) as session, session.begin():
        leads = count(
            session.execute(delete(Lead).where(Lead.created_at < periods.cutoff("leads", now)))
        )
        corrections = count(
            session.execute(
                delete(NluCorrection).where(
                    NluCorrection.created_at < periods.cutoff("corrections", now)
                )
            )
        )
        audit_entries = count(
            session.execute(delete(AuditEntry).where(AuditEntry.at < periods.cutoff("audit", now)))
        )
        observed = observatory.purge(session, periods.cutoff("conversations", now).timestamp())
        expired = fiches.purge(session, now)  # each fiche expires on its own date
    return CatalogPurge(leads, corrections, audit_entries, observed, expired)
