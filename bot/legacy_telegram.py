"""Conversations kept under a raw Telegram chat id (`telegram:<chat_id>`, before issue 18)
renamed to the keyed id the bridge uses now (`telegram:<keyed hash>`, bot/telegram/rasa.py).

A raw chat id is the person's Telegram user id: anyone could post as them (finding 1), and
since the bridge switched to keyed ids, « supprimer mes données » no longer reached what was
stored under the raw one. `qp purge` (bot/purge.py) renames, in Rasa's store (through
bot/rasa_store.py, the one module that knows its schema) and in the
catalogue database (leads, corrections, erasure requests, audit entries naming the
conversation), every raw id to its keyed id: the person keeps their conversation, can erase it,
and the raw id is gone from every store. Idempotent: a keyed id never looks raw.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from bot import rasa_store
from bot.telegram.rasa import sender_id
from catalog.models import AuditEntry, ErasureRequest, Lead, NluCorrection

RAW = re.compile(r"telegram:(-?\d{1,20})")


def keyed(raw: str, key: str) -> str | None:
    """The keyed id of a raw `telegram:<chat_id>`, or None when `raw` is not one."""
    match = RAW.fullmatch(raw)
    return sender_id(int(match.group(1)), key) if match else None


def rename_conversations(tracker: Engine, key: str) -> int:
    """Rename the raw ids of Rasa's store; the number of conversations renamed."""
    return rasa_store.rename_conversations(tracker, "telegram:", lambda raw: keyed(raw, key))


def rename_records(catalog: Engine, key: str) -> int:
    """Rename the raw ids of the catalogue database; the number of rows changed."""
    changed = 0
    with Session(catalog) as session, session.begin():
        for model in (Lead, NluCorrection, ErasureRequest):
            column = model.sender_id
            for raw in session.execute(select(column).where(column.like("telegram:%")).distinct()):
                new = keyed(raw[0], key)
                if new:
                    result = session.execute(
                        update(model).where(column == raw[0]).values(sender_id=new)
                    )
                    changed += int(getattr(result, "rowcount", 0) or 0)
        entries = session.execute(
            select(AuditEntry).where(AuditEntry.target.like("telegram:%"))
        ).scalars()
        for entry in entries:
            raw, hash_sign, rest = (entry.target or "").partition("#")
            new = keyed(raw, key)
            if new:
                entry.target = new + hash_sign + rest
                changed += 1
    return changed
