"""The catalogue database as the console uses it: one engine per process, schema migrated."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from catalog import store


@lru_cache(maxsize=4)
def engine(url: str) -> Engine:
    created = store.make_engine(url)
    store.migrate(created)
    return created


@contextmanager
def session(url: str) -> Iterator[Session]:
    """A session in one transaction, committed when the block ends without error."""
    with Session(engine(url)) as opened, opened.begin():
        yield opened
