"""The observatory's link to a conversation: its id, sealed, so that the console's list (read
from the observatory, which keeps no id) can open the transcript through Rasa's HTTP API.

The id is encrypted with the link key (QP_LINK_KEY, derived from the server secret,
bot/keys.py): whoever reads the observatory's tables without the key learns nothing of it.
AES-SIV (RFC 5297, from the `cryptography` package) is deterministic authenticated
encryption: the same id always seals the same, so that replaying Rasa's events rebuilds
identical rows, and a value not sealed with this key does not open.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV


def _cipher(key: str) -> AESSIV:
    # AES-256-SIV takes a 512-bit key: the link key, of any length, hashed to that size.
    return AESSIV(hashlib.sha512(b"qp-observatory-link:" + key.encode()).digest())


def seal(conversation_id: str, key: str) -> str:
    """The conversation id, encrypted and authenticated (URL-safe base64)."""
    sealed = _cipher(key).encrypt(conversation_id.encode(), None)
    return base64.urlsafe_b64encode(sealed).decode()


def unseal(sealed: str, key: str) -> str | None:
    """The conversation id, or None when `sealed` was not sealed with this key."""
    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
        return _cipher(key).decrypt(raw, None).decode()
    except (binascii.Error, ValueError, InvalidTag, UnicodeDecodeError):
        return None
