"""The observatory's tables on the catalogue side: the conversation key, erasure and retention.

A conversation is stored under a key, never under its id: the SHA-256 of the conversation id
(itself a keyed hash for Telegram, a random session id for the widget), cut to 32 hex digits.
The rows hold no text, only the contract's codes (catalog/models.py, ObservedConversation);
what fills them is the consumer of Rasa's events (bot/observatory/), which knows Rasa.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import delete, func, or_, select
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from catalog.models import ObservedConversation, ObservedRecommendation

KEY_LENGTH = 32
# An aid's official link opened from the widget: the web server appends this event to the
# conversation through Rasa's HTTP API (bot/web/app.py), Rasa's event broker carries it like
# any other, and the consumer marks the recommendation `opened` (bot/observatory/fold.py).
# An `agent` event (Rasa's AgentUttered) changes nothing in the conversation: no slot, no
# message shown, not part of what the dialogue policies read.
OPENED_KEY = "qp_aide_ouverte"


def opened_event(aid_id: str, at: float) -> dict[str, Any]:
    """The event saying that the person opened the official link of the aid `aid_id`."""
    return {"event": "agent", "text": None, "data": {OPENED_KEY: aid_id}, "timestamp": at}


def opened_aid(event: dict[str, Any]) -> str | None:
    """The aid whose link the event says was opened, if it is such an event."""
    if event.get("event") != "agent" or not isinstance(event.get("data"), dict):
        return None
    aid_id = event["data"].get(OPENED_KEY)
    return aid_id if isinstance(aid_id, str) and aid_id else None


def conversation_key(sender_id: str) -> str:
    """The key a conversation is stored under (no raw id in the observatory)."""
    return hashlib.sha256(sender_id.encode()).hexdigest()[:KEY_LENGTH]


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


NO_TERRITORY = "aucun"  # the filter value for the conversations without a territory


@dataclass(frozen=True)
class Page:
    conversations: list[ObservedConversation]
    total: int
    page: int
    pages: int


def list_conversations(
    session: Session,
    scope: tuple[str, ...] | None,
    *,
    territory: str | None = None,
    since: float | None = None,
    until: float | None = None,
    fallback: bool = False,
    contact: bool = False,
    page: int = 1,
    page_size: int = 50,
) -> Page:
    """The conversations in `scope` (territory ids; None: all, the unplaced ones included),
    last message first, filtered (`territory`: one id or NO_TERRITORY; `since`/`until`: the
    conversation was going on after / before these moments), one page of them."""
    c = ObservedConversation
    query = select(c).where(c.turns > 0)
    if scope is not None:
        query = query.where(c.territory_id.in_(scope))
    if territory == NO_TERRITORY:
        query = query.where(c.territory_id.is_(None))
    elif territory is not None:
        query = query.where(c.territory_id == territory)
    if since is not None:
        query = query.where(c.last_at >= since)
    if until is not None:
        query = query.where(c.first_at < until)
    if fallback:
        query = query.where(c.fallbacks > 0)
    if contact:
        query = query.where(or_(c.contact_asked, c.lead))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    found = session.scalars(
        query.order_by(c.last_at.desc(), c.key).offset((page - 1) * page_size).limit(page_size)
    ).all()
    return Page(list(found), total, page, pages)


def is_key(value: str) -> bool:
    """Whether `value` has the shape of a conversation key (32 hex digits)."""
    return len(value) == KEY_LENGTH and all(ch in "0123456789abcdef" for ch in value)
