"""Handoff requests ("leads"): checking contact details, storing them (erasure and retention:
catalog/erasure.py, catalog/retention.py), and queueing the e-mail that tells the territory's
advisors, in the same transaction (catalog/notify.py)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from catalog import notify, store
from catalog.models import Lead
from catalog.phones import first_valid_phone
from settings import get_settings

logger = logging.getLogger(__name__)
# Called with (territory, channel) after each lead is stored: the action server counts them
# (bot/metrics.py) without the catalogue knowing of metrics.
ON_SAVED: list[Callable[[str | None, str | None], None]] = []

EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")


@dataclass(frozen=True)
class ContactDetails:
    email: str | None = None
    phone: str | None = None

    @property
    def shown(self) -> str:
        return self.email or self.phone or ""


def parse_contact(text: str) -> ContactDetails | None:
    """An e-mail address or a phone number found in the text, normalised; else None. Phone
    numbers are read by catalog/phones.py, as the console's masking reads them."""
    for raw in re.split(r"[\s,;]+", text.strip()):
        word = raw.strip("<>()[]\"'.")
        if EMAIL.match(word) and len(word) <= 200:
            return ContactDetails(email=word.lower())
    phone = first_valid_phone(text)
    return ContactDetails(phone=phone.shown) if phone else None


@lru_cache(maxsize=4)
def _database(url: str) -> Engine:
    """One engine per database for the process, its schema brought up to date once."""
    engine = store.make_engine(url)
    store.migrate(engine)
    return engine


def database(url: str | None = None) -> Engine:
    """The catalogue database at `url`, by default this process's (DATABASE_URL), its schema
    up to date."""
    return _database(url or store.database_url())


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
        try:
            notify.enqueue_lead(session, lead, get_settings().notify)
        except Exception as error:  # noqa: BLE001 — the request is kept even if its e-mail is not
            logger.error("lead %s: e-mail not queued (%s)", lead.id, type(error).__name__)
        saved = lead.id
    for listener in ON_SAVED:
        listener(territory, channel)
    return saved


def leads_of(sender_id: str) -> list[Lead]:
    with Session(_database(store.database_url())) as session:
        return list(session.scalars(select(Lead).where(Lead.sender_id == sender_id)))
