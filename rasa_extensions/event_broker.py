"""The event broker Rasa publishes every conversation event to, chosen by one value.

Loaded by the Rasa runtime (.venv-rasa, Python 3.10) from endpoints.yml
(`type: rasa_extensions.event_broker.SelectedEventBroker`); it imports nothing of ours.

Why: endpoints.yml interpolates `${VAR}` inside scalar values only, and an unset variable is an
error, so a section cannot be switched on and off, nor its `type` changed, from the
environment. This class takes the mode as a value (`QP_EVENT_BROKER`, set by the runner):

- `sql`: Rasa's SQL event broker, into the database of `url` (a SQLite file by default),
  writing from a thread of its own in batches (`BatchingSqlEventBroker` below);
- `pika`: Rasa's Pika event broker, to RabbitMQ at `url` (`amqp://user:password@host:port/`),
  publishing to the one queue `queue`;
- `off`: no broker (Rasa publishes nothing).

The observatory's consumer (bot/observatory/) reads what either broker received.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import queue
import threading
import time
from asyncio import AbstractEventLoop
from typing import Any
from urllib.parse import unquote, urlsplit

from rasa.core.brokers.broker import EventBroker
from rasa.core.brokers.sql import SQLEventBroker
from rasa.utils.endpoints import EndpointConfig

from rasa_extensions.tracker_store import keep_sqlite_connections, rasa_url

logger = logging.getLogger(__name__)
MODES = ("sql", "pika", "off")


def pika_config(url: str, queue: str) -> EndpointConfig:
    """The configuration Rasa's PikaEventBroker reads, from one AMQP URL and a queue."""
    parts = urlsplit(url)
    return EndpointConfig(
        url=url,
        username=unquote(parts.username or "guest"),
        password=unquote(parts.password or "guest"),
        port=parts.port or 5672,
        queues=[queue],
    )


_STOP = object()
BATCH = 500  # events in one transaction at the most
RETRIES = (0.1, 0.3, 1.0, 3.0, 10.0)  # seconds between attempts when the database refuses


class BatchingSqlEventBroker(SQLEventBroker):
    """Rasa's SQL event broker, its writes moved off Rasa's event loop and grouped.

    Rasa publishes each event of a turn on its one event loop, and the stock broker opens an
    ORM session, inserts and commits for each: about 36 ms of the Rasa process per form turn,
    as much as the rest of a turn (issue 17, docs/benchmarks.md). Here publish() only
    serialises the event and queues it; one writer thread inserts whatever is queued in one
    transaction (one executemany), in the order Rasa published, so the rows' ids keep Rasa's
    order and the observatory's consumer reads them as before. Rows land within milliseconds;
    the consumer polls every second.

    When the database refuses a batch (locked, restarting), the writer tries again
    (RETRIES), then logs the failure (counts only, never content) and drops that batch: the
    observatory misses those events, the conversation itself is not affected — as with the
    stock broker, whose failure ends the turn instead. What is queued when the process is
    killed outright (SIGKILL) is lost; a normal stop (`close()`, or the interpreter's exit)
    writes it first."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write, name="event-broker", daemon=True)
        self._writer.start()
        atexit.register(self.flush)

    def publish(self, event: dict[str, Any]) -> None:
        self._queue.put({"sender_id": event.get("sender_id"), "data": json.dumps(event)})

    def flush(self) -> None:
        """Write what is queued and stop the writer (idempotent)."""
        if self._writer.is_alive():
            self._queue.put(_STOP)
            self._writer.join()

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.flush)

    def _write(self) -> None:
        stopping = False
        while not stopping:
            batch = [self._queue.get()]
            while len(batch) < BATCH and not self._queue.empty():  # one reader: no race
                batch.append(self._queue.get())
            if _STOP in batch:
                stopping = True
                batch = [row for row in batch if row is not _STOP]
            if batch:
                self._insert(batch)

    def _insert(self, rows: list[dict[str, Any]]) -> None:
        for pause in RETRIES:
            if self._try_insert(rows) is None:
                return
            time.sleep(pause)
        error = self._try_insert(rows)
        if error is not None:
            logger.error(
                "Event broker: %d event(s) could not be written (%s).",
                len(rows),
                type(error).__name__,
            )

    def _try_insert(self, rows: list[dict[str, Any]]) -> Exception | None:
        try:
            with self.engine.begin() as connection:
                connection.execute(self.SQLBrokerEvent.__table__.insert(), rows)
        except Exception as error:  # noqa: BLE001 - the writer must outlive any failure
            return error
        return None


async def _sql_broker_once(url: str) -> tuple[Any, Exception | None]:
    from sqlalchemy.exc import IntegrityError, ProgrammingError

    try:
        return await BatchingSqlEventBroker.from_endpoint_config(EndpointConfig(url=url)), None
    except (IntegrityError, ProgrammingError) as error:
        return None, error


async def sql_broker(url: str, attempts: int = 5) -> Any:
    """Rasa's SQL event broker. Several Rasa processes starting together (`make run-cluster`)
    may each try to create its table: PostgreSQL refuses all but one (a duplicate key on the
    table's type); the others try again once it exists, as Rasa's SQL tracker store does."""
    for attempt in range(1, attempts + 1):
        broker, error = await _sql_broker_once(url)
        if error is None:
            return broker
        if attempt == attempts:
            raise error
        logger.warning("Event broker: its table was being created by another process.")
        await asyncio.sleep(attempt)
    return None


class SelectedEventBroker(EventBroker):
    """Not a broker itself: builds Rasa's SQL or Pika broker, or none, from `mode`."""

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig, event_loop: AbstractEventLoop | None = None
    ) -> Any:
        settings = dict(broker_config.kwargs)
        mode = str(settings.get("mode") or "off").strip().lower()
        url = str(broker_config.url or "")
        if mode not in MODES:
            raise ValueError(f"QP_EVENT_BROKER: {mode!r} is not one of {', '.join(MODES)}")
        if mode == "off":
            logger.info("No event broker: conversation events are not published.")
            return None
        if mode == "sql":
            broker = await sql_broker(rasa_url(url))
            if broker.engine.dialect.name == "sqlite":
                # One sync of the write-ahead log per commit instead of journal and database,
                # the consumer reads while the broker writes, and the writer keeps its
                # connection (issue 17).
                keep_sqlite_connections(broker)
            return broker
        from rasa.core.brokers.pika import PikaEventBroker

        queue = str(settings.get("queue") or "qp_observatoire")
        return await PikaEventBroker.from_endpoint_config(pika_config(url, queue), event_loop)
