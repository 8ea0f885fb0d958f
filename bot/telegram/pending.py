"""Messages waiting for Rasa, in arrival order, kept across restarts.

Every message goes through this queue (written before Rasa is called, removed once Rasa has
answered), so a message is lost neither when Rasa is down nor when the bridge stops mid-way.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PendingMessage:
    id: int
    chat_id: int
    text: str
    metadata: dict[str, Any]
    created: float
    attempts: int


class PendingQueue:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    def push(self, chat_id: int, text: str, metadata: dict[str, Any]) -> int:
        cursor = self._db.execute(
            "INSERT INTO pending (chat_id, text, metadata, created) VALUES (?, ?, ?, ?)",
            (chat_id, text, json.dumps(metadata, ensure_ascii=False), time.time()),
        )
        return int(cursor.lastrowid or 0)

    def first(self, chat_id: int) -> PendingMessage | None:
        row = self._db.execute(
            "SELECT * FROM pending WHERE chat_id = ? ORDER BY id LIMIT 1", (chat_id,)
        ).fetchone()
        if row is None:
            return None
        return PendingMessage(
            row["id"],
            row["chat_id"],
            row["text"],
            json.loads(row["metadata"]),
            row["created"],
            row["attempts"],
        )

    def contains(self, message_id: int) -> bool:
        return (
            self._db.execute("SELECT 1 FROM pending WHERE id = ?", (message_id,)).fetchone()
            is not None
        )

    def failed(self, message_id: int) -> None:
        self._db.execute("UPDATE pending SET attempts = attempts + 1 WHERE id = ?", (message_id,))

    def remove(self, message_id: int) -> None:
        self._db.execute("DELETE FROM pending WHERE id = ?", (message_id,))

    def chats(self) -> list[int]:
        """Chats with messages waiting, the one waiting longest first."""
        rows = self._db.execute(
            "SELECT chat_id, MIN(id) AS oldest FROM pending GROUP BY chat_id ORDER BY oldest"
        )
        return [row["chat_id"] for row in rows]

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM pending").fetchone()[0])

    def forget_chat(self, chat_id: int) -> None:
        self._db.execute("DELETE FROM pending WHERE chat_id = ?", (chat_id,))
