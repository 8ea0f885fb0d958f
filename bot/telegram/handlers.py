"""python-telegram-bot handlers: commands, texts, button choices and other messages.

The bot converses in private chats only. In a group every member would share one
conversation: one profile, leads in the group's name, and any member could erase them all.
There, a message addressed to the bot (mention, reply, command, button) is answered with an
invitation to write to it privately, and nothing reaches Rasa.

Nothing here logs what people write or who they are: at INFO level the logs only say what
kind of event happened.
"""

from __future__ import annotations

import logging
from html import escape
from typing import Any

from telegram import BotCommand, CallbackQuery, Chat, Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.telegram import texts
from bot.telegram.addressing import addressed_text, is_addressed
from bot.telegram.relay import Relay

logger = logging.getLogger(__name__)

# Commands that are intents for Rasa (the payload Rasa receives).
RASA_COMMANDS = {
    "recommencer": "/recommencer",
    "contact": "/demander_contact",
    "supprimer": "/supprimer_donnees",
}
ERASE_COMMAND = "supprimer"
CHOICE_TOAST_MAX = 200  # answerCallbackQuery's text limit

# Kinds of message the assistant cannot read, checked in this order (an animation is also a
# document, so it comes first); anything else non-textual is "other".
NON_TEXT_KINDS = (
    "animation",
    "sticker",
    "photo",
    "voice",
    "audio",
    "video_note",
    "video",
    "document",
    "contact",
)
NON_TEXT = (
    filters.ANIMATION
    | filters.Sticker.ALL
    | filters.PHOTO
    | filters.VOICE
    | filters.AUDIO
    | filters.VIDEO_NOTE
    | filters.VIDEO
    | filters.Document.ALL
    | filters.CONTACT
    | filters.POLL
    | filters.Dice.ALL
    | filters.GAME
)
NEW_MESSAGES = filters.UpdateType.MESSAGE  # edits are not new answers: ignored


def bot_commands() -> list[BotCommand]:
    return [BotCommand(name, description) for name, description in texts.COMMANDS.items()]


def metadata(update: Update, territory: str | None = None) -> dict[str, Any]:
    """What Rasa is told besides the text: the channel, the kind of chat and the bot's
    territory if it has one, nothing personal."""
    meta: dict[str, Any] = {"channel": "telegram"}
    if territory:
        meta["territory"] = territory
    if update.effective_chat:
        meta["chat_type"] = update.effective_chat.type
    if update.effective_user and update.effective_user.language_code:
        meta["language"] = update.effective_user.language_code
    return meta


def kind_of(message: Message) -> str:
    return next((kind for kind in NON_TEXT_KINDS if getattr(message, kind, None)), "other")


class Handlers:
    def __init__(self, relay: Relay, territory: str | None = None) -> None:
        self.relay = relay
        self.territory = territory

    def install(self, application: Application) -> None:
        application.add_handler(CommandHandler("start", self.start))
        application.add_handler(CommandHandler(["aide", "help"], self.help))
        application.add_handler(CommandHandler(list(RASA_COMMANDS), self.rasa_command))
        application.add_handler(
            MessageHandler(
                NEW_MESSAGES & filters.COMMAND & filters.ChatType.PRIVATE, self.unknown_command
            )
        )
        application.add_handler(
            MessageHandler(NEW_MESSAGES & filters.TEXT & ~filters.COMMAND, self.text)
        )
        application.add_handler(CallbackQueryHandler(self.choice))
        application.add_handler(
            MessageHandler(NEW_MESSAGES & (filters.LOCATION | filters.VENUE), self.location)
        )
        application.add_handler(MessageHandler(NEW_MESSAGES & NON_TEXT, self.not_text))
        application.add_error_handler(self.error)

    # --- group chats ------------------------------------------------------------------------

    async def in_group(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, addressed: bool = True
    ) -> bool:
        """True in a group chat, after sending the private-chat invitation if addressed."""
        chat = update.effective_chat
        if chat is None or chat.type == Chat.PRIVATE:
            return False
        if addressed:
            logger.info("group message: private chat suggested")
            link = escape(f"https://t.me/{context.bot.username}")
            await self.relay.say(chat.id, texts.PRIVATE_ONLY.format(link=link))
        return True

    # --- commands ---------------------------------------------------------------------------

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if await self.in_group(update, context):
            return
        logger.info("command start")
        await self.relay.say(update.effective_chat.id, texts.WELCOME)

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if await self.in_group(update, context):
            return
        logger.info("command aide")
        await self.relay.say(update.effective_chat.id, texts.HELP)

    async def rasa_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if await self.in_group(update, context):
            return
        command = (update.effective_message.text or "").split()[0].lstrip("/").split("@")[0]
        command = command.lower()
        logger.info("command %s", command)
        # /supprimer also erases what the bridge keeps; Rasa's action resets the profile.
        await self.relay.submit(
            update.effective_chat.id,
            RASA_COMMANDS[command],
            metadata(update, self.territory),
            forget_first=command == ERASE_COMMAND,
        )

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.relay.say(update.effective_chat.id, texts.UNKNOWN_COMMAND)

    # --- messages ---------------------------------------------------------------------------

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        text = addressed_text(message, context.bot.username, context.bot.id)
        if await self.in_group(update, context, addressed=text is not None):
            return
        if text is None:
            return  # not for the bot
        logger.info("text message")
        if not text:
            await self.relay.say(message.chat_id, texts.HELP)  # just "@bot"
            return
        await self.relay.submit(message.chat_id, text, metadata(update, self.territory))

    async def location(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        addressed = is_addressed(message, context.bot.username, context.bot.id)
        if await self.in_group(update, context, addressed):
            return
        if addressed:
            logger.info("location message")
            await self.relay.say(message.chat_id, texts.LOCATION)

    async def not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        addressed = is_addressed(message, context.bot.username, context.bot.id)
        if await self.in_group(update, context, addressed):
            return
        if addressed:
            kind = kind_of(message)
            logger.info("%s message", kind)
            await self.relay.say(message.chat_id, texts.NOT_TEXT[kind] + texts.WRITE_INSTEAD)

    # --- buttons ----------------------------------------------------------------------------

    async def choice(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        chat = update.effective_chat
        if chat is None:
            await self._answer(query, texts.CHOICE_EXPIRED_ALERT)
            return
        if chat.type != Chat.PRIVATE:  # a keyboard sent to a group before private-only
            await self._answer(query, texts.PRIVATE_ONLY_ALERT)
            await self._remove_keyboard(query)
            return
        found = self.relay.callbacks.resolve(chat.id, query.data or "")
        if found is None:
            logger.info("button choice: unknown id")
            await self._answer(query, texts.CHOICE_EXPIRED_ALERT)
            await self._remove_keyboard(query)
            await self.relay.say(chat.id, texts.CHOICE_EXPIRED)
            return
        if found.used:
            await self._answer(query, texts.CHOICE_ALREADY_TAKEN)
            await self._remove_keyboard(query)
            return
        logger.info("button choice")
        self.relay.callbacks.mark_used(found.keyboard)
        await self._answer(query, texts.CHOICE_TAKEN.format(title=found.title))
        await self._remove_keyboard(query)
        await self.relay.submit(chat.id, found.payload, metadata(update, self.territory))

    async def _answer(self, query: CallbackQuery, text: str) -> None:
        try:
            await query.answer(text[:CHOICE_TOAST_MAX])
        except TelegramError as error:  # e.g. "query is too old" after a long outage
            logger.warning("answering a button press failed: %s", type(error).__name__)

    async def _remove_keyboard(self, query: CallbackQuery) -> None:
        message = query.message
        if message is None:
            return
        try:
            await query.get_bot().edit_message_reply_markup(
                chat_id=message.chat.id, message_id=message.message_id, reply_markup=None
            )
        except TelegramError as error:
            logger.warning("removing a keyboard failed: %s", type(error).__name__)

    # --- errors -----------------------------------------------------------------------------

    async def error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        logger.error(
            "handling an update failed: %s", type(context.error).__name__, exc_info=context.error
        )
