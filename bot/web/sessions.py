"""Widget sessions: the conversation ids this server issues to browsers, and their signatures.

A browser gets `{"session_id", "token"}` from `POST /widget/session`; the widget keeps both in
its storage and sends them with every socket.io `session_request` and `user_uttered`. Rasa's
socket.io channel (rasa_extensions/channels.py, which computes the same signature) refuses a
session id whose token does not match, so nobody can join or speak in a conversation they were
not issued, even knowing its id (the console shows ids, never tokens).

token = base64url(HMAC-SHA256(widget session key, "widget-session:" + session_id)), unpadded.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "web-"
PURPOSE = "widget-session:"


def sign(key: str, session_id: str) -> str:
    digest = hmac.new(key.encode(), (PURPOSE + session_id).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def verify(key: str, session_id: str, token: str) -> bool:
    expected = sign(key, session_id).encode()
    return bool(session_id) and hmac.compare_digest(expected, (token or "").encode())


def issue(key: str) -> dict[str, str]:
    """A new conversation id (128 random bits) and its token."""
    session_id = PREFIX + secrets.token_hex(16)
    return {"session_id": session_id, "token": sign(key, session_id)}
