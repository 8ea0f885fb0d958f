"""A fake Telegram Bot API server for tests: plain HTTP on 127.0.0.1, no internet.

Point python-telegram-bot at it with `base_url=f"{fake.base_url}/bot"` and
`base_file_url=f"{fake.base_url}/file/bot"` (the bridge does so from TELEGRAM_API_BASE_URL).
It serves what a bot needs to start and to receive updates — getMe, getUpdates (from a queue
the test fills with `send_text`, `press`, `send_other`…), setMyCommands, setWebhook,
deleteWebhook, getWebhookInfo — and records every call, notably sendMessage,
editMessageReplyMarkup and answerCallbackQuery. `fail_next` makes a method answer
"429 Too Many Requests" to test flood control.

The server runs in a thread; `wait_for` blocks (for a bot in another process or thread) and
`until` awaits (for a bot on the test's own event loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

# Parameters that Telegram receives as raw strings (python-telegram-bot JSON-encodes the others).
STRING_PARAMS = {
    "text",
    "callback_query_id",
    "url",
    "secret_token",
    "parse_mode",
    "caption",
    "inline_message_id",
    "description",
    "short_description",
    "language_code",
    "ip_address",
    "emoji",
    "name",
    "title",
}
MAX_POLL_WAIT = 0.5  # seconds a getUpdates call waits at most, so that shutdowns stay quick


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float
    refused: bool = False  # answered with an injected error
    result: Any = None  # what the fake answered (for sendMessage: the message)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode(name: str, value: str) -> Any:
    if name in STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


class FakeTelegram:
    TOKEN = "123456789:FAKE-token_for_tests"

    def __init__(
        self, token: str = TOKEN, username: str = "qp_assistant_bot", bot_id: int = 123456789
    ) -> None:
        self.token = token
        self.bot = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Assistant QP",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.calls: list[Call] = []
        self.webhook: dict[str, Any] = {}
        self.commands: list[dict[str, Any]] = []
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}  # (chat, id) → message
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._failures: dict[str, list[tuple[int, int]]] = {}  # method → [(code, retry_after)]
        self._changed = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> FakeTelegram:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                fake._handle(self)

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """The value for TELEGRAM_API_BASE_URL."""
        assert self._server, "start the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # --- what users do --------------------------------------------------------------------

    def user(self, user_id: int) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": "Camille", "language_code": "fr"}

    def chat(self, chat_id: int, chat_type: str = "private") -> dict[str, Any]:
        if chat_type == "private":
            return {"id": chat_id, "type": "private", "first_name": "Camille"}
        return {"id": chat_id, "type": chat_type, "title": "Commerçants du quartier"}

    def _message(
        self, chat_id: int, chat_type: str, user_id: int | None, reply_to_bot: bool
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chat(chat_id, chat_type),
            "from": self.user(user_id or abs(chat_id)),
        }
        if reply_to_bot:
            mine = [m for (chat, _), m in self.messages.items() if chat == chat_id]
            message["reply_to_message"] = (
                mine[-1]
                if mine
                else {
                    "message_id": next(self._message_ids),
                    "date": int(time.time()),
                    "chat": self.chat(chat_id, chat_type),
                    "from": self.bot,
                    "text": "…",
                }
            )
        return message

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update (its update_id is assigned here) for getUpdates."""
        with self._changed:
            update = {"update_id": next(self._update_ids), **update}
            self._updates.append(update)
            self._changed.notify_all()
        return update

    def text_update(
        self,
        chat_id: int,
        text: str,
        *,
        chat_type: str = "private",
        user_id: int | None = None,
        reply_to_bot: bool = False,
    ) -> dict[str, Any]:
        """An update for a typed text, with the entities Telegram would add
        (bot_command for a leading /command, mention for each @username)."""
        message = self._message(chat_id, chat_type, user_id, reply_to_bot)
        message["text"] = text
        entities = []
        command = re.match(r"/\w+(@\w+)?", text)
        if command:
            entities.append(
                {"type": "bot_command", "offset": 0, "length": utf16_len(command.group())}
            )
        entities.extend(
            {
                "type": "mention",
                "offset": utf16_len(text[: mention.start()]),
                "length": utf16_len(mention.group()),
            }
            for mention in re.finditer(r"(?<!\w)@\w+", text)
        )
        if entities:
            message["entities"] = entities
        return {"message": message}

    def send_text(self, chat_id: int, text: str, **options: Any) -> dict[str, Any]:
        return self.push(self.text_update(chat_id, text, **options))

    def send_other(
        self, chat_id: int, kind: str, *, chat_type: str = "private", reply_to_bot: bool = False
    ) -> dict[str, Any]:
        """A photo, voice note, sticker, document or location."""
        file = {"file_id": f"{kind}-1", "file_unique_id": f"{kind}-u1"}
        content = {
            "photo": [{**file, "width": 90, "height": 90}],
            "voice": {**file, "duration": 3},
            "sticker": {
                **file,
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            },
            "document": {**file, "file_name": "devis.pdf"},
            "location": {"latitude": 50.6942, "longitude": 3.1746},
        }[kind]
        message = self._message(chat_id, chat_type, None, reply_to_bot)
        message[kind] = content
        return self.push({"message": message})

    def press(
        self, chat_id: int, message_id: int, callback_data: str, user_id: int | None = None
    ) -> dict[str, Any]:
        """The user presses an inline button of a message the bot sent."""
        message = self.messages.get((chat_id, message_id)) or {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self.chat(chat_id),
            "from": self.bot,
            "text": "…",
        }
        query = {
            "id": f"cq{next(self._callback_ids)}",
            "from": self.user(user_id or abs(chat_id)),
            "chat_instance": f"ci{chat_id}",
            "data": callback_data,
            "message": message,
        }
        return self.push({"callback_query": query})

    # --- what the bot did -----------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        with self._changed:
            return [c for c in self.calls if c.method == method and not c.refused]

    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """The sendMessage parameters, in order (optionally for one chat)."""
        return [
            c.params
            for c in self.calls_to("sendMessage")
            if chat_id is None or c.params.get("chat_id") == chat_id
        ]

    def message_id_of(self, params: dict[str, Any]) -> int:
        """The message_id Telegram gave to the message sent with these sendMessage params."""
        [call] = [c for c in self.calls_to("sendMessage") if c.params is params]
        return int(call.result["message_id"])

    def wait_for(self, condition: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Block until `condition()` is truthy (re-checked at every call the bot makes)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                value = condition()
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("the fake Telegram did not see what was expected")
                self._changed.wait(min(remaining, 0.1))

    async def until(self, condition: Callable[[], Any], within: float = 10.0) -> Any:
        """Await until `condition()` is truthy, leaving the event loop free for the bot."""
        deadline = time.monotonic() + within
        while not (value := condition()):
            if time.monotonic() > deadline:
                raise TimeoutError("the fake Telegram did not see what was expected")
            await asyncio.sleep(0.02)
        return value

    def fail_next(
        self, method: str, times: int = 1, retry_after: int = 1, error_code: int = 429
    ) -> None:
        """The next `times` calls of `method` are refused with this error."""
        with self._changed:
            self._failures.setdefault(method, []).extend([(error_code, retry_after)] * times)

    # --- the Bot API ----------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        match = re.fullmatch(r"/bot([^/]+)/(\w+)", request.path.split("?")[0])
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        if not match:
            self._reply(request, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        token, method = match.groups()
        if token != self.token:
            self._reply(
                request, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            )
            return
        params = self._params(request, body)
        with self._changed:
            failures = self._failures.get(method)
            if failures:
                code, retry_after = failures.pop(0)
                self.calls.append(Call(method, params, time.monotonic(), refused=True))
                self._changed.notify_all()
                answer = {
                    "ok": False,
                    "error_code": code,
                    "description": f"Too Many Requests: retry after {retry_after}",
                }
                if code == 429:
                    answer["parameters"] = {"retry_after": retry_after}
                self._reply(request, code, answer)
                return
        if method == "getUpdates":
            result: Any = self._get_updates(params)
        else:
            with self._changed:
                result = self._answer(method, params)
                self.calls.append(Call(method, params, time.monotonic(), result=result))
                self._changed.notify_all()
        if isinstance(result, tuple):  # (status, description): an API error
            status, description = result
            self._reply(
                request, status, {"ok": False, "error_code": status, "description": description}
            )
            return
        self._reply(request, 200, {"ok": True, "result": result})

    @staticmethod
    def _params(request: BaseHTTPRequestHandler, body: bytes) -> dict[str, Any]:
        kind = request.headers.get("Content-Type", "")
        if not body:
            return {}
        if kind.startswith("application/json"):
            return json.loads(body)
        return {
            name: _decode(name, value)
            for name, value in parse_qsl(body.decode(), keep_blank_values=True)
        }

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), MAX_POLL_WAIT)
        deadline = time.monotonic() + wait
        with self._changed:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and time.monotonic() < deadline:
                self._changed.wait(deadline - time.monotonic())
            limit = int(params.get("limit") or 100)
            return self._updates[:limit]

    def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return self.bot
        if method == "setMyCommands":
            self.commands = params.get("commands", [])
            return True
        if method == "getMyCommands":
            return self.commands
        if method == "setWebhook":
            self.webhook = {"url": params.get("url", ""), **params}
            return True
        if method == "deleteWebhook":
            self.webhook = {}
            return True
        if method == "getWebhookInfo":
            return {
                "url": self.webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }
        if method == "sendMessage":
            chat_id = int(params["chat_id"])
            message = {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": self.chat(chat_id, "private" if chat_id > 0 else "group"),
                "from": self.bot,
                "text": params.get("text", ""),
            }
            if params.get("reply_markup"):
                message["reply_markup"] = params["reply_markup"]
            self.messages[(chat_id, message["message_id"])] = message
            return message
        if method == "editMessageReplyMarkup":
            key = (int(params.get("chat_id", 0)), int(params.get("message_id", 0)))
            message = self.messages.get(key)
            if message is None:
                return (400, "Bad Request: message to edit not found")
            if params.get("reply_markup"):
                message["reply_markup"] = params["reply_markup"]
            else:
                message.pop("reply_markup", None)
            return message
        if method in (
            "answerCallbackQuery",
            "sendChatAction",
            "deleteMyCommands",
            "close",
            "logOut",
        ):
            return True
        return (404, f"Not Found: method {method} is not faked")

    @staticmethod
    def _reply(request: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        # The bot may have given up waiting (a long poll cancelled at shutdown).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            request.wfile.write(data)
