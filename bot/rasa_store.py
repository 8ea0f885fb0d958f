"""Rasa's own store of conversations (its SQL tracker store, the `events` table Rasa 3.6
writes), for the one job that cannot go through Rasa: deleting what the person or the retention
period says must go (`qp purge`, bot/purge.py), renaming the conversations kept under a raw
Telegram chat id (bot/legacy_telegram.py), and forgetting a benchmark's own conversations
(bot/bench_cluster.py).

This is the only module of ours that knows Rasa's schema (tests/test_architecture.py checks it):
every reader of a conversation goes through Rasa's HTTP API (bot/rasa_api.py), the observatory
through the events Rasa publishes. Why the exception (docs/architecture.md, « Le stockage des
conversations de Rasa »): Rasa 3.6's HTTP API deletes nothing (`PUT …/tracker/events` saves the
events given after those stored, it never removes one), lists no conversations (retention must
find those whose last event is older than its period) and needs Rasa running, whereas the purge
must finish an erasure when Rasa is down.

Rasa's SQLTrackerStore keeps one row per event: `id`, `sender_id`, `type_name`, `timestamp`
(seconds since the epoch, UTC), `intent_name`, `action_name` and `data` (the event as JSON).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import (
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    func,
    inspect,
    select,
    update,
)
from sqlalchemy.pool import NullPool

_metadata = MetaData()
EVENTS = Table(
    "events",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)
BATCH = 500


def app_url(url: str) -> str:
    """A tracker store URL in the driver names of our SQLAlchemy (psycopg 3)."""
    for theirs in ("postgresql+psycopg2://", "postgresql://", "postgres://"):
        if url.startswith(theirs):
            return "postgresql+psycopg://" + url[len(theirs) :]
    return url


def tracker_engine(url: str) -> Engine | None:
    """Rasa's store, or None when it holds nothing yet (no SQLite file, no events table)."""
    url = app_url(url)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None
    engine = create_engine(url, poolclass=NullPool)
    if not inspect(engine).has_table("events"):
        engine.dispose()
        return None
    return engine


def erase_conversation(tracker: Engine, sender_id: str, until: float) -> int:
    """Delete the conversation's events up to `until` (an erasure request's time); the number
    of events that were still there."""
    with tracker.begin() as connection:
        result = connection.execute(
            delete(EVENTS).where(EVENTS.c.sender_id == sender_id, EVENTS.c.timestamp <= until)
        )
        return int(result.rowcount or 0)


def purge_conversations(tracker: Engine, cutoff: float) -> int:
    """Delete the conversations whose last event is older than `cutoff` (whole conversations
    only); the number of conversations deleted."""
    expired = (
        select(EVENTS.c.sender_id)
        .group_by(EVENTS.c.sender_id)
        .having(func.max(EVENTS.c.timestamp) < cutoff)
    )
    with tracker.begin() as connection:
        senders = list(connection.execute(expired).scalars())
        for start in range(0, len(senders), BATCH):
            batch = senders[start : start + BATCH]
            connection.execute(delete(EVENTS).where(EVENTS.c.sender_id.in_(batch)))
    return len(senders)


def forget_conversations(tracker: Engine, prefix: str) -> int:
    """Delete every conversation whose id starts with `prefix` (a benchmark's own, `make
    bench-cluster`); the number of events deleted."""
    with tracker.begin() as connection:
        result = connection.execute(delete(EVENTS).where(EVENTS.c.sender_id.like(f"{prefix}%")))
        return int(result.rowcount or 0)


def rename_conversations(tracker: Engine, prefix: str, new_id: Callable[[str], str | None]) -> int:
    """Give every conversation whose id starts with `prefix` the id `new_id` returns for it
    (None: keep it); the number of conversations renamed."""
    with tracker.begin() as connection:
        found = connection.execute(
            select(EVENTS.c.sender_id).where(EVENTS.c.sender_id.like(f"{prefix}%")).distinct()
        ).scalars()
        renames = {old: new for old in found if (new := new_id(old))}
        for old, new in renames.items():
            connection.execute(
                update(EVENTS).where(EVENTS.c.sender_id == old).values(sender_id=new)
            )
    return len(renames)
