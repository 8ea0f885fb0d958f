"""The observatory's consumer: reads what Rasa's event broker received and folds it into our
tables (bot/observatory/fold.py), in batches, each in one transaction of the catalogue
database.

- `sql` (Rasa's SQL event broker, the default of `make run`): the broker's rows are read in
  order from the position stored in `observatory_position`, which moves in the same
  transaction as the rows it produced: a crash replays nothing twice and skips nothing.
  `rebuild()` clears our tables and reads every row again, in one transaction. A catalogue's
  observatory is fed by one broker (all the Rasa servers of a deployment publish into it):
  rows folded from another broker would be lost by a rebuild.
- `pika` (RabbitMQ, for several Rasa servers): messages of the queue are acknowledged after
  the transaction that folded them commits (at least once: after a crash between the two,
  RabbitMQ delivers the batch again, marked `redelivered`). The same transaction keeps the
  fingerprints (SHA-256 of the body) of the batch's messages in the queue's
  `observatory_position` row, and a redelivered message whose fingerprint is there is not
  folded again: a redelivery counts nothing twice. A queue forgets what was acknowledged, so
  there is nothing to rebuild from.

Run by `make run` (bot/runner.py) as `python -m bot.observatory`, or `qp observatory consume`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from bot.observatory.fold import Folder, is_erase_marker
from bot.observatory.sql_broker import SqlBroker
from catalog.models import ObservatoryPosition, ObservedConversation, ObservedRecommendation
from settings import EventBrokerSettings

logger = logging.getLogger(__name__)
BATCH = 2000
POLL_SECONDS = 1.0


class RebuildImpossibleError(RuntimeError):
    """The configured broker keeps nothing to replay; the message is French."""


def source_of(broker: SqlBroker) -> str:
    """The position's name: one per broker database, so that a catalogue fed by another
    broker (another file, another server) starts that one from its first row."""
    return "sql:" + hashlib.sha256(broker.url.encode()).hexdigest()[:32]


def _position(session: Session, broker: SqlBroker) -> ObservatoryPosition:
    source = source_of(broker)
    position = session.get(ObservatoryPosition, source, with_for_update=True)
    if position is None:
        # the one unnamed position of the first version belongs to the configured broker
        legacy = session.get(ObservatoryPosition, "sql", with_for_update=True)
        start = legacy.position if legacy is not None else 0
        if legacy is not None:
            session.delete(legacy)
        position = ObservatoryPosition(source=source, position=start)
        session.add(position)
    return position


def consume_sql_batch(catalog: Engine, broker: SqlBroker, batch: int = BATCH) -> int:
    """Fold the next batch of the SQL broker's rows; how many were read."""
    erased: dict[str, int] = {}
    with Session(catalog) as session, session.begin():
        position = _position(session, broker)
        rows = broker.read(position.position, batch)
        if not rows:
            return 0
        Folder(session).apply_all(row.event for row in rows)
        position.position = rows[-1].id
        for row in rows:
            if is_erase_marker(row.event):
                erased[str(row.event.get("sender_id"))] = row.id
    for sender_id, up_to in erased.items():  # the broker's copy of an erased conversation
        broker.erase(sender_id, up_to)
    return len(rows)


def catch_up(catalog: Engine, broker: SqlBroker, batch: int = BATCH) -> int:
    """Fold every row published so far; how many."""
    total = 0
    while count := consume_sql_batch(catalog, broker, batch):
        total += count
    return total


def rebuild(catalog: Engine, settings: EventBrokerSettings, batch: int = BATCH) -> int:
    """Clear the observatory's tables and fold the SQL broker's rows again from the first, in
    one transaction (the running consumer waits for it); how many events were read."""
    if settings.mode != "sql":
        raise RebuildImpossibleError(
            "Reconstruction impossible : seul le courtier SQL (QP_EVENT_BROKER=sql) garde les "
            "événements déjà lus ; une file RabbitMQ les oublie une fois traités."
        )
    broker = SqlBroker(settings.url)
    total = 0
    try:
        with Session(catalog) as session, session.begin():
            position = _position(session, broker)
            session.execute(delete(ObservedRecommendation))
            session.execute(delete(ObservedConversation))
            folder, last = Folder(session), 0
            while rows := broker.read(last, batch):
                folder.apply_all(row.event for row in rows)
                last = rows[-1].id
                total += len(rows)
                folder.rows.clear()  # keep memory bounded: rows are read back when needed
                folder.shown.clear()
                session.expunge_all()
            position = _position(session, broker)
            position.position = last
    finally:
        broker.dispose()
    return total


def run_sql(catalog: Engine, settings: EventBrokerSettings, stop: threading.Event) -> None:
    broker = SqlBroker(settings.url)
    try:
        while not stop.is_set():
            try:
                if consume_sql_batch(catalog, broker):
                    continue
            except Exception as error:  # noqa: BLE001 - a locked or absent database: retry
                logger.warning("Observatory: batch not folded, retry (%s).", type(error).__name__)
            stop.wait(POLL_SECONDS)
    finally:
        broker.dispose()


def pika_source(settings: EventBrokerSettings) -> str:
    """The position's name for a RabbitMQ queue (its server and name)."""
    return "pika:" + hashlib.sha256(f"{settings.url}|{settings.queue}".encode()).hexdigest()[:32]


def fingerprint(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:24]


def fold_messages(catalog: Engine, messages: list[tuple[bytes, bool]], source: str) -> int:
    """Fold a batch of RabbitMQ messages (each one event as JSON, and whether RabbitMQ says it
    was delivered before) in one transaction; how many events were folded.

    A redelivered message was perhaps folded by a transaction that committed just before a
    crash kept its acknowledgement from leaving: it is skipped when its fingerprint is among
    those kept by the last batches. Those are this batch's, plus, while redelivered messages
    are still coming (a redelivered batch may arrive split in several), the earlier ones: the
    list stays about one batch long."""
    with Session(catalog) as session, session.begin():
        position = session.get(ObservatoryPosition, source, with_for_update=True)
        if position is None:
            position = ObservatoryPosition(source=source, position=0, recent=[])
            session.add(position)
        earlier = list(position.recent or [])
        seen = set(earlier)
        events: list[dict[str, Any]] = []
        prints = []
        for body, redelivered in messages:
            mark = fingerprint(body)
            prints.append(mark)
            if redelivered and mark in seen:
                continue
            try:
                event = json.loads(body)
            except ValueError:
                continue
            if isinstance(event, dict):
                events.append(event)
        Folder(session).apply_all(events)
        redelivery = any(redelivered for _, redelivered in messages)
        position.recent = [*(earlier if redelivery else []), *prints][-4 * BATCH :]
        position.position = (position.position or 0) + len(events)
    return len(events)


def run_pika(
    catalog: Engine,
    settings: EventBrokerSettings,
    stop: threading.Event,
    batch: int = BATCH,
    on_batch: Callable[[int], None] | None = None,
) -> None:
    """Consume the queue until `stop` is set; each batch acknowledged once committed."""
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(settings.url))
    try:
        channel = connection.channel()
        channel.queue_declare(settings.queue, durable=True)  # as Rasa declares it
        channel.basic_qos(prefetch_count=batch)
        pending: list[tuple[int, bytes, bool]] = []
        source = pika_source(settings)

        def flush() -> None:
            if not pending:
                return
            count = fold_messages(
                catalog, [(body, redelivered) for _, body, redelivered in pending], source
            )
            channel.basic_ack(pending[-1][0], multiple=True)
            pending.clear()
            if on_batch is not None:
                on_batch(count)

        for method, _properties, body in channel.consume(
            settings.queue, inactivity_timeout=POLL_SECONDS / 2
        ):
            if method is not None:
                pending.append((method.delivery_tag, body, bool(method.redelivered)))
            if method is None or len(pending) >= batch:
                flush()
            if stop.is_set() and method is None:
                break
        channel.cancel()
    finally:
        connection.close()


def run(catalog: Engine, settings: EventBrokerSettings, stop: threading.Event) -> None:
    """Consume until `stop` is set, reconnecting after a failure of the broker."""
    while not stop.is_set():
        try:
            if settings.mode == "sql":
                run_sql(catalog, settings, stop)
            elif settings.mode == "pika":
                run_pika(catalog, settings, stop)
            else:
                return
        except Exception as error:  # noqa: BLE001 - RabbitMQ away: try again shortly
            logger.warning("Observatory: consumer stopped (%s), restarting.", type(error).__name__)
            stop.wait(5 * POLL_SECONDS)
        else:
            return


def main() -> int:
    """`python -m bot.observatory`: consume with the process's settings until SIGTERM."""
    import signal
    import sys

    from bot import logs
    from catalog import store
    from settings import SettingsError, get_settings

    try:
        settings = get_settings()
    except SettingsError as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 2
    # JSON lines with the other servers' fields (bot/logs.py), or text (QP_LOG_FORMAT)
    logs.configure(settings.observability.log_format)
    if not settings.event_broker.enabled:
        logger.info("Observatoire : aucun courtier d'événements (QP_EVENT_BROKER=off).")
        return 0
    catalog = store.make_engine(settings.catalog.database_url)
    store.migrate(catalog)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    logger.info("Observatoire : lecture du courtier %s.", settings.event_broker.mode)
    started = time.monotonic()
    run(catalog, settings.event_broker, stop)
    logger.info("Observatory: stopped after %.0f s.", time.monotonic() - started)
    catalog.dispose()
    return 0
