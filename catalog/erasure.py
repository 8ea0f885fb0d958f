"""A person's erasure request, on the catalogue database's side: recorded first, then their
leads, NLU corrections, « Ma fiche » summaries and observed conversation (the observatory)
deleted and the audit entries naming their conversation redacted.

The conversation itself lives in Rasa's tracker store and is deleted there, inside the save of
the turn that asked for it (rasa_extensions/tracker_store.py). The request stays recorded until
`qp purge` (bot/purge.py) has checked that nothing of the person is left anywhere, retrying
what failed; then the record is deleted too.

Everything is bounded by the moment of the request: a person who writes again afterwards
starts a new conversation, and what they give then is not erased by the retry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Engine, delete, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from catalog import fiches, observatory
from catalog.models import AuditEntry, ErasureRequest, Lead, NluCorrection

logger = logging.getLogger(__name__)
# The key of the erase marker: the erase confirmation's custom payload is
# {"data": {ERASE_MARKER: "fait" | "en_partie"}} (actions/erasure.py); Rasa's tracker store
# (rasa_extensions/tracker_store.py, which cannot import this), the widget and the Telegram
# bridge act on it.
ERASE_MARKER = "effacement"
REDACTED = "[conversation effacée]"  # what an audit entry names instead of the conversation


@dataclass(frozen=True)
class Outcome:
    recorded: bool  # the request is kept: whatever failed will be retried by `qp purge`
    erased: bool  # the leads, corrections and audit mentions are gone now

    @property
    def complete(self) -> bool:
        return self.recorded and self.erased


@dataclass(frozen=True)
class Erased:
    leads: int = 0
    corrections: int = 0
    audit_entries: int = 0
    observed_conversations: int = 0
    fiches: int = 0


def _count(result: object) -> int:
    # A DELETE or UPDATE gives a CursorResult, which the stubs of `Session.execute` do not say.
    return cast("CursorResult[Any]", result).rowcount or 0


def _moment(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def erase_data(session: Session, sender_id: str, until: float) -> Erased:
    """Delete the sender's leads, corrections, fiches and observed conversation, and redact the
    audit entries naming their conversation, up to the moment `until` (seconds since the
    epoch). Idempotent."""
    moment = _moment(until)
    leads = _count(
        session.execute(delete(Lead).where(Lead.sender_id == sender_id, Lead.created_at <= moment))
    )
    corrections = _count(
        session.execute(
            delete(NluCorrection).where(
                NluCorrection.sender_id == sender_id, NluCorrection.message_at <= until
            )
        )
    )
    audit_entries = _count(
        session.execute(
            update(AuditEntry)
            .where(
                or_(
                    AuditEntry.target == sender_id,
                    AuditEntry.target.startswith(f"{sender_id}#", autoescape=True),
                ),
                AuditEntry.at <= moment,
            )
            .values(target=REDACTED)
        )
    )
    observed = observatory.erase(session, sender_id, until)
    summaries = fiches.erase(session, sender_id, moment)
    return Erased(leads, corrections, audit_entries, observed, summaries)


def request_erasure(engine: Engine, sender_id: str, requested_at: float) -> Outcome:
    """Record the request, then erase. Never raises: the outcome says what was done."""
    try:
        with Session(engine) as session, session.begin():
            session.add(
                ErasureRequest(
                    sender_id=sender_id,
                    requested_at=requested_at,
                    recorded_at=datetime.now(UTC),
                    attempts=0,
                )
            )
    except SQLAlchemyError as error:
        logger.error("An erasure request could not be recorded (%s).", type(error).__name__)
        return Outcome(recorded=False, erased=False)
    try:
        with Session(engine) as session, session.begin():
            erase_data(session, sender_id, requested_at)
    except SQLAlchemyError as error:
        logger.error("An erasure failed and will be retried (%s).", type(error).__name__)
        return Outcome(recorded=True, erased=False)
    return Outcome(recorded=True, erased=True)


def pending(engine: Engine) -> list[ErasureRequest]:
    """The requests not yet verified, oldest first."""
    with Session(engine, expire_on_commit=False) as session:
        return list(session.scalars(select(ErasureRequest).order_by(ErasureRequest.id)))


def close(engine: Engine, request_id: int) -> None:
    """Everything of the person is gone: forget the request itself."""
    with Session(engine) as session, session.begin():
        session.execute(delete(ErasureRequest).where(ErasureRequest.id == request_id))


def retry_later(engine: Engine, request_id: int, reason: str) -> None:
    """Something of the person was still there (now deleted) or could not be reached."""
    with Session(engine) as session, session.begin():
        session.execute(
            update(ErasureRequest)
            .where(ErasureRequest.id == request_id)
            .values(
                attempts=ErasureRequest.attempts + 1,
                last_attempt_at=datetime.now(UTC),
                last_error=reason[:200],
            )
        )
