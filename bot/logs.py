"""Structured logs of our servers (web server, action server): one JSON object per line with
`time`, `level`, `logger`, `message` and `request_id`, written by python-json-logger.

The request id comes from the `X-Request-ID` header of the incoming request (kept when it is a
short token), else a new one is drawn; it is held in a context variable for the time of the
request, added to every log line, sent back in the response, and sent on when we call Rasa
(`request_headers()`). No personal data: every message and argument goes through
catalog/privacy.py's masking of e-mail addresses and phone numbers before it is written, as a
last guard behind the rule that logs never carry message text. QP_LOG_FORMAT=text keeps the
plain format of the terminal.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
import uuid
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from catalog.privacy import mask_text

HEADER = "X-Request-ID"
VALID_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
FIELDS = ("time", "level", "logger", "message", "request_id")

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def accept_request_id(given: str | None) -> str:
    """The caller's id when it is a plain token of 8 to 64 characters, else a new one (an
    arbitrary header must not write arbitrary text, or personal data, into the logs)."""
    return given if given and VALID_ID.fullmatch(given) else new_request_id()


def set_request_id(value: str | None) -> object:
    return _request_id.set(value)


def reset_request_id(token: object) -> None:
    _request_id.reset(token)  # type: ignore[arg-type]


def current_request_id() -> str | None:
    return _request_id.get()


def request_headers() -> dict[str, str]:
    """The header that carries the current request id to the servers we call."""
    current = _request_id.get()
    return {HEADER: current} if current else {}


class RequestContext(logging.Filter):
    """Adds `request_id` to each record and masks contact details in its text."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get() or "-"
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 — a bad format string: log what we have
            text = str(record.msg)
        record.msg, record.args = mask_text(text), None
        return True


class Formatter(JsonFormatter):
    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            datefmt="%Y-%m-%dT%H:%M:%S%z",
            json_ensure_ascii=False,
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        if record.exc_info:  # the exception's kind and where: its text may quote data
            log_data.pop("exc_info", None)
            kind, _, trace = record.exc_info
            log_data["exception"] = kind.__name__ if kind else "?"
            log_data["where"] = [
                f"{frame.filename}:{frame.lineno} {frame.name}"
                for frame in traceback.extract_tb(trace)[-5:]
            ]


def handler(log_format: str = "json") -> logging.Handler:
    """A stderr handler in `log_format` (json or text), with the request context filter."""
    made = logging.StreamHandler(sys.stderr)
    made.addFilter(RequestContext())
    if log_format == "json":
        made.setFormatter(Formatter())
    else:
        made.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    return made


# The loggers that servers' libraries configure with their own handlers: given ours instead.
LIBRARY_LOGGERS = (
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "sanic.root",
    "sanic.error",
    "sanic.access",
    "sanic.server",
    "sanic.websockets",
    "rasa_sdk",
)


def configure(log_format: str = "json", level: int = logging.INFO) -> None:
    """Every log line of this process through one handler in `log_format`."""
    root = logging.getLogger()
    root.handlers[:] = [handler(log_format)]
    root.setLevel(level)
    logging.captureWarnings(True)  # Python's warnings as log lines too
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    sys.excepthook = log_uncaught


def log_uncaught(kind: type[BaseException], value: BaseException, trace: Any) -> None:
    """An exception nobody caught, which ends the process, as one log line like the others
    (its kind and where, not its text). Python's own hook printed a multi-line traceback
    between the JSON lines, which broke the log's one-object-per-line format (the action
    server did, with Sanic's worker manager since removed, when stopped while it synced)."""
    if issubclass(kind, KeyboardInterrupt):  # Ctrl-C in a terminal: Python's usual way
        sys.__excepthook__(kind, value, trace)
        return
    logging.getLogger("qp.uncaught").critical(
        "Exception non rattrapée : le processus s'arrête.", exc_info=(kind, value, trace)
    )


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's `log_config`: keep the handlers `configure` installed (no dictConfig of its
    own, which would put back its plain-text handlers)."""
    return {"version": 1, "disable_existing_loggers": False}
