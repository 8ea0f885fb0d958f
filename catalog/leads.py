"""Handoff requests ("leads"): checking contact details, storing them, erasing them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from catalog import store
from catalog.models import Lead

if TYPE_CHECKING:
    from sqlalchemy import CursorResult

EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
PHONE_DIGITS = re.compile(r"\d")


@dataclass(frozen=True)
class ContactDetails:
    email: str | None = None
    phone: str | None = None

    @property
    def shown(self) -> str:
        return self.email or self.phone or ""


def parse_contact(text: str) -> ContactDetails | None:
    """An e-mail address or a French phone number found in the text, normalised; else None."""
    for raw in re.split(r"[\s,;]+", text.strip()):
        word = raw.strip("<>()[]\"'.")
        if EMAIL.match(word) and len(word) <= 200:
            return ContactDetails(email=word.lower())
    candidate = re.sub(r"[\s.\-()]", "", text)
    match = re.search(r"(?:\+33|0033|0)([1-9]\d{8})(?!\d)", candidate)
    if match and len(PHONE_DIGITS.findall(text)) <= 14:
        digits = "0" + match.group(1)
        return ContactDetails(phone=" ".join(digits[i : i + 2] for i in range(0, 10, 2)))
    match = re.search(r"\+262(\d{9})(?!\d)|\+(?:590|594|596)(\d{9})(?!\d)", candidate)
    if match:
        return ContactDetails(phone=candidate[match.start() : match.end()])
    return None


@lru_cache(maxsize=4)
def _database(url: str) -> Engine:
    """One engine per database for the process, its schema brought up to date once."""
    engine = store.make_engine(url)
    store.migrate(engine)
    return engine


def save_lead(
    sender_id: str,
    channel: str | None,
    territory: str | None,
    details: ContactDetails,
    profile: dict[str, Any],
    aids: list[str],
) -> int:
    with Session(_database(store.database_url())) as session, session.begin():
        lead = Lead(
            created_at=datetime.now(UTC),
            sender_id=sender_id,
            channel=channel,
            territory_id=territory,
            email=details.email,
            phone=details.phone,
            profile=profile,
            aids=aids,
            status="nouveau",
        )
        session.add(lead)
        session.flush()
        return lead.id


def erase_sender(sender_id: str) -> int:
    """Delete every lead of a sender; returns how many."""
    with Session(_database(store.database_url())) as session, session.begin():
        # A DELETE gives a CursorResult, which the stubs of `Session.execute` do not say.
        result = cast(
            "CursorResult[Any]", session.execute(delete(Lead).where(Lead.sender_id == sender_id))
        )
        return result.rowcount or 0


def leads_of(sender_id: str) -> list[Lead]:
    with Session(_database(store.database_url())) as session:
        return list(session.scalars(select(Lead).where(Lead.sender_id == sender_id)))
