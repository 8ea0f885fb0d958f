"""Which messages the bot answers in a group chat.

In a private chat every message is for the bot. In a group or supergroup the bot stays quiet
unless it is addressed: its @username is mentioned, the message replies to one of its
messages, or it is a command (commands are routed by python-telegram-bot, not here).
"""

from __future__ import annotations

import re

from telegram import Chat, Message, MessageEntity

MENTIONS = [MessageEntity.MENTION, MessageEntity.TEXT_MENTION]


def is_private(message: Message) -> bool:
    return message.chat.type == Chat.PRIVATE


def replies_to_bot(message: Message, bot_id: int) -> bool:
    replied = message.reply_to_message
    return bool(replied and replied.from_user and replied.from_user.id == bot_id)


def _bot_mentions(message: Message, bot_username: str, bot_id: int) -> list[str]:
    """The parts of the text (or caption) that mention this bot."""
    found = []
    entities = {**message.parse_entities(MENTIONS), **message.parse_caption_entities(MENTIONS)}
    for entity, text in entities.items():
        if (
            entity.type == MessageEntity.MENTION and text.lower() == f"@{bot_username}".lower()
        ) or (
            entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot_id
        ):
            found.append(text)
    return found


def is_addressed(message: Message, bot_username: str, bot_id: int) -> bool:
    return (
        is_private(message)
        or replies_to_bot(message, bot_id)
        or bool(_bot_mentions(message, bot_username, bot_id))
    )


def addressed_text(message: Message, bot_username: str, bot_id: int) -> str | None:
    """The text meant for the bot (its mention removed), or None if not addressed to it."""
    text = message.text or ""
    if is_private(message):
        return text.strip()
    mentions = _bot_mentions(message, bot_username, bot_id)
    if not mentions and not replies_to_bot(message, bot_id):
        return None
    for mention in mentions:
        text = text.replace(mention, " ", 1)
    return re.sub(r"\s+", " ", text).strip(" ,;:") or ""
