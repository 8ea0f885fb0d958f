"""The event broker Rasa publishes every conversation event to, chosen by one value.

Loaded by the Rasa runtime (.venv-rasa, Python 3.10) from endpoints.yml
(`type: rasa_extensions.event_broker.SelectedEventBroker`); it imports nothing of ours.

Why: endpoints.yml interpolates `${VAR}` inside scalar values only, and an unset variable is an
error, so a section cannot be switched on and off, nor its `type` changed, from the
environment. This class takes the mode as a value (`QP_EVENT_BROKER`, set by the runner):

- `sql`: Rasa's SQL event broker, into the database of `url` (a SQLite file by default);
- `pika`: Rasa's Pika event broker, to RabbitMQ at `url` (`amqp://user:password@host:port/`),
  publishing to the one queue `queue`;
- `off`: no broker (Rasa publishes nothing).

The observatory's consumer (bot/observatory/) reads what either broker received.
"""

from __future__ import annotations

import asyncio
import logging
from asyncio import AbstractEventLoop
from typing import Any
from urllib.parse import unquote, urlsplit

from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from rasa_extensions.tracker_store import rasa_url, write_ahead_log

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


async def _sql_broker_once(url: str) -> tuple[Any, Exception | None]:
    from rasa.core.brokers.sql import SQLEventBroker
    from sqlalchemy.exc import IntegrityError, ProgrammingError

    try:
        return await SQLEventBroker.from_endpoint_config(EndpointConfig(url=url)), None
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
                # Rasa commits once per event, several per turn, on its one event loop: one
                # sync of the write-ahead log each instead of journal and database (issue 17).
                write_ahead_log(broker.engine)
            return broker
        from rasa.core.brokers.pika import PikaEventBroker

        queue = str(settings.get("queue") or "qp_observatoire")
        return await PikaEventBroker.from_endpoint_config(pika_config(url, queue), event_loop)
