"""Rasa's SQL tracker store, made safe for erasure: it writes only what a turn added, and it
erases a conversation inside the save of the turn that asked for it.

Loaded by the Rasa runtime (.venv-rasa, Python 3.10) from endpoints.yml
(`type: rasa_extensions.tracker_store.ErasingSQLTrackerStore`, `url: <SQLAlchemy URL>`); it
imports nothing of ours.

Why: Rasa's SQLTrackerStore.save() writes « the events it thinks are missing »: the tracker's
events beyond the number of rows it finds for the sender. When rows are deleted while a turn
is in flight (an erasure, the retention purge), that turn writes the whole conversation back.
Here:

- Each tracker read from the store remembers how many events it was read with; save() writes
  only the events added since (a tracker this store did not read is saved as Rasa would).
- Erasure: when the events a turn added contain the erase marker — a bot message whose custom
  payload is `{"data": {"effacement": ...}}`, which only an action can produce (the erase
  action, actions/session.py) — save() deletes every event of the sender and writes nothing,
  in one transaction. Rasa calls save() while it holds its lock for that sender (Agent.
  handle_message), so no other turn of that sender runs meanwhile, and the next one starts an
  empty conversation.
- A failure to delete propagates: the erase action has recorded a pending erasure that
  `qp purge` completes.
- The database unreachable (stopped, restarting): reading or saving raises StoreUnavailable,
  which Rasa's FailSafeTrackerStore does not catch — it would answer the turn as the start of
  an empty conversation and keep it in memory only, lost at the next restart. The turn stops
  there and the channel tells the person to send the message again (channels.py). Pooled
  connections are tested before use, so the first turn after a restart of the database works.
- On SQLite the file is put in write-ahead-log mode — one sync per turn's commit instead of
  two or more, and readers (the console) do not wait for Rasa's writes — and connections are
  kept from one turn to the next instead of opened and closed each time.
- Cheaper turns (issue 17, measured with `make profile`: the store was 45 % of Rasa's samples
  under load). Rasa's save() re-read the whole conversation from the database only to know
  which events to publish to the event broker; the count remembered at read time says the
  same, so the turn's events are published without that second read. And Rasa rebuilt each
  stored event by walking every subclass of Event to find its class by name (once per event,
  per read); the classes are looked up in a table built once.
- The trackers last saved are kept in memory (the RECENT_TRACKERS most recent): the next turn
  of the same person starts from it instead of reading and replaying the whole conversation,
  after one indexed query shows that the database holds exactly what this process saved
  (same number of rows for the sender, same last row). Anything else — another replica wrote
  a turn, the retention purge or an erasure deleted rows, a turn failed before its save, a new
  session started — and the conversation is read from the database as before. A kept tracker
  is handed out once (the turn that takes it saves it back), so no two turns share one.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import BotUttered, Event, Restarted, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import all_subclasses
from sqlalchemy import bindparam, create_engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

logger = logging.getLogger(__name__)

# The contract with the erase action (actions/session.py) and the clients (widget, Telegram
# bridge): the key of the erase confirmation's custom payload, under "data" (socket.io emits
# the custom payload's keys as the arguments of `emit`, "data" being the message).
ERASE_MARKER = "effacement"
_STORED = "_qp_stored_events"  # attribute set on the trackers this store read or saved
# The sender's rows in the database when this store read or saved the tracker: (count, last id).
_MARK = "_qp_stored_mark"
# How many recently saved trackers are kept in memory (a few MB; see the module's docstring).
RECENT_TRACKERS = 256

# Our catalogue speaks SQLAlchemy 2 with psycopg 3; Rasa's SQLAlchemy 1.4 has psycopg2.
_DRIVERS = {"postgresql+psycopg://": "postgresql+psycopg2://", "postgres://": "postgresql://"}


def rasa_url(url: str) -> str:
    """The same database in the dialect names Rasa's SQLAlchemy 1.4 knows."""
    for ours, theirs in _DRIVERS.items():
        if url.startswith(ours):
            return theirs + url[len(ours) :]
    return url


def keep_sqlite_connections(holder: Any) -> None:
    """Moves a SQL tracker store or event broker of Rasa (its `engine` and `sessionmaker`) on a
    SQLite file to an engine that keeps its connections, in write-ahead-log mode; the engine
    Rasa made is disposed of (Rasa's constructors take no pool settings).

    - Kept connections: SQLAlchemy 1.4 (Rasa's) opens and closes a new SQLite connection for
      every session on a file; closing the last one checkpoints the log. That was 4 % of the
      Rasa process's samples under load (`make profile`, issue 17). A QueuePool keeps them, as
      SQLAlchemy 2 does by default for files; a connection may move between threads (one
      at a time: the pool hands each to one user).
    - Write-ahead log (kept by the file): a commit appends to the log and syncs it once,
      instead of syncing a rollback journal and then the database — each turn's save blocked
      Rasa's event loop about twice as long — and the console reads while Rasa writes.
      Commits stay synced (synchronous=FULL), erasures included."""
    kept = create_engine(
        holder.engine.url,
        poolclass=QueuePool,
        pool_size=2,
        max_overflow=8,
        connect_args={"check_same_thread": False},
    )
    holder.engine.dispose()
    with kept.connect() as connection:
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")
    holder.engine, holder.sessionmaker = kept, sessionmaker(bind=kept)


def is_erase_marker(event: Event) -> bool:
    if not isinstance(event, BotUttered):
        return False
    custom = (event.data or {}).get("custom")
    data = custom.get("data") if isinstance(custom, dict) else None
    return isinstance(data, dict) and bool(data.get(ERASE_MARKER))


class _EventTypes:
    """Event classes by type name, as Rasa's Event.resolve_by_type finds them (first match in
    the subclass walk), computed once instead of once per stored event."""

    _classes: dict[str, type[Event]] | None = None

    @classmethod
    def deserialise(cls, serialised: list[dict[str, Any]]) -> list[Event]:
        if cls._classes is None:
            classes: dict[str, type[Event]] = {}
            for subclass in all_subclasses(Event):
                classes.setdefault(subclass.type_name, subclass)
            cls._classes = classes
        events = []
        for parameters in serialised:
            if "event" not in parameters:
                continue
            known = cls._classes.get(parameters["event"])
            # an unknown name goes Rasa's way (its backward-compatible cases, its error)
            if known:
                event = known._from_parameters(parameters)
            else:
                event = Event.from_parameters(parameters)
            if event:
                events.append(event)
        return events


class StoreUnavailable(BaseException):
    """The conversation store could not be read or written. A BaseException, so that Rasa's
    FailSafeTrackerStore (which catches Exception) lets it through to the channel."""


class ErasingSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that writes only each turn's own events and erases on the marker."""

    def __init__(self, domain: Any = None, host: str | None = None, **kwargs: Any) -> None:
        url = kwargs.pop("url", None) or host
        super().__init__(domain=domain, host=rasa_url(url) if url else None, **kwargs)
        if self.engine.dialect.name == "sqlite":
            keep_sqlite_connections(self)
        # A connection is tested before use: after the database restarted, the next turn gets
        # a fresh connection instead of failing on a dead one (SQLAlchemy's pool_pre_ping,
        # which Rasa's store does not pass to create_engine).
        self.engine.pool._pre_ping = True
        self._recent: OrderedDict[str, DialogueStateTracker] = OrderedDict()
        self._table = table = self.SQLEvent.__table__
        self._mark_query = select(func.count(table.c.id), func.max(table.c.id)).where(
            table.c.sender_id == bindparam("sender_id")
        )

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The latest session: the tracker this process saved last, if the database still holds
        exactly that, else read from the database."""
        kept = self._recent.pop(sender_id, None)
        if kept is not None:
            try:
                with self.session_scope() as session:
                    current = self._mark(session, sender_id)
            except SQLAlchemyError as error:
                logger.error("conversation store unreachable on read (%s)", type(error).__name__)
                raise StoreUnavailable from error
            unchanged = len(kept.events) == getattr(kept, _STORED, None)
            if unchanged and current == getattr(kept, _MARK, None):
                return kept
        return await self._retrieve(sender_id, fetch_events_from_all_sessions=False)

    def init_tracker(self, sender_id: str) -> DialogueStateTracker:
        """A new conversation, which the database should not hold yet (its save checks)."""
        tracker = super().init_tracker(sender_id)
        setattr(tracker, _MARK, (0, None))
        return tracker

    def _mark(self, session: Any, sender_id: str) -> tuple[int, int | None]:
        """How many rows the sender has, and the last one's id (one indexed query, built once:
        an ORM query built for each call cost more than the query itself)."""
        count, last = session.execute(self._mark_query, {"sender_id": sender_id}).one()
        return int(count), last

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        try:
            tracker = self._read(sender_id, fetch_events_from_all_sessions)
        except SQLAlchemyError as error:
            logger.error("conversation store unreachable on read (%s)", type(error).__name__)
            raise StoreUnavailable from error
        if tracker is not None:
            setattr(tracker, _STORED, len(tracker.events))
        return tracker

    def _read(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        """SQLTrackerStore._retrieve, with the event classes looked up once, and the mark of
        what was read (same transaction)."""
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions).all()
            serialised = [json.loads(row.data) for row in rows]
            mark = self._mark(session, sender_id)
        if not self.domain or not serialised:
            return None
        tracker = DialogueStateTracker.from_events(
            sender_id, _EventTypes.deserialise(serialised), self.domain.slots
        )
        setattr(tracker, _MARK, mark)
        return tracker

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Publishes the turn's events: those after the count this store read the tracker with
        (Rasa re-read the conversation to find them; TrackerEventDiffEngine takes the same
        slice). A tracker this store did not read is published as Rasa would."""
        stored = getattr(tracker, _STORED, None)
        if self.event_broker is None or stored is None or stored > len(tracker.events):
            await super().stream_events(tracker)
            return
        new_events = list(itertools.islice(tracker.events, stored, len(tracker.events)))
        await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        stored = getattr(tracker, _STORED, None)
        if stored is None or stored > len(tracker.events):
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, stored, len(tracker.events))

    async def save(self, tracker: DialogueStateTracker) -> None:
        try:
            await self._save(tracker)
        except SQLAlchemyError as error:
            logger.error("conversation store unreachable on save (%s)", type(error).__name__)
            raise StoreUnavailable from error

    async def _save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        sender_id = tracker.sender_id
        self._recent.pop(sender_id, None)
        mark = None
        with self.session_scope() as session:
            events = list(self._additional_events(session, tracker))
            if any(is_erase_marker(event) for event in events):
                deleted = (
                    session.query(self.SQLEvent)
                    .filter(self.SQLEvent.sender_id == sender_id)
                    .delete(synchronize_session=False)
                )
                session.commit()
                logger.info(
                    "A conversation was erased at its owner's request (%d events).", deleted
                )
            else:
                before = self._mark(session, sender_id)
                last = self._insert(session, [self._row(sender_id, event) for event in events])
                session.commit()
                if before == getattr(tracker, _MARK, None):
                    # the database held what this tracker was read or saved with: it now holds
                    # exactly the tracker
                    mark = (before[0] + len(events), last if events else before[1])
        setattr(tracker, _STORED, len(tracker.events))
        setattr(tracker, _MARK, mark)
        new_session = any(isinstance(event, (SessionStarted, Restarted)) for event in events)
        if mark is not None and not new_session:
            # a new session is read back without the previous one: read it from the database
            self._recent[sender_id] = tracker
            if len(self._recent) > RECENT_TRACKERS:
                self._recent.popitem(last=False)

    def _insert(self, session: Any, rows: list[dict[str, Any]]) -> int | None:
        """Inserts the rows in their order and gives the last one's id: all but the last in one
        statement, the last alone for its id (the ORM inserted them one by one, each as an
        object to track)."""
        if not rows:
            return None
        if len(rows) > 1:
            session.execute(self._table.insert(), rows[:-1])
        return session.execute(self._table.insert(), rows[-1]).inserted_primary_key[0]

    @staticmethod
    def _row(sender_id: str, event: Event) -> dict[str, Any]:
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }
