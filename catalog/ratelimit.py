"""Rate limits shared by every process, with bounded memory.

The counting is the `limits` library's fixed-window strategy. Its counters live where every
process of the deployment sees them: in Redis when a `redis://` URL is configured (keys expire
by themselves), else in the catalogue database (table `rate_limits`, one row per key and
window, written by a single atomic upsert so that concurrent requests cannot slip through; the
expired rows are purged as new ones come). Nothing is kept in the process's memory.

The time of the database storage comes from a clock the caller gives (the tests control it).
Plain code: no web, no Rasa.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import Engine, Table, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from catalog.models import RateLimitCounter
from catalog.store import rows_touched

PURGE_EVERY = 60.0  # seconds between two purges of expired counters, per process


class DatabaseStorage(Storage):
    """A `limits` storage over the catalogue database (SQLite or PostgreSQL)."""

    STORAGE_SCHEME = None  # built with an engine, not from a URL

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.engine = engine
        self.clock = clock
        self._purged_at = float("-inf")
        dialect = engine.dialect.name
        if dialect not in ("sqlite", "postgresql"):
            raise ValueError(f"rate limits: unsupported database {dialect}")
        self._insert = sqlite.insert if dialect == "sqlite" else postgresql.insert

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def _purge(self, session: Session, now: float) -> None:
        if now - self._purged_at >= PURGE_EVERY:
            self._purged_at = now
            session.execute(delete(RateLimitCounter).where(RateLimitCounter.expires_at <= now))

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = self.clock()
        table = cast(Table, RateLimitCounter.__table__)
        expired = table.c.expires_at <= now
        statement = (
            self._insert(table)
            .values(key=key, count=amount, expires_at=now + expiry)
            .on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    "count": case((expired, amount), else_=table.c.count + amount),
                    "expires_at": case((expired, now + expiry), else_=table.c.expires_at),
                },
            )
            .returning(table.c.count)
        )
        with Session(self.engine) as session, session.begin():
            self._purge(session, now)
            return int(session.execute(statement).scalar_one())

    def _row(self, key: str) -> tuple[int, float] | None:
        with Session(self.engine) as session:
            found = session.execute(
                select(RateLimitCounter.count, RateLimitCounter.expires_at).where(
                    RateLimitCounter.key == key, RateLimitCounter.expires_at > self.clock()
                )
            ).first()
        return (int(found[0]), float(found[1])) if found else None

    def get(self, key: str) -> int:
        found = self._row(key)
        return found[0] if found else 0

    def get_expiry(self, key: str) -> float:
        found = self._row(key)
        return found[1] if found else self.clock()

    def check(self) -> bool:
        try:
            with Session(self.engine) as session:
                session.execute(select(1))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with Session(self.engine) as session, session.begin():
            return rows_touched(session.execute(delete(RateLimitCounter)))

    def clear(self, key: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(delete(RateLimitCounter).where(RateLimitCounter.key == key))


def make_storage(
    url: str | None, engine: Engine, clock: Callable[[], float] = time.time
) -> Storage:
    """Redis when `url` is a redis:// (or rediss://) URL, else the catalogue database."""
    if url and url.startswith(("redis://", "rediss://")):
        return cast(Storage, storage_from_string(url))
    if url:
        raise ValueError(
            f"adresse de stockage des limites non prise en charge : {url.split(':', 1)[0]}:// "
            "(attendu : redis:// ou rediss://, ou rien pour la base du catalogue)"
        )
    return DatabaseStorage(engine, clock)


@dataclass(frozen=True)
class Limit:
    """A named limit, « 20/15 minutes » in the `limits` notation, and its French wording."""

    name: str
    rate: str

    @property
    def item(self) -> RateLimitItem:
        return parse(self.rate)

    @property
    def minutes(self) -> int:
        """The window, in whole minutes (at least 1), for the French messages."""
        return max(1, round(self.item.get_expiry() / 60))


class Limiter:
    """Fixed-window limits over one storage; keys are namespaced by the limit's name."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.strategy = FixedWindowRateLimiter(storage)

    def hit(self, limit: Limit, *identifiers: str) -> bool:
        """Count one event; False when it goes past the limit."""
        return self.strategy.hit(limit.item, limit.name, *identifiers)

    def allows(self, limit: Limit, *identifiers: str) -> bool:
        """Whether one more event would be within the limit, without counting it."""
        return self.strategy.test(limit.item, limit.name, *identifiers)

    def clear(self, limit: Limit, *identifiers: str) -> None:
        self.strategy.clear(limit.item, limit.name, *identifiers)
