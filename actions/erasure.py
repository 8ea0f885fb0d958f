"""Erasing a sender's stored conversation from Rasa's SQL tracker store.

Rasa saves the conversation at the end of each turn, after our action ran: deleting the rows
inside the action would be undone by that save. So the deletion waits, in the background,
until the turn that asked for it has been saved (its `action_listen` is stored), then deletes
every event of the sender. The next message starts a new, empty conversation.

The tracker store is the one the console reads: QP_TRACKER_URL (any SQLAlchemy URL, e.g. the
PostgreSQL store of a production Rasa), else the SQLite file TRACKER_DB that endpoints.yml
gives Rasa.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from sqlalchemy import Connection, create_engine, text

from settings import get_settings

logger = logging.getLogger(__name__)
POLL_SECONDS = 0.3
WAIT_SECONDS = 30.0


def tracker_url() -> str | None:
    """The tracker store's URL; None for a SQLite file that does not exist (nothing stored
    there, and opening it would create an empty one)."""
    url = get_settings().tracker.url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None
    return url


def _turn_saved(connection: Connection, sender_id: str, action_name: str) -> bool:
    last_request = connection.execute(
        text("select max(id) from events where sender_id = :s and action_name = :a"),
        {"s": sender_id, "a": action_name},
    ).scalar()
    if last_request is None:
        return False
    listens_after = connection.execute(
        text(
            "select count(*) from events where sender_id = :s and id > :i "
            "and action_name = 'action_listen'"
        ),
        {"s": sender_id, "i": last_request},
    ).scalar_one()
    return int(listens_after) > 0


def erase_conversation_now(url: str, sender_id: str) -> int:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            return (
                connection.execute(
                    text("delete from events where sender_id = :s"), {"s": sender_id}
                ).rowcount
                or 0
            )
    finally:
        engine.dispose()


async def erase_conversation_after_turn(sender_id: str, action_name: str) -> bool:
    """Wait for the current turn to be saved, then delete the conversation. True if done."""
    url = tracker_url()
    if not url:
        logger.warning("Tracker store file absent (TRACKER_DB): conversation not erased.")
        return False
    engine = create_engine(url)
    try:
        waited = 0.0
        while waited < WAIT_SECONDS:
            with engine.connect() as connection:
                if _turn_saved(connection, sender_id, action_name):
                    break
            await asyncio.sleep(POLL_SECONDS)
            waited += POLL_SECONDS
        with engine.begin() as connection:
            connection.execute(text("delete from events where sender_id = :s"), {"s": sender_id})
        logger.info("A conversation was erased at its owner's request.")
        return True
    except Exception:
        # Never break the action server; say it in the logs.
        logger.exception("Erasing a conversation failed.")
        return False
    finally:
        engine.dispose()


def schedule_erasure(sender_id: str, action_name: str) -> asyncio.Task[bool] | None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    return loop.create_task(erase_conversation_after_turn(sender_id, action_name))
