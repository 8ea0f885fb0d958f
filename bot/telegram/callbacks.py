"""Short callback ids for inline buttons, mapped to the Rasa payloads on our side.

Telegram limits `callback_data` to 64 bytes, and payloads such as
`/informer{"secteur":"sante_social"}` may exceed it; they also should not travel through
Telegram's servers when they need not. Each button gets a random 11-character id instead.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from dataclasses import dataclass

MAX_CALLBACK_BYTES = 64
KEEP_SECONDS = 30 * 24 * 3600  # keyboards older than this are forgotten


@dataclass(frozen=True)
class Choice:
    title: str
    payload: str
    keyboard: str
    used: bool


def new_id() -> str:
    return secrets.token_urlsafe(8)  # 11 characters of [A-Za-z0-9_-]


class CallbackMap:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    def register(self, chat_id: int, buttons: list[tuple[str, str]]) -> list[str]:
        """Store one keyboard's (title, payload) pairs; return their callback ids, in order."""
        keyboard = new_id()
        ids = [new_id() for _ in buttons]
        now = time.time()
        self._db.executemany(
            "INSERT INTO callbacks (id, keyboard, chat_id, title, payload, created)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (cid, keyboard, chat_id, title, payload, now)
                for cid, (title, payload) in zip(ids, buttons, strict=True)
            ],
        )
        return ids

    def resolve(self, chat_id: int, callback_id: str) -> Choice | None:
        """The choice behind an id pressed in this chat; None if forgotten or of another chat."""
        row = self._db.execute(
            "SELECT title, payload, keyboard, used FROM callbacks WHERE id = ? AND chat_id = ?",
            (callback_id, chat_id),
        ).fetchone()
        if row is None:
            return None
        return Choice(row["title"], row["payload"], row["keyboard"], bool(row["used"]))

    def mark_used(self, keyboard: str) -> None:
        """A choice was made: every button of that keyboard is spent."""
        self._db.execute("UPDATE callbacks SET used = 1 WHERE keyboard = ?", (keyboard,))

    def forget_chat(self, chat_id: int) -> None:
        self._db.execute("DELETE FROM callbacks WHERE chat_id = ?", (chat_id,))

    def purge(self, older_than: float = KEEP_SECONDS) -> int:
        cursor = self._db.execute(
            "DELETE FROM callbacks WHERE created < ?", (time.time() - older_than,)
        )
        return cursor.rowcount
