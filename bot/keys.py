"""The server's secrets: who may talk to Rasa, and how conversation ids are made unguessable.

One master secret (QP_SERVER_SECRET, else a random one created once in var/server-secret,
readable by its owner only) and a key derived from it for each use, so that one leaked key
does not give the others:

- the REST channel's shared secret (header `X-QP-Channel-Secret`): only our own processes
  (Telegram bridge, console debug chat, `qp flows`, bench, tests) may post to Rasa's REST channel;
- the widget session key: the web server signs the session ids it issues to browsers, Rasa's
  socket.io channel checks the signature (bot/web/sessions.py);
- the Telegram conversation key: a chat's conversation id is a keyed hash of its chat id;
- the action server token, which Rasa sends with every call (endpoints.yml);
- the key of Rasa's HTTP API: Rasa checks the JSON Web Tokens signed with it
  (`--jwt-secret`), which the console sends to read a conversation (bot/rasa_api.py);
- the link key, which seals a conversation id in the observatory's row so that the console's
  list can open its transcript (bot/observatory/links.py).

Each derived value can also be given directly (settings `servers`: QP_REST_SECRET,
QP_WIDGET_SESSION_KEY, QP_TELEGRAM_ID_KEY, QP_ACTION_TOKEN, QP_RASA_API_KEY, QP_LINK_KEY): the
runner does so for the processes it starts, and a deployment that runs them on several machines
does the same.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from settings import PROJECT_DIR, get_settings

SECRET_FILE = PROJECT_DIR / "var" / "server-secret"
REST_SECRET_HEADER = "X-QP-Channel-Secret"

# environment variable → (field of the `servers` settings, purpose of the derived key)
DERIVED = {
    "QP_REST_SECRET": ("rest_secret", "rest-channel"),
    "QP_WIDGET_SESSION_KEY": ("widget_session_key", "widget-session"),
    "QP_TELEGRAM_ID_KEY": ("telegram_id_key", "telegram-conversation"),
    "QP_ACTION_TOKEN": ("action_token", "action-server"),
    "QP_RASA_API_KEY": ("rasa_api_key", "rasa-api"),
    "QP_LINK_KEY": ("link_key", "observatory-link"),
}


def server_secret() -> str:
    """QP_SERVER_SECRET, else the one kept in var/server-secret (created on first use)."""
    if get_settings().servers.secret:
        return get_settings().servers.secret
    path = SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it meanwhile
            pass
        else:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _derive(purpose: str) -> str:
    digest = hmac.new(server_secret().encode(), purpose.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _value(variable: str) -> str:
    field, purpose = DERIVED[variable]
    return getattr(get_settings().servers, field) or _derive(purpose)


def rest_secret() -> str:
    return _value("QP_REST_SECRET")


def widget_session_key() -> str:
    return _value("QP_WIDGET_SESSION_KEY")


def telegram_id_key() -> str:
    return _value("QP_TELEGRAM_ID_KEY")


def action_token() -> str:
    return _value("QP_ACTION_TOKEN")


def rasa_api_key() -> str:
    return _value("QP_RASA_API_KEY")


def link_key() -> str:
    return _value("QP_LINK_KEY")


def rest_headers() -> dict[str, str]:
    """The header every call to Rasa's REST channel carries."""
    return {REST_SECRET_HEADER: rest_secret()}


def environment() -> dict[str, str]:
    """Every derived value, for the environment of the processes the runner starts."""
    return {variable: _value(variable) for variable in DERIVED}
