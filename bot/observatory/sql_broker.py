"""Rasa's SQL event broker, as the observatory reads and trims it.

Rasa's SQLEventBroker writes one row per event in a table `events` of its own database
(`id`, `sender_id`, `data`: the event as JSON, with `sender_id` and `timestamp`); that row
format is its documented output, read here in order of `id`. The rows copy the person's
messages, so they are personal data like the tracker store's: an erasure deletes the
sender's rows, and `qp purge` deletes whole conversations past their period. A rebuild of
the observatory reads them again from the start.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    cast,
    create_engine,
    delete,
    func,
    inspect,
    select,
)
from sqlalchemy.pool import NullPool

BROKER_EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("data", Text),
)


def app_url(url: str) -> str:
    """A database URL in the driver names of our SQLAlchemy (psycopg 3), as Rasa's may not be."""
    for theirs in ("postgresql+psycopg2://", "postgresql://", "postgres://"):
        if url.startswith(theirs):
            return "postgresql+psycopg://" + url[len(theirs) :]
    return url


@dataclass(frozen=True)
class BrokerRow:
    id: int
    event: dict[str, Any]


def _load(sender_id: str | None, data: str | None) -> dict[str, Any]:
    try:
        event = json.loads(data or "{}")
    except ValueError:
        event = {}
    if not isinstance(event, dict):
        event = {}
    event.setdefault("sender_id", sender_id)
    return event


class SqlBroker:
    """The broker's table in its database (any SQLAlchemy URL, a SQLite file by default)."""

    def __init__(self, url: str) -> None:
        self.url = app_url(url)
        self._engine: Engine | None = None

    def engine(self) -> Engine | None:
        """None while Rasa has not created the database and its table yet."""
        if self._engine is None:
            if self.url.startswith("sqlite:///"):
                if not Path(self.url.removeprefix("sqlite:///")).exists():
                    return None
                engine = create_engine(self.url, poolclass=NullPool, connect_args={"timeout": 30})
            else:
                engine = create_engine(self.url, poolclass=NullPool)
            if not inspect(engine).has_table("events"):
                engine.dispose()
                return None
            self._engine = engine
        return self._engine

    def read(self, after: int, limit: int) -> list[BrokerRow]:
        """Up to `limit` events published after row `after`, in order."""
        engine = self.engine()
        if engine is None:
            return []
        e = BROKER_EVENTS
        with engine.connect() as connection:
            rows = connection.execute(
                select(e.c.id, e.c.sender_id, e.c.data)
                .where(e.c.id > after)
                .order_by(e.c.id)
                .limit(limit)
            ).all()
        return [BrokerRow(row.id, _load(row.sender_id, row.data)) for row in rows]

    def erase(self, sender_id: str, up_to: int | None = None, until: float | None = None) -> int:
        """Delete the sender's events (up to row `up_to`, or published by the moment `until`,
        seconds since the epoch): an erasure."""
        engine = self.engine()
        if engine is None:
            return 0
        e = BROKER_EVENTS
        query = delete(e).where(e.c.sender_id == sender_id)
        if up_to is not None:
            query = query.where(e.c.id <= up_to)
        if until is not None:
            query = query.where(self._timestamp(engine) <= until)
        with engine.begin() as connection:
            return connection.execute(query).rowcount or 0

    def _timestamp(self, engine: Engine) -> Any:
        data = BROKER_EVENTS.c.data
        if engine.dialect.name == "postgresql":
            return cast(func.json_extract_path_text(cast(data, JSON), "timestamp"), Float)
        return func.json_extract(data, "$.timestamp")

    def purge(self, before: float) -> int:
        """Delete the conversations whose last event is older than `before`; their count."""
        engine = self.engine()
        if engine is None:
            return 0
        e = BROKER_EVENTS
        expired = (
            select(e.c.sender_id)
            .group_by(e.c.sender_id)
            .having(func.max(self._timestamp(engine)) < before)
        )
        with engine.begin() as connection:
            senders = list(connection.execute(expired).scalars())
            for start in range(0, len(senders), 500):
                connection.execute(delete(e).where(e.c.sender_id.in_(senders[start : start + 500])))
        return len(senders)

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
