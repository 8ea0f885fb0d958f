"""The console's audit log: every action of an advisor or administrator (who, when, what).

Entries name what was touched (a conversation id, a lead number, an aid id) but never copy
personal data (no message text, e-mail or phone).

Events that anyone can cause without signing in (a refused or rate-limited sign-in) are not
written one row each: `record_repeated` counts them in one entry per kind, account and quarter
of an hour, so that no flood of attempts can push the real entries off the journal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalog.models import AuditEntry
from catalog.store import rows_touched


def record(
    session: Session,
    account_id: int | None,
    account_email: str,
    action: str,
    target: str | None = None,
    **details: Any,
) -> None:
    session.add(
        AuditEntry(
            at=datetime.now(UTC),
            account_id=account_id,
            account_email=account_email,
            action=action,
            target=(target or "")[:300] or None,
            details=details,
            count=1,
        )
    )


def recent(session: Session, limit: int = 200) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)))


REPEAT_WINDOW = timedelta(minutes=15)


def record_repeated(
    session: Session,
    account_id: int | None,
    account_email: str,
    action: str,
    now: datetime,
    target: str | None = None,
    **details: Any,
) -> None:
    """Count one more `action` in the entry of the last quarter of an hour with the same
    account, e-mail and target, or open a new entry. The count is raised by one atomic UPDATE
    (two processes at the same moment may each open an entry: still a handful of rows)."""
    target = (target or "")[:300] or None
    since = now - REPEAT_WINDOW
    latest = session.scalar(
        select(AuditEntry.id)
        .where(
            AuditEntry.action == action,
            AuditEntry.account_email == account_email,
            AuditEntry.account_id.is_(None)
            if account_id is None
            else AuditEntry.account_id == account_id,
            AuditEntry.target.is_(None) if target is None else AuditEntry.target == target,
            AuditEntry.at > since,
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    if latest is not None:
        counted = rows_touched(
            session.execute(
                update(AuditEntry)
                .where(AuditEntry.id == latest)
                .values(count=AuditEntry.count + 1, last_at=now)
            )
        )
        if counted:
            return
    session.add(
        AuditEntry(
            at=now,
            account_id=account_id,
            account_email=account_email,
            action=action,
            target=target,
            details=details,
            count=1,
            last_at=now,
        )
    )
