"""Masking personal contact details (e-mail addresses, phone numbers) in what the console shows
to people who may not see them (administrators; anyone, for a conversation not placed in a
territory): whole mentions in free text, partial masks for a lead's own e-mail and phone
fields. Also used to keep such details out of NLU training examples. Phone numbers are found
by catalog/phones.py, the parser that also reads a lead's phone: what a lead may hold is masked."""

from __future__ import annotations

import re
from typing import Any

from catalog.phones import find_phones

EMAIL_MASK = "[adresse e-mail masquée]"
PHONE_MASK = "[téléphone masqué]"

EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~\-]+@[\w\-]+(?:\.[\w\-]+)*\.[A-Za-z]{2,}")


def mask_text(text: str) -> str:
    """The text with every e-mail address and phone number replaced by a French mention."""
    if not text:
        return text
    text = EMAIL.sub(EMAIL_MASK, text)
    parts, position = [], 0
    for phone in find_phones(text):
        parts += [text[position : phone.start], PHONE_MASK]
        position = phone.end
    return "".join(parts) + text[position:]


def mask_value(value: Any) -> Any:
    """`mask_text` applied to every string inside a value (lists, dicts, nested)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, list):
        return [mask_value(item) for item in value]
    if isinstance(value, tuple):
        return tuple(mask_value(item) for item in value)
    if isinstance(value, dict):
        return {key: mask_value(item) for key, item in value.items()}
    return value


def has_contact_details(text: str) -> bool:
    return bool(text and (EMAIL.search(text) or find_phones(text)))


def mask_email(email: str) -> str:
    """« jeanne.dupont@exemple.fr » → « j•••@•••.fr »."""
    local, _, domain = email.partition("@")
    suffix = domain.rsplit(".", 1)[1] if "." in domain else ""
    return f"{local[:1]}•••@•••" + (f".{suffix}" if suffix else "")


def mask_phone(phone: str) -> str:
    """« 06 12 34 56 78 » → « 06 •• •• •• 78 »; an international number keeps its first
    three digits (« +262 •• •• •• 56 ») and its last two."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) < 6:
        return "•• •• ••"
    prefix = "+" + digits[:3] if phone.strip().startswith("+") else digits[:2]
    return f"{prefix} •• •• •• {digits[-2:]}"
