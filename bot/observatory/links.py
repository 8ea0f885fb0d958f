"""The observatory's link to a conversation: its id, sealed, so that the console's list (read
from the observatory, which keeps no id) can open the transcript through Rasa's HTTP API.

The id is encrypted with the link key (QP_LINK_KEY, derived from the server secret,
bot/keys.py): whoever reads the observatory's tables without the key learns nothing of it.
Deterministic authenticated encryption (SIV with HMAC-SHA256 as the pseudo-random function):
the synthetic nonce is a MAC of the id, the id is XORed with an HMAC counter stream; opening
recomputes the MAC. The same id always seals the same, so that replaying Rasa's events
rebuilds identical rows. The standard library only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

NONCE_BYTES = 16


def _prf(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def _keys(key: str) -> tuple[bytes, bytes]:
    master = key.encode()
    return _prf(master, b"encrypt"), _prf(master, b"authenticate")


def _stream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (length + 31) // 32
    return b"".join(_prf(key, nonce + i.to_bytes(4, "big")) for i in range(blocks))[:length]


def seal(conversation_id: str, key: str) -> str:
    """The conversation id, encrypted and authenticated (URL-safe base64)."""
    encrypt, authenticate = _keys(key)
    plain = conversation_id.encode()
    nonce = _prf(authenticate, plain)[:NONCE_BYTES]
    cipher = bytes(a ^ b for a, b in zip(plain, _stream(encrypt, nonce, len(plain)), strict=True))
    return base64.urlsafe_b64encode(nonce + cipher).decode()


def unseal(sealed: str, key: str) -> str | None:
    """The conversation id, or None when `sealed` was not sealed with this key."""
    encrypt, authenticate = _keys(key)
    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
    except (binascii.Error, ValueError):
        return None
    nonce, cipher = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
    if len(nonce) < NONCE_BYTES:
        return None
    plain = bytes(a ^ b for a, b in zip(cipher, _stream(encrypt, nonce, len(cipher)), strict=True))
    if not hmac.compare_digest(_prf(authenticate, plain)[:NONCE_BYTES], nonce):
        return None
    try:
        return plain.decode()
    except UnicodeDecodeError:
        return None
