"""From Rasa's events to the observatory's rows: each event, in order, updates its
conversation's row (ObservedConversation) and recommendations (ObservedRecommendation).

An event is what Rasa's event brokers publish: `{"sender_id": …, **event.as_dict()}` (user,
bot, action, slot, active_loop… with `timestamp`). What is kept is counted or coded, never
text: the person's messages are counted, not copied; a slot is kept only when it is a profile
field with one of the contract's values (an entity's raw text, « épicerie à », is dropped);
contact details are only seen as « given ». The bookkeeping needed between two batches of
events (the territory's two sources, the current question, whether the current message was
already counted as not understood) lives in the row's `state`, with the conversation id
sealed (links.py) for the console's link to the transcript.

The erase marker (the erase confirmation's custom payload, rasa_extensions/tracker_store.py)
deletes the conversation's rows: what follows is a new conversation. The `agent` event the web
server appends when the person opens an aid's official link from the widget
(catalog/observatory.py, `opened_event`) marks that recommendation `opened`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import keys
from bot.observatory.links import seal
from catalog.erasure import ERASE_MARKER
from catalog.models import ObservedConversation, ObservedRecommendation
from catalog.observatory import conversation_key, delete_conversations, opened_aid
from catalog.profile import ENUMS, TERRITORY_IDS

LINK = "link"  # the state's sealed conversation id (links.py)
FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTIONS = ("action_reformuler", "action_default_fallback")
LEAD_ACTION = "action_enregistrer_demande"
DETAILS_INTENT = "demander_definition"
CONTACT_INTENT = "demander_contact"
HANDOFF_LOOP = "handoff_form"
SHOWN_SLOT = "aides_recommandees"
CONTACT_SLOT = "coordonnees"
ENUM_FIELDS = ("stade", "secteur", "statut")
BOOL_FIELDS = ("habite_qpv", "implante_qpv", "indemnise_are", "femme", "franchise")
# What a conversation ended on, besides the code of the question left unanswered.
SHOWN, CONTACT = "aides_presentees", "demande_contact"


def channel_of(sender_id: str, input_channel: Any) -> str:
    """Where the conversation took place: widget, telegram, rest or console (tests)."""
    if sender_id.startswith("console-"):
        return "console"
    if input_channel == "socketio":
        return "widget"
    if input_channel == "rest" and sender_id.startswith("telegram:"):
        return "telegram"
    return str(input_channel or "inconnu")[:20]


def is_erase_marker(event: dict[str, Any]) -> bool:
    if event.get("event") != "bot":
        return False
    custom = (event.get("data") or {}).get("custom")
    data = custom.get("data") if isinstance(custom, dict) else None
    return isinstance(data, dict) and bool(data.get(ERASE_MARKER))


class Folder:
    """Applies events to the rows of one database session; the caller commits."""

    def __init__(self, session: Session, link_key: str | None = None) -> None:
        self.session = session
        # seals each conversation id into its row's state (links.py): the console's way back
        # from its list to the transcript
        self.link_key = link_key or keys.link_key()
        self.rows: dict[str, ObservedConversation | None] = {}  # key → row (None: none yet)
        self.shown: dict[int, dict[str, ObservedRecommendation]] = {}  # row id → aid → rec

    def load(self, sender_ids: Iterable[str]) -> None:
        """Read the rows of these conversations at once (one query per batch of events)."""
        keys = {conversation_key(s) for s in sender_ids} - set(self.rows)
        if not keys:
            return
        found = self.session.scalars(
            select(ObservedConversation).where(ObservedConversation.key.in_(keys))
        ).all()
        for row in found:
            self.rows[row.key] = row
        for key in keys - {row.key for row in found}:
            self.rows[key] = None
        ids = [row.id for row in found]
        for rec in self.session.scalars(
            select(ObservedRecommendation).where(ObservedRecommendation.conversation_id.in_(ids))
        ):
            self.shown.setdefault(rec.conversation_id, {})[rec.aid_id] = rec

    def apply_all(self, events: Iterable[dict[str, Any]]) -> int:
        events = list(events)
        self.load(str(e.get("sender_id")) for e in events if e.get("sender_id"))
        for event in events:
            self.apply(event)
        self.session.flush()
        return len(events)

    def _row(self, sender_id: str, at: float) -> ObservedConversation:
        key = conversation_key(sender_id)
        row = self.rows.get(key)
        if row is None:
            row = ObservedConversation(
                key=key,
                first_at=at,
                last_at=at,
                turns=0,
                besoins=[],
                profile={},
                aids_shown=0,
                fallbacks=0,
                contact_asked=False,
                lead=False,
                state={LINK: seal(sender_id, self.link_key)},
            )
            self.session.add(row)
            self.session.flush()  # its id, for its recommendations
            self.rows[key] = row
            self.shown[row.id] = {}
        return row

    def apply(self, event: dict[str, Any]) -> None:
        sender_id = event.get("sender_id")
        kind = event.get("event")
        if not isinstance(sender_id, str) or not sender_id:
            return
        at = float(event.get("timestamp") or 0.0)
        if is_erase_marker(event):
            self.erase(sender_id)
            return
        opened = opened_aid(event)
        if opened is not None:
            self.opened(sender_id, opened, at)
            return
        if kind not in ("user", "action", "slot", "active_loop"):
            existing = self.rows.get(conversation_key(sender_id))
            if existing is not None:  # bot messages and the rest only move the dates
                existing.last_at = max(existing.last_at, at)
            return
        row = self._row(sender_id, at)
        row.first_at, row.last_at = min(row.first_at, at), max(row.last_at, at)
        state = dict(row.state or {})
        if kind == "user":
            self._user(row, state, sender_id, event, at)
        elif kind == "action":
            self._action(row, state, str(event.get("name") or ""))
        elif kind == "active_loop":
            row.contact_asked |= event.get("name") == HANDOFF_LOOP
        else:
            self._slot(row, state, str(event.get("name") or ""), event.get("value"), at)
        meta, slot = state.get("meta_territory"), state.get("slot_territory")
        row.territory_id = (
            slot if slot in TERRITORY_IDS else meta if meta in TERRITORY_IDS else None
        )
        row.state = state

    def opened(self, sender_id: str, aid_id: str, at: float) -> None:
        """The official link of an aid shown in this conversation was opened."""
        row = self.rows.get(conversation_key(sender_id))
        if row is None:
            return
        row.last_at = max(row.last_at, at)
        rec = self.shown.get(row.id, {}).get(aid_id)
        if rec is not None:  # an aid never shown here says nothing
            rec.opened = True

    def erase(self, sender_id: str) -> None:
        row = self.rows.get(conversation_key(sender_id))
        if row is None:
            return
        self.session.flush()
        delete_conversations(self.session, [row.id])
        self.session.expunge(row)
        self.shown.pop(row.id, None)
        self.rows[row.key] = None

    def _user(
        self,
        row: ObservedConversation,
        state: dict[str, Any],
        sender_id: str,
        event: dict[str, Any],
        at: float,
    ) -> None:
        row.turns += 1
        if row.channel is None:
            row.channel = channel_of(sender_id, event.get("input_channel"))
        metadata = event.get("metadata") or {}
        if isinstance(metadata, dict) and metadata.get("territory") in TERRITORY_IDS:
            state["meta_territory"] = metadata["territory"]
        parse = event.get("parse_data") or {}
        intent = (parse.get("intent") or {}).get("name")
        state["fallback_counted"] = intent == FALLBACK_INTENT
        if intent == FALLBACK_INTENT:
            row.fallbacks += 1
        row.contact_asked |= intent == CONTACT_INTENT
        if intent == DETAILS_INTENT:  # « En savoir plus » under an aid shown
            for entity in parse.get("entities") or ():
                if isinstance(entity, dict) and entity.get("entity") == "aide":
                    rec = self.shown.get(row.id, {}).get(str(entity.get("value")))
                    if rec is not None:
                        rec.details_asked = True

    def _action(self, row: ObservedConversation, state: dict[str, Any], name: str) -> None:
        if name in FALLBACK_ACTIONS and not state.get("fallback_counted"):
            row.fallbacks += 1
            state["fallback_counted"] = True
        elif name == LEAD_ACTION and state.get("contact_given") and row.territory_id:
            row.lead = True
            row.outcome = CONTACT

    def _slot(
        self, row: ObservedConversation, state: dict[str, Any], name: str, value: Any, at: float
    ) -> None:
        if name == "requested_slot":
            if isinstance(value, str) and value:
                row.outcome = value[:40]  # the question asked, until answered by what follows
        elif name == SHOWN_SLOT and isinstance(value, list):
            shown = self.shown.setdefault(row.id, {})
            for rank, aid_id in enumerate(value, start=1):
                if isinstance(aid_id, str) and aid_id not in shown:
                    rec = ObservedRecommendation(
                        conversation_id=row.id,
                        aid_id=aid_id[:120],
                        rank=rank,
                        shown_at=at,
                        details_asked=False,
                        opened=False,
                    )
                    self.session.add(rec)
                    shown[aid_id] = rec
            row.aids_shown = len(shown)
            if value:
                row.outcome = SHOWN
        elif name == CONTACT_SLOT:
            state["contact_given"] = value is not None  # never the details themselves
        elif name == "territoire":
            state["slot_territory"] = value
        elif name == "session_started_metadata" and isinstance(value, dict):
            if value.get("territory") in TERRITORY_IDS:
                state["meta_territory"] = value["territory"]
        elif name in ENUM_FIELDS:
            if value is None or value in ENUMS[name]:
                setattr(row, name, value)
                self._profile(row, name, value)
        elif name == "besoins":
            needs = [v for v in value if v in ENUMS["besoins"]] if isinstance(value, list) else []
            row.besoins = needs
            self._profile(row, name, needs or None)
        elif name in BOOL_FIELDS and (value is None or isinstance(value, bool)):
            if name in ("habite_qpv", "implante_qpv"):
                setattr(row, name, value)
            self._profile(row, name, value)

    @staticmethod
    def _profile(row: ObservedConversation, name: str, value: Any) -> None:
        profile = dict(row.profile or {})
        if value is None:
            profile.pop(name, None)
        else:
            profile[name] = value
        row.profile = profile
