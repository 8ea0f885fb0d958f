"""One conversation as the console shows it, read through Rasa's HTTP API (bot/rasa_api.py):
the events of its tracker grouped into turns (the person's message, what the assistant
understood of it, its answers, the slots set and the actions run), with the territory,
channel, dates and flags of the whole conversation. Also the helpers the console's pages share
(local time, dates, channel labels).

No module of the console reads Rasa's database: the list of conversations comes from the
observatory's tables (bot/observatory/), a transcript from Rasa itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.rasa_api import RasaApi, RasaApiUnavailableError
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


class TrackerUnavailableError(RuntimeError):
    """The conversation cannot be read (Rasa unreachable); the message is French and safe to
    show."""


# --- what the pages show ---------------------------------------------------------------


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


# --- Rasa's HTTP API ----------------------------------------------------------------------


def read_conversation(api: RasaApi, sender_id: str) -> Conversation | None:
    """One conversation as turns, from Rasa's HTTP API (None when the person wrote nothing in
    it: Rasa answers an empty tracker for an id it does not know)."""
    try:
        events = api.events(sender_id)
    except RasaApiUnavailableError as error:
        raise TrackerUnavailableError(str(error)) from error
    if not any(event.get("event") == "user" for event in events):
        return None
    return build_conversation(
        sender_id,
        [
            (number, str(event.get("event")), _timestamp(event.get("timestamp")), event)
            for number, event in enumerate(events, start=1)
        ],
    )


def _timestamp(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


# --- from events to turns ----------------------------------------------------------------


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
    sender_id: str, rows: list[tuple[int, str, float | None, dict[str, Any]]]
) -> Conversation:
    """Turns from the sender's events (number, type, timestamp, the event as Rasa gives it), in
    order. The number (the event's place in the conversation, from 1) names a message in the
    console's links: Rasa's trackers only grow, so it stays the same."""
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

    for event_id, type_name, timestamp, event in rows:
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
