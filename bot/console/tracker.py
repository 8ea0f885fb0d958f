"""Read-only access to Rasa's SQL tracker store (the `events` table Rasa 3.6 writes).

Rasa's SQLTrackerStore keeps one row per event: `id`, `sender_id`, `type_name` (user, bot,
action, slot, active_loop, session_started…), `timestamp` (seconds since the epoch, UTC),
`intent_name` (user events), `action_name` (the event's "name": the action, the loop, and for
slot events the slot's name) and `data`, the event as JSON text (`event.as_dict()`).

The list of conversations is one SQL query: an aggregate per sender (times, counts, flags, the
ids of the events holding the territory) joined back to those few events by primary key, with
the JSON fields read by the database (SQLite json_extract, PostgreSQL json_extract_path_text).
Nothing here writes: SQLite files are opened read-only and never created.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import (
    JSON,
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    case,
    cast,
    create_engine,
    func,
    inspect,
    or_,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from catalog.profile import FIELDS, TERRITORY_IDS

FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTIONS = ("action_reformuler", "action_default_fallback")
HANDOFF_LOOP = "handoff_form"
CONTACT_INTENT = "demander_contact"
TERRITORY_SLOT = "territoire"
PROFILE_SLOTS = tuple(FIELDS)
# Rasa's and the form's bookkeeping, of no use to an advisor reading a conversation.
HIDDEN_SLOTS = (
    "requested_slot",
    "session_started_metadata",
    "champs_demandes",
    "champs_ignores",
    "rappel_en_attente",
)
QUIET_ACTIONS = ("action_listen", "action_session_start")
PAGE_SIZE = 50
try:
    LOCAL_TIME = ZoneInfo("Europe/Paris")
except ZoneInfoNotFoundError:  # no time zone database: show UTC
    LOCAL_TIME = UTC

_metadata = MetaData()
EVENTS = Table(
    "events",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


class TrackerUnavailableError(RuntimeError):
    """The tracker store cannot be read; the message is French and safe to show."""


# --- what the pages show ---------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    sender_id: str
    channel: str | None
    first_at: datetime
    last_at: datetime
    user_messages: int
    territory: str | None
    fallback: bool
    handoff: bool


@dataclass(frozen=True)
class Listing:
    conversations: list[Summary]
    total: int
    page: int
    pages: int
    empty_store: bool = False  # no tracker database (yet): nobody talked to the assistant


@dataclass
class Entity:
    entity: str
    value: Any
    text: str
    extractor: str | None
    confidence: float | None = None
    start: int | None = None  # offsets in the message's text
    end: int | None = None


@dataclass
class UserMessage:
    event_id: int
    at: datetime
    timestamp: float
    text: str
    intent: str | None
    confidence: float | None
    ranking: list[tuple[str, float]]  # the next intents after the chosen one
    entities: list[Entity]
    territory: str | None  # from the message's metadata
    channel: str | None

    @property
    def fallback(self) -> bool:
        return self.intent == FALLBACK_INTENT

    @property
    def is_button(self) -> bool:
        """A button's payload (« /informer{…} »), not a typed text."""
        return self.text.startswith("/")


@dataclass
class BotMessage:
    at: datetime
    text: str
    buttons: list[dict[str, str]]


@dataclass
class Turn:
    user: UserMessage | None
    bot: list[BotMessage] = field(default_factory=list)
    slots: list[tuple[str, Any]] = field(default_factory=list)  # set during this turn
    actions: list[str] = field(default_factory=list)


@dataclass
class Conversation:
    sender_id: str
    turns: list[Turn]
    slots: dict[str, Any]  # the last value of each slot
    territory: str | None
    channel: str | None
    first_at: datetime
    last_at: datetime
    fallback: bool
    handoff: bool

    @property
    def user_messages(self) -> int:
        return sum(1 for turn in self.turns if turn.user)

    @property
    def profile(self) -> dict[str, Any]:
        """The profile fields (contract §1) known so far."""
        return {
            name: self.slots[name]
            for name in PROFILE_SLOTS
            if self.slots.get(name) not in (None, [])
        }

    def user_message(self, event_id: int) -> UserMessage | None:
        return next(
            (turn.user for turn in self.turns if turn.user and turn.user.event_id == event_id), None
        )


@dataclass(frozen=True)
class Filters:
    territory: str | None = None  # one territory id; NO_TERRITORY: the unplaced ones
    since: date | None = None
    until: date | None = None
    fallback: bool = False
    handoff: bool = False


NO_TERRITORY = "aucun"


def territory_of(slot_value: Any, metadata_territory: Any) -> str | None:
    """The last `territoire` slot value (one of the 14 ids), else the metadata's territory."""
    if slot_value in TERRITORY_IDS:
        return slot_value
    if metadata_territory in TERRITORY_IDS:
        return metadata_territory
    return None


def local_time(timestamp: float | None) -> datetime:
    return datetime.fromtimestamp(timestamp or 0.0, tz=UTC).astimezone(LOCAL_TIME)


def _day_start(day: date) -> float:
    return datetime.combine(day, time.min, tzinfo=LOCAL_TIME).timestamp()


# --- the database -------------------------------------------------------------------------


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for another database)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    return Path(parsed.database or ":memory:")


@lru_cache(maxsize=4)
def _engine(url: str) -> Engine:
    path = _sqlite_file(url)
    if path is not None:  # read-only: never create nor change Rasa's file
        resolved = path.resolve()
        return create_engine(
            "sqlite://",
            poolclass=NullPool,
            creator=lambda: sqlite3.connect(
                f"file:{resolved}?mode=ro", uri=True, check_same_thread=False
            ),
        )
    return create_engine(url, pool_pre_ping=True)


def _open(url: str) -> Engine | None:
    """The engine, or None when there is nothing yet (no SQLite file, no events table);
    TrackerUnavailableError when the store cannot be read."""
    path = _sqlite_file(url)
    if path is not None and not path.is_file():
        return None
    engine = _engine(url)
    try:
        if not inspect(engine).has_table("events"):
            return None
    except SQLAlchemyError as error:
        raise TrackerUnavailableError(
            "Les conversations enregistrées sont illisibles pour le moment "
            "(base des conversations injoignable)."
        ) from error
    return engine


def _json_text(dialect: str, column: Any, *path: str) -> Any:
    """A JSON field of a text column, as text, in the database's own dialect."""
    if dialect == "sqlite":
        return func.json_extract(column, "$." + ".".join(path))
    if dialect == "postgresql":
        return func.json_extract_path_text(cast(column, JSON), *path)
    return func.json_unquote(func.json_extract(column, "$." + ".".join(path)))  # MySQL


def list_conversations(
    url: str,
    scope: tuple[str, ...] | None,
    filters: Filters = Filters(),
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> Listing:
    """The conversations in `scope` (territory ids; None: all, including the unplaced ones),
    newest first, filtered, one page of them."""
    engine = _open(url)
    if engine is None:
        return Listing([], 0, 1, 1, empty_store=True)
    e = EVENTS
    dialect = engine.dialect.name
    is_user = e.c.type_name == "user"
    fallback = or_(
        and_(is_user, e.c.intent_name == FALLBACK_INTENT),
        and_(e.c.type_name == "action", e.c.action_name.in_(FALLBACK_ACTIONS)),
    )
    handoff = or_(
        and_(e.c.type_name == "active_loop", e.c.action_name == HANDOFF_LOOP),
        and_(is_user, e.c.intent_name == CONTACT_INTENT),
    )
    territory_slot = and_(
        e.c.type_name == "slot",
        e.c.action_name == TERRITORY_SLOT,
        _json_text(dialect, e.c.data, "value").is_not(None),
    )
    territory_meta = and_(
        is_user,
        e.c.data.like('%"territory"%'),
        _json_text(dialect, e.c.data, "metadata", "territory").is_not(None),
    )
    per_sender = (
        select(
            e.c.sender_id,
            func.min(e.c.timestamp).label("first_at"),
            func.max(e.c.timestamp).label("last_at"),
            func.sum(case((is_user, 1), else_=0)).label("user_messages"),
            func.max(case((fallback, 1), else_=0)).label("fallback"),
            func.max(case((handoff, 1), else_=0)).label("handoff"),
            func.max(case((territory_slot, e.c.id))).label("slot_id"),
            func.max(case((territory_meta, e.c.id))).label("meta_id"),
            func.min(case((is_user, e.c.id))).label("first_user_id"),
        )
        .group_by(e.c.sender_id)
        .having(func.sum(case((is_user, 1), else_=0)) > 0)
    )
    if filters.since:
        per_sender = per_sender.having(func.max(e.c.timestamp) >= _day_start(filters.since))
    if filters.until:
        per_sender = per_sender.having(
            func.min(e.c.timestamp) < _day_start(filters.until + timedelta(days=1))
        )
    if filters.fallback:
        per_sender = per_sender.having(func.max(case((fallback, 1), else_=0)) == 1)
    if filters.handoff:
        per_sender = per_sender.having(func.max(case((handoff, 1), else_=0)) == 1)
    agg = per_sender.subquery("agg")
    slot, meta, first = (
        EVENTS.alias("slot_event"),
        EVENTS.alias("meta_event"),
        EVENTS.alias("first_user"),
    )
    query = (
        select(
            agg,
            _json_text(dialect, slot.c.data, "value").label("slot_value"),
            _json_text(dialect, meta.c.data, "metadata", "territory").label("meta_territory"),
            _json_text(dialect, first.c.data, "input_channel").label("channel"),
        )
        .select_from(
            agg.outerjoin(slot, slot.c.id == agg.c.slot_id)
            .outerjoin(meta, meta.c.id == agg.c.meta_id)
            .outerjoin(first, first.c.id == agg.c.first_user_id)
        )
        .order_by(agg.c.last_at.desc(), agg.c.sender_id)
    )
    try:
        with engine.connect() as connection:
            rows = connection.execute(query).all()
    except SQLAlchemyError as error:
        raise TrackerUnavailableError(
            "Les conversations enregistrées sont illisibles pour le moment "
            "(base des conversations injoignable)."
        ) from error
    found = []
    for row in rows:
        territory = territory_of(row.slot_value, row.meta_territory)
        if scope is not None and territory not in scope:
            continue
        if filters.territory == NO_TERRITORY and territory is not None:
            continue
        if filters.territory not in (None, NO_TERRITORY) and territory != filters.territory:
            continue
        found.append(
            Summary(
                row.sender_id,
                row.channel,
                local_time(row.first_at),
                local_time(row.last_at),
                int(row.user_messages or 0),
                territory,
                bool(row.fallback),
                bool(row.handoff),
            )
        )
    pages = max(1, -(-len(found) // page_size))
    page = min(max(1, page), pages)
    return Listing(found[(page - 1) * page_size : page * page_size], len(found), page, pages)


def read_conversation(url: str, sender_id: str) -> Conversation | None:
    """One conversation as turns (None if the store holds nothing for this sender)."""
    engine = _open(url)
    if engine is None:
        return None
    e = EVENTS
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(e.c.id, e.c.type_name, e.c.timestamp, e.c.data)
                .where(e.c.sender_id == sender_id)
                .order_by(e.c.id)
            ).all()
    except SQLAlchemyError as error:
        raise TrackerUnavailableError(
            "Cette conversation est illisible pour le moment (base des conversations injoignable)."
        ) from error
    if not rows:
        return None
    return build_conversation(sender_id, [(r.id, r.type_name, r.timestamp, r.data) for r in rows])


# --- from events to turns ----------------------------------------------------------------


def _load(data: str | None) -> dict[str, Any]:
    try:
        loaded = json.loads(data or "{}")
    except (TypeError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _user_message(event_id: int, timestamp: float, event: dict[str, Any]) -> UserMessage:
    parse = event.get("parse_data") or {}
    intent = parse.get("intent") or {}
    name = intent.get("name")
    ranking = [
        (str(r.get("name")), float(r.get("confidence") or 0.0))
        for r in parse.get("intent_ranking") or ()
        if isinstance(r, dict)
    ]
    entities = [
        Entity(
            str(found.get("entity")),
            found.get("value"),
            str(found.get("text") or _span(event.get("text") or "", found)),
            found.get("extractor"),
            found.get("confidence_entity"),
            _offset(found.get("start")),
            _offset(found.get("end")),
        )
        for found in parse.get("entities") or ()
        if isinstance(found, dict)
    ]
    metadata = event.get("metadata") or {}
    return UserMessage(
        event_id=event_id,
        at=local_time(timestamp),
        timestamp=timestamp or 0.0,
        text=str(event.get("text") or ""),
        intent=name,
        confidence=float(intent["confidence"]) if intent.get("confidence") is not None else None,
        ranking=[item for item in ranking if item[0] != name][:2],
        entities=entities,
        territory=metadata.get("territory") if isinstance(metadata, dict) else None,
        channel=event.get("input_channel"),
    )


def _offset(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _span(text: str, found: dict[str, Any]) -> str:
    try:
        return text[int(found["start"]) : int(found["end"])]
    except (KeyError, TypeError, ValueError):
        return ""


def build_conversation(
    sender_id: str, rows: list[tuple[int, str, float | None, str | None]]
) -> Conversation:
    """Turns from the sender's events (id, type_name, timestamp, data), in order."""
    turns: list[Turn] = []
    slots: dict[str, Any] = {}
    fallback = handoff = False
    channel = meta_territory = None
    current: Turn | None = None

    def turn() -> Turn:
        nonlocal current
        if current is None:
            current = Turn(None)
            turns.append(current)
        return current

    for event_id, type_name, timestamp, data in rows:
        event = _load(data)
        if type_name == "user":
            message = _user_message(event_id, timestamp or 0.0, event)
            current = Turn(message)
            turns.append(current)
            fallback |= message.fallback
            handoff |= message.intent == CONTACT_INTENT
            channel = channel or message.channel
            if message.territory in TERRITORY_IDS:
                meta_territory = message.territory
        elif type_name == "bot":
            extra = event.get("data") or {}
            buttons = [
                {"title": str(b.get("title") or ""), "payload": str(b.get("payload") or "")}
                for b in extra.get("buttons") or ()
                if isinstance(b, dict)
            ]
            text = event.get("text")
            if text or buttons:
                turn().bot.append(BotMessage(local_time(timestamp), str(text or ""), buttons))
        elif type_name == "slot":
            name = str(event.get("name"))
            if name in HIDDEN_SLOTS:
                continue
            if name in slots and slots[name] == event.get("value"):
                continue  # the form confirming what NLU had already set
            slots[name] = event.get("value")
            turn().slots.append((name, event.get("value")))
        elif type_name in ("restart", "reset_slots"):
            slots.clear()
        elif type_name == "action":
            name = str(event.get("name"))
            fallback |= name in FALLBACK_ACTIONS
            if name not in QUIET_ACTIONS:
                turn().actions.append(name)
        elif type_name == "active_loop":
            handoff |= event.get("name") == HANDOFF_LOOP
    territory_slot = next(
        (
            value
            for name, value in reversed([item for t in turns for item in t.slots])
            if name == TERRITORY_SLOT and value is not None
        ),
        None,
    )
    times = [r[2] for r in rows if r[2] is not None]
    return Conversation(
        sender_id=sender_id,
        turns=turns,
        slots=slots,
        territory=territory_of(territory_slot, meta_territory),
        channel=channel,
        first_at=local_time(min(times) if times else 0.0),
        last_at=local_time(max(times) if times else 0.0),
        fallback=fallback,
        handoff=handoff,
    )


def sender_of_key(url: str, key: str) -> str | None:
    """The conversation id whose observatory key is `key` (catalog/observatory.py), looked
    for among the tracker store's conversation ids (the observatory keeps no id)."""
    from catalog.observatory import conversation_key

    engine = _open(url)
    if engine is None:
        return None
    try:
        with engine.connect() as connection:
            senders = connection.execute(select(EVENTS.c.sender_id).distinct()).scalars()
            return next((s for s in senders if conversation_key(s) == key), None)
    except SQLAlchemyError as error:
        raise TrackerUnavailableError(
            "Cette conversation est illisible pour le moment (base des conversations injoignable)."
        ) from error


OBSERVED_CHANNELS = {
    "console": "Console (test)",
    "widget": "Widget web",
    "telegram": "Telegram",
    "rest": "REST",
}


def observed_channel_label(channel: str | None) -> str:
    """The observatory's channel code (bot/observatory/fold.py), in French."""
    return OBSERVED_CHANNELS.get(channel or "", channel or "inconnu")


def channel_label(sender_id: str, channel: str | None) -> str:
    """Where the conversation took place, in French."""
    if sender_id.startswith("console-"):
        return "Console (test)"
    if channel == "socketio":
        return "Widget web"
    if channel == "rest" and sender_id.startswith("telegram:"):
        return "Telegram"
    if channel == "rest":
        return "REST"
    return channel or "inconnu"
