"""The bridge's own small state: one SQLite file (by default var/telegram.sqlite).

It holds what must survive a restart: the callback ids of the inline keyboards already sent
and the messages still waiting for Rasa. The conversation itself lives in Rasa's tracker store.
Every access happens on the event loop's thread; each statement is a few microseconds.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS callbacks (
    id         TEXT PRIMARY KEY,      -- what Telegram sends back as callback_data
    keyboard   TEXT NOT NULL,         -- the buttons of one keyboard share it
    chat_id    INTEGER NOT NULL,
    title      TEXT NOT NULL,
    payload    TEXT NOT NULL,         -- what Rasa receives when the button is pressed
    created    REAL NOT NULL,
    used       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS callbacks_keyboard ON callbacks (keyboard);
CREATE INDEX IF NOT EXISTS callbacks_chat ON callbacks (chat_id);
CREATE TABLE IF NOT EXISTS pending (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,   -- delivery order
    chat_id    INTEGER NOT NULL,
    text       TEXT NOT NULL,
    metadata   TEXT NOT NULL,         -- JSON
    created    REAL NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS pending_chat ON pending (chat_id, id);
"""


def open_state(path: Path | str) -> sqlite3.Connection:
    """Open (creating if needed) the state file; ":memory:" gives a throw-away state."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(str(path), isolation_level=None)  # autocommit
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA journal_mode=WAL")
    connection.executescript(SCHEMA)
    return connection


def purge_state(connection: sqlite3.Connection, buttons_before: float, waiting_before: float):
    """Delete the keyboards sent before `buttons_before` and the messages waiting for Rasa
    since before `waiting_before` (seconds since the epoch); returns both counts."""
    buttons = connection.execute("DELETE FROM callbacks WHERE created < ?", (buttons_before,))
    waiting = connection.execute("DELETE FROM pending WHERE created < ?", (waiting_before,))
    return buttons.rowcount, waiting.rowcount
