"""Console sessions kept on the server (table `console_sessions`).

Signing in creates a row and gives the browser a random token; only the token's SHA-256 is
stored, so reading the table does not let anyone sign in. Each request looks the token up: the
session must exist, its account be active, it must have been used within the idle timeout and
be younger than its absolute lifetime (counted from signing in, never extended). Signing out
deletes the row; a password change or a deactivation deletes every row of the account, so a
copied cookie stops working at once. Expired rows are purged when someone signs in.

Plain code over a SQLAlchemy session; the time comes from the caller (a clock the tests
control)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

from catalog.models import Account, ConsoleSession
from catalog.store import rows_touched

TOUCH_EVERY = timedelta(seconds=60)  # last use written at most once a minute per session


@dataclass(frozen=True)
class Lifetimes:
    absolute: timedelta  # from signing in, whatever the activity
    idle: timedelta  # since the last request


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def utc(moment: datetime) -> datetime:
    """SQLite gives naive datetimes back: they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def purge_expired(session: Session, now: datetime, lifetimes: Lifetimes) -> int:
    return rows_touched(
        session.execute(
            delete(ConsoleSession).where(
                or_(
                    ConsoleSession.expires_at <= now,
                    ConsoleSession.last_seen_at <= now - lifetimes.idle,
                )
            )
        )
    )


def open_session(session: Session, account_id: int, now: datetime, lifetimes: Lifetimes) -> str:
    """A new session for the account; the token to give the browser (never stored)."""
    purge_expired(session, now, lifetimes)
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            id=_digest(token),
            account_id=account_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetimes.absolute,
        )
    )
    return token


def account_of(
    session: Session, token: object, now: datetime, lifetimes: Lifetimes
) -> Account | None:
    """The active account of a live session, else None (and an expired row is deleted)."""
    if not isinstance(token, str) or not token or len(token) > 100:
        return None
    row = session.get(ConsoleSession, _digest(token))
    if row is None:
        return None
    if utc(row.expires_at) <= now or utc(row.last_seen_at) <= now - lifetimes.idle:
        session.delete(row)
        return None
    account = session.get(Account, row.account_id)
    if account is None or not account.active:
        session.delete(row)
        return None
    if now - utc(row.last_seen_at) >= TOUCH_EVERY:
        row.last_seen_at = now
    return account


def close_session(session: Session, token: object) -> int | None:
    """Delete the session; the account it belonged to (None when there was none)."""
    if not isinstance(token, str) or not token:
        return None
    row = session.get(ConsoleSession, _digest(token))
    if row is None:
        return None
    account_id = row.account_id
    session.delete(row)
    return account_id


def close_all(session: Session, account_id: int) -> int:
    """End every session of the account (password changed, account deactivated)."""
    return rows_touched(
        session.execute(delete(ConsoleSession).where(ConsoleSession.account_id == account_id))
    )
