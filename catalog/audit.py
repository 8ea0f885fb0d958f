"""The console's audit log: every action of an advisor or administrator (who, when, what).

Entries name what was touched (a conversation id, a lead number, an aid id) but never copy
personal data (no message text, e-mail or phone)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import AuditEntry


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
        )
    )


def recent(session: Session, limit: int = 200) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)))
