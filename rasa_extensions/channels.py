"""Rasa's socket.io and REST channels, closed to anyone who may not speak for the conversation.

Loaded by the Rasa runtime (.venv-rasa, Python 3.10) from credentials.yml
(`rasa_extensions.channels.WebSocketIOInput`, `rasa_extensions.channels.CappedRestInput`);
it imports nothing of ours. Rasa's own channels let the caller choose the conversation id:
anyone reaching Rasa's port could erase a person's data or read their replies.

- REST (our own processes only: Telegram bridge, console debug chat, `qp flows`, bench): a
  POST must carry the shared secret in the `X-QP-Channel-Secret` header (constant-time
  comparison), else 403 before anything is read. No secret configured: Rasa does not start.
- socket.io (the web widget): a conversation id is usable only with the token our web server
  issued with it (bot/web/sessions.py: base64url(HMAC-SHA256(key, "widget-session:" + id))).
  `session_request` and `user_uttered` without a valid token are refused with a
  `session_refused` event; Rasa's own fallback (a fresh uuid for a missing id) is gone.
  A socket leaves its previous conversation's room when it joins another.
- Allowed origins: Rasa builds its socket.io server with `cors_allowed_origins=[]`, which turns
  engine.io's Origin check off, and `rasa run --cors` does not apply to WebSocket connections.
  `allowed_origins` (a list or a comma-separated string; empty means no check) restores the
  check for every engine.io request, polling and WebSocket alike.
- Message length: a user message longer than `max_message_chars` (default 10,000) is cut to
  that length; engine.io also refuses frames larger than `max_frame_bytes` (64 KiB). The
  dialogue's own, lower limit (no_words.py: « pouvez-vous raccourcir ») still applies; the
  widget stops at 1,000.
- Metadata: a JSON object of at most `max_metadata_bytes` (default 2,048) whose `territory`,
  if any, is one of `territories`. Over REST a bad one is answered 400; over socket.io the
  message is kept and the bad metadata dropped (an embedding site's typo must not silence
  the widget).
- Rate: at most `max_messages_per_sender` messages a minute per conversation, and over
  socket.io `max_messages_per_address` per client address (the proxy's X-Forwarded-For when
  the peer is loopback), and `max_messages_per_minute` for the whole channel
  (rate_limits.py). A message over a limit is not handled: the person is told, in French, to
  wait a minute.
- Rasa's own intents typed as « /back », « /session_start »… are read as words (`plain`):
  they ran internal actions that answer nothing.
- Cards: a bot message whose custom payload holds a card (`{"data": {"aid_card": …}}`,
  catalog/cards.py) leaves as one message, not Rasa's two (its text and buttons, then the
  custom payload): over REST `{"text", "buttons", "custom"}` — the text stays the card's plain
  text, for our tools and tests that read texts, and the Telegram bridge draws the card — and
  over socket.io `{"text", "quick_replies", "aid_card"}`, which the widget draws as a card.
- Every message gets an answer: a turn that ends without any bot message (an action that
  failed on the action server, which Rasa only logs) or that fails (the tracker store
  unreachable) is answered with a French message saying so, never silence nor a trace; the
  log names the error's type, not the message.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request

from rasa_extensions.rate_limits import WINDOW_SECONDS, WindowLimits
from rasa_extensions.tracker_store import StoreUnavailable

logger = logging.getLogger(__name__)

DEFAULT_MAX_MESSAGE_CHARS = 10000
DEFAULT_MAX_FRAME_BYTES = 64 * 1024
DEFAULT_MAX_METADATA_BYTES = 2048
SECRET_HEADER = "X-QP-Channel-Secret"
SESSION_PURPOSE = "widget-session:"
MAX_SESSION_ID_CHARS = 128
MAX_SENDER_CHARS = 255  # the tracker store's sender_id column

DEFAULT_MAX_PER_SENDER = 30  # messages a minute in one conversation
DEFAULT_MAX_PER_ADDRESS = 120  # messages a minute from one client address (socket.io)
DEFAULT_MAX_PER_MINUTE = 6000  # messages a minute for the whole channel, per Rasa process

UNREADABLE_TEXT = "Je n'ai pas pu lire ce message : seul du texte est accepté."
TOO_MANY_TEXT = (
    "Vous envoyez beaucoup de messages en peu de temps : veuillez patienter une minute avant "
    "d'écrire à nouveau. Votre conversation est conservée."
)
# What a turn that said nothing, or failed, is answered instead: kept in a data file that
# tests/soak.py also reads (it runs in our own Python, which cannot import this package), to
# count these stand-ins as silences
STAND_INS = json.loads(Path(__file__).with_name("stand_ins.json").read_text(encoding="utf-8"))
SILENT_TURN_TEXT: str = STAND_INS["silent_turn"]
FAILED_TURN_TEXT: str = STAND_INS["failed_turn"]

# Rasa's own intents (rasa.shared.core.constants.DEFAULT_INTENTS) and its « /intent » syntax
CARD_KEY = "aid_card"  # catalog/cards.py, which this runtime cannot import

RASA_INTENTS = frozenset({"restart", "back", "out_of_scope", "session_start", "nlu_fallback"})
INTENT_SHORTCUT = re.compile(r"/([^{@]+)")

Handler = Callable[[UserMessage], Awaitable[Any]]


class ChannelConfigError(ValueError):
    """credentials.yml lacks a secret a channel needs: Rasa must not start open."""


def parse_list(value: Any) -> list[str]:
    """Items from a YAML list or a comma-separated string, without blanks or trailing '/'."""
    items = value if isinstance(value, (list, tuple)) else str(value or "").split(",")
    return [str(item).strip().rstrip("/") for item in items if str(item).strip()]


parse_origins = parse_list


def required_secret(credentials: dict[str, Any], name: str, channel: str) -> str:
    value = str(credentials.get(name) or "").strip()
    if not value:
        raise ChannelConfigError(
            f"credentials.yml : le canal {channel} n'a pas de « {name} » ; il ne peut pas "
            f"s'ouvrir sans lui (lancez l'assistant avec « qp run », qui le fournit)."
        )
    return value


def sign_session(key: str, session_id: str) -> str:
    digest = hmac.new(key.encode(), (SESSION_PURPOSE + session_id).encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def valid_session(key: str, session_id: Any, token: Any) -> bool:
    if not isinstance(session_id, str) or not isinstance(token, str):
        return False
    if not session_id or len(session_id) > MAX_SESSION_ID_CHARS:
        return False
    # bytes: compare_digest refuses str with non-ASCII characters (a forged « é »)
    return hmac.compare_digest(sign_session(key, session_id).encode(), token.encode())


def metadata_problem(metadata: Any, max_bytes: int, territories: tuple[str, ...]) -> str | None:
    """Why `metadata` is refused (in French), or None when it is acceptable."""
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        return "« metadata » doit être un objet JSON."
    try:
        size = len(json.dumps(metadata, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError):
        return "« metadata » doit être un objet JSON."
    if size > max_bytes:
        return f"« metadata » dépasse {max_bytes} octets."
    territory = metadata.get("territory")
    if territory is not None and territory not in territories:
        return "« metadata.territory » n'est pas un territoire connu."
    return None


def plain(text: str) -> str:
    """`text`, unless it is the shortcut of one of Rasa's own intents (« /back »,
    « /session_start »…): then without its slash, to be understood as words.

    Rasa reads a message « /name » as the intent `name`. Its own intents (restart, back,
    session_start, out_of_scope, nlu_fallback) run internal actions that answer nothing: a
    person typing « /back » or « /session_start » got silence (the empty REST replies of
    issue 18), or had their last turn undone. Our buttons never send them.
    """
    shortcut = INTENT_SHORTCUT.match(text.strip())
    if shortcut and shortcut.group(1).strip() in RASA_INTENTS:
        return text.strip()[1:]
    return text


def capped(on_new_message: Handler, max_chars: int) -> Handler:
    """`on_new_message`, with the text of each user message cut to `max_chars` characters,
    and Rasa's own intents read as words (`plain`)."""

    async def handle(message: UserMessage) -> Any:
        if message.text and len(message.text) > max_chars:
            message.text = message.text[:max_chars]
        if message.text:
            message.text = plain(message.text)
        return await on_new_message(message)

    return handle


def answered(on_new_message: Handler) -> Handler:
    """`on_new_message`, after which the person has had at least one bot message: a French
    one is sent when the turn said nothing or failed."""

    async def handle(message: UserMessage) -> Any:
        output = message.output_channel
        sent = 0
        send_response = output.send_response

        async def counted(recipient_id: str, bot_message: dict[str, Any]) -> None:
            nonlocal sent
            sent += 1
            await send_response(recipient_id, bot_message)

        output.send_response = counted  # type: ignore[method-assign]
        text = None
        try:
            await on_new_message(message)
        except asyncio.CancelledError:
            # The turn was cancelled (seen after 60 s with the catalogue database locked):
            # Rasa's REST channel would answer [] and log the message's text.
            logger.error("channel %s: turn cancelled", message.input_channel)
            text = FAILED_TURN_TEXT
        except (Exception, StoreUnavailable) as error:  # told in French instead
            # The type only: the error's text may quote the message or the tracker's data.
            logger.error(
                "channel %s: turn failed (%s)", message.input_channel, type(error).__name__
            )
            logger.debug("turn failure", exc_info=True)
            text = FAILED_TURN_TEXT
        else:
            if not sent:
                logger.warning("channel %s: turn without any bot message", message.input_channel)
                text = SILENT_TURN_TEXT
        finally:
            output.send_response = send_response  # type: ignore[method-assign]
        if text:
            try:
                await output.send_text_message(message.sender_id, text)
            except Exception as error:  # noqa: BLE001 - nothing more can be told to anyone
                logger.error("channel: fallback message not sent (%s)", type(error).__name__)
        return None

    return handle


def card_of(bot_message: dict[str, Any]) -> dict[str, Any] | None:
    """The card a bot message carries in its custom payload, if any."""
    custom = bot_message.get("custom")
    data = custom.get("data") if isinstance(custom, dict) else None
    card = data.get(CARD_KEY) if isinstance(data, dict) else None
    return card if isinstance(card, dict) else None


async def send_card(output: Any, recipient_id: str, bot_message: dict[str, Any]) -> bool:
    """Send a bot message holding a card as one message; False when `output` is neither of
    our two channels' (then Rasa sends it its own way)."""
    text = str(bot_message.get("text") or "")
    buttons = [b for b in bot_message.get("buttons") or [] if isinstance(b, dict)]
    card = card_of(bot_message)
    if isinstance(output, CollectingOutputChannel):
        await output._persist_message(
            output._message(
                recipient_id, text=text, buttons=buttons or None, custom=bot_message["custom"]
            )
        )
        return True
    if isinstance(output, SocketIOOutput):
        replies = [
            {"content_type": "text", "title": b.get("title"), "payload": b.get("payload")}
            for b in buttons
        ]
        await output._send_message(
            recipient_id, {"text": text, "quick_replies": replies, CARD_KEY: card}
        )
        return True
    return False


def with_cards(on_new_message: Handler) -> Handler:
    """`on_new_message`, whose bot messages holding a card leave as one message each."""

    async def handle(message: UserMessage) -> Any:
        output = message.output_channel
        send_response = output.send_response

        async def carded(recipient_id: str, bot_message: dict[str, Any]) -> None:
            if card_of(bot_message) is None or not await send_card(
                output, recipient_id, bot_message
            ):
                await send_response(recipient_id, bot_message)

        output.send_response = carded  # type: ignore[method-assign]
        try:
            return await on_new_message(message)
        finally:
            output.send_response = send_response  # type: ignore[method-assign]

    return handle


def rate_limits(credentials: dict[str, Any], per_address: bool) -> WindowLimits:
    per_key = {"sender": int(credentials.get("max_messages_per_sender") or DEFAULT_MAX_PER_SENDER)}
    if per_address:
        per_key["address"] = int(
            credentials.get("max_messages_per_address") or DEFAULT_MAX_PER_ADDRESS
        )
    overall = int(credentials.get("max_messages_per_minute") or DEFAULT_MAX_PER_MINUTE)
    return WindowLimits(per_key, overall)


def client_address(peer: str | None, forwarded_for: str | None) -> str:
    """The client's address: the peer's, or the last hop of X-Forwarded-For when the peer is
    the local proxy (a client cannot choose its address by sending the header itself)."""
    peer = peer or ""
    if forwarded_for and peer in ("127.0.0.1", "::1", ""):
        return forwarded_for.split(",")[-1].strip()[:64] or peer
    return peer


class WebSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel: signed session ids, Origin check, bounded messages."""

    allowed_origins: tuple[str, ...] = ()
    max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS
    max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES
    max_metadata_bytes: int = DEFAULT_MAX_METADATA_BYTES
    territories: tuple[str, ...] = ()
    session_key: str = ""
    limits: WindowLimits

    @classmethod
    def name(cls) -> str:
        return "socketio"  # same webhook, same `input_channel` as Rasa's own channel

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        channel = super().from_credentials(credentials)
        channel.session_key = required_secret(credentials, "session_key", "socket.io")
        channel.allowed_origins = tuple(parse_list(credentials.get("allowed_origins")))
        channel.territories = tuple(parse_list(credentials.get("territories")))
        channel.max_message_chars = int(
            credentials.get("max_message_chars") or DEFAULT_MAX_MESSAGE_CHARS
        )
        channel.max_frame_bytes = int(credentials.get("max_frame_bytes") or DEFAULT_MAX_FRAME_BYTES)
        channel.max_metadata_bytes = int(
            credentials.get("max_metadata_bytes") or DEFAULT_MAX_METADATA_BYTES
        )
        channel.limits = rate_limits(credentials, per_address=True)
        return channel

    def clean_metadata(self, metadata: Any) -> dict[str, Any]:
        if isinstance(metadata, str) and len(metadata) <= self.max_metadata_bytes:
            try:
                metadata = json.loads(metadata)
            except ValueError:
                metadata = None
        if metadata is None:
            return {}
        problem = metadata_problem(metadata, self.max_metadata_bytes, self.territories)
        if problem:
            logger.warning("socket.io message: metadata dropped (%s)", problem)
            return {}
        return metadata

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        handle = with_cards(answered(capped(on_new_message, self.max_message_chars)))
        blueprint = super().blueprint(handle)
        sio = self.sio
        assert sio is not None
        # [] keeps engine.io's check off (Rasa's default); a list turns it on.
        sio.eio.cors_allowed_origins = list(self.allowed_origins)
        sio.eio.max_http_buffer_size = self.max_frame_bytes
        namespace = self.namespace or "/"

        async def refuse(sid: str) -> None:
            await sio.emit("session_refused", {}, room=sid, namespace=namespace)

        async def session_request(sid: str, data: Any) -> None:
            data = data if isinstance(data, dict) else {}
            session_id = data.get("session_id")
            if not valid_session(self.session_key, session_id, data.get("token")):
                logger.info("socket.io: session request refused (no valid token)")
                await refuse(sid)
                return
            for room in sio.rooms(sid, namespace=namespace):
                if room != sid:
                    sio.leave_room(sid, room, namespace=namespace)
            sio.enter_room(sid, session_id, namespace=namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)

        async def user_uttered(sid: str, data: Any) -> None:
            data = data if isinstance(data, dict) else {}
            session_id = data.get("session_id")
            if not valid_session(self.session_key, session_id, data.get("token")):
                logger.info("socket.io: message refused (no valid token)")
                await refuse(sid)
                return
            text = data.get("message")
            output = SocketIOOutput(sio, self.bot_message_evt)
            if not isinstance(text, str):
                await output.send_text_message(session_id, UNREADABLE_TEXT)
                return
            if not self.limits.allow(sender=session_id, address=self.address_of(sid, namespace)):
                logger.info("socket.io: message over the rate limit")
                await output.send_text_message(session_id, TOO_MANY_TEXT)
                return
            message = UserMessage(
                text,
                output,
                session_id,
                input_channel=self.name(),
                metadata=self.clean_metadata(data.get(self.metadata_key)),
            )
            await handle(message)

        # Replace Rasa's handlers (same events, same namespace).
        sio.on("session_request", session_request, namespace=namespace)
        sio.on(self.user_message_evt, user_uttered, namespace=namespace)
        return blueprint

    def address_of(self, sid: str, namespace: str) -> str:
        """The client address of a socket (the proxy's X-Forwarded-For when behind it)."""
        try:
            environ = self.sio.get_environ(sid, namespace=namespace) or {}
        except (AttributeError, KeyError):
            environ = {}
        request = environ.get("sanic.request")
        peer = getattr(request, "ip", None) if request is not None else None
        return client_address(peer, environ.get("HTTP_X_FORWARDED_FOR"))


class CappedRestInput(RestInput):
    """Rasa's REST channel, for holders of the shared secret only, with bounded input."""

    max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS
    max_metadata_bytes: int = DEFAULT_MAX_METADATA_BYTES
    territories: tuple[str, ...] = ()
    secret: str = ""
    limits: WindowLimits

    @classmethod
    def name(cls) -> str:
        return "rest"  # same URL: /webhooks/rest/webhook

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        channel = cls()
        channel.secret = required_secret(credentials, "secret", "REST")
        channel.territories = tuple(parse_list(credentials.get("territories")))
        channel.max_message_chars = int(
            credentials.get("max_message_chars") or DEFAULT_MAX_MESSAGE_CHARS
        )
        channel.max_metadata_bytes = int(
            credentials.get("max_metadata_bytes") or DEFAULT_MAX_METADATA_BYTES
        )
        # per conversation and overall; not per address: every Telegram user comes through
        # the one bridge
        channel.limits = rate_limits(credentials, per_address=False)
        return channel

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        blueprint = super().blueprint(
            with_cards(answered(capped(on_new_message, self.max_message_chars)))
        )

        @blueprint.middleware("request")
        async def guard(request: Request) -> response.HTTPResponse | None:
            if request.method != "POST":
                return None  # the health check (GET /webhooks/rest/) stays open
            given = request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(given.encode(), self.secret.encode()):
                return response.json({"erreur": "Accès refusé."}, status=403)
            try:
                body = json.loads(request.body or b"")
            except ValueError:
                body = None
            if not isinstance(body, dict):
                return response.json(
                    {"erreur": "Le corps de la requête doit être un objet JSON."}, status=400
                )
            if not isinstance(body.get("sender"), str) or not isinstance(body.get("message"), str):
                return response.json(
                    {"erreur": "« sender » et « message » doivent être des textes."}, status=400
                )
            if not 0 < len(body["sender"]) <= MAX_SENDER_CHARS:
                return response.json(
                    {"erreur": f"« sender » doit compter 1 à {MAX_SENDER_CHARS} caractères."},
                    status=400,
                )
            problem = metadata_problem(
                body.get("metadata"), self.max_metadata_bytes, self.territories
            )
            if problem:
                return response.json({"erreur": problem}, status=400)
            if not self.limits.allow(sender=body["sender"]):
                logger.info("REST: message over the rate limit")
                # 200 and a bot message, as for any turn: the bridge relays it to the person
                return response.json(
                    [{"recipient_id": body["sender"], "text": TOO_MANY_TEXT}],
                    headers={"Retry-After": str(int(WINDOW_SECONDS))},
                )
            return None

        return blueprint
