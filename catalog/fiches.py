"""« Ma fiche »: storing a person's printable summary behind an unguessable link that expires.

A fiche is reached by a token of 32 random bytes (`secrets`, 256 bits, URL-safe base64); the
database keeps only its SHA-256, so a copy of the database opens no fiche. A fiche is readable
until its expiry (the retention period `QP_RETENTION_FICHES_DAYS`); `qp purge` deletes it after
(catalog/retention.py), and « supprimer mes données » deletes every fiche of the conversation
(catalog/erasure.py). A conversation keeps one fiche: a new one replaces the previous.
The content (catalog/fiche_content.py) holds no e-mail or phone number.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from catalog.models import Fiche
from catalog.store import rows_touched

TOKEN_BYTES = 32


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class OpenedFiche:
    content: dict[str, Any]
    created_at: datetime
    expires_at: datetime


def save_fiche(
    engine: Engine, sender_id: str, content: dict[str, Any], now: datetime, days: int
) -> str:
    """Store the conversation's fiche (replacing its previous one); returns the link's token."""
    token = new_token()
    with Session(engine) as session, session.begin():
        session.execute(delete(Fiche).where(Fiche.sender_id == sender_id))
        session.add(
            Fiche(
                token_hash=token_hash(token),
                sender_id=sender_id,
                created_at=now,
                expires_at=now + timedelta(days=days),
                content=content,
            )
        )
    return token


def open_fiche(engine: Engine, token: str, now: datetime) -> OpenedFiche | None:
    """The fiche of this token, unless there is none or it has expired at `now`."""
    if not token or len(token) > 200:
        return None
    with Session(engine) as session:
        fiche = session.scalar(
            select(Fiche).where(Fiche.token_hash == token_hash(token), Fiche.expires_at > now)
        )
        if fiche is None:
            return None
        return OpenedFiche(dict(fiche.content), fiche.created_at, fiche.expires_at)


def erase(session: Session, sender_id: str, until: datetime) -> int:
    """Delete the conversation's fiches made up to `until` (in the caller's transaction)."""
    return rows_touched(
        session.execute(
            delete(Fiche).where(Fiche.sender_id == sender_id, Fiche.created_at <= until)
        )
    )


def purge(session: Session, now: datetime) -> int:
    """Delete the fiches expired at `now` (in the caller's transaction)."""
    return rows_touched(session.execute(delete(Fiche).where(Fiche.expires_at <= now)))


def fiches_of(engine: Engine, sender_id: str) -> int:
    """How many fiches the conversation has (tests, `qp purge`'s checks)."""
    with Session(engine) as session:
        return len(list(session.scalars(select(Fiche.id).where(Fiche.sender_id == sender_id))))
