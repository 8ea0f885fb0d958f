"""The observatory's tables on the catalogue side: the conversation key, erasure and retention.

A conversation is stored under a key, never under its id: the SHA-256 of the conversation id
(itself a keyed hash for Telegram, a random session id for the widget), cut to 32 hex digits.
The rows hold no text, only the contract's codes (catalog/models.py, ObservedConversation);
what fills them is the consumer of Rasa's events (bot/observatory/), which knows Rasa.
"""

from __future__ import annotations

import hashlib
from typing import Any, cast

from sqlalchemy import delete, select
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from catalog.models import ObservedConversation, ObservedRecommendation


def conversation_key(sender_id: str) -> str:
    """The key a conversation is stored under (no raw id in the observatory)."""
    return hashlib.sha256(sender_id.encode()).hexdigest()[:32]


def delete_conversations(session: Session, ids: list[int]) -> int:
    """Delete these conversations and their recommendations (SQLite does not cascade)."""
    if not ids:
        return 0
    session.execute(
        delete(ObservedRecommendation).where(ObservedRecommendation.conversation_id.in_(ids))
    )
    result = session.execute(delete(ObservedConversation).where(ObservedConversation.id.in_(ids)))
    return cast("CursorResult[Any]", result).rowcount or 0


def erase(session: Session, sender_id: str, until: float) -> int:
    """Delete what the observatory holds of a conversation begun by `until` (seconds since the
    epoch): a person's erasure request. Idempotent."""
    ids = list(
        session.scalars(
            select(ObservedConversation.id).where(
                ObservedConversation.key == conversation_key(sender_id),
                ObservedConversation.first_at <= until,
            )
        )
    )
    return delete_conversations(session, ids)


def purge(session: Session, before: float) -> int:
    """Delete the conversations whose last message is older than `before` (retention)."""
    ids = list(
        session.scalars(
            select(ObservedConversation.id).where(ObservedConversation.last_at < before)
        )
    )
    return delete_conversations(session, ids)
