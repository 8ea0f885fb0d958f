"""Delivering the user's messages to Rasa, in order, and Rasa's answers back to Telegram.

Every message is first written to the pending queue, then sent to Rasa; it leaves the queue
once Rasa has answered. When Rasa cannot be reached the user is told so, the message stays in
the queue, and a background task retries with exponential backoff (1 s, 2 s, 4 s… up to a
minute), then sends the answers as soon as Rasa is back — after a restart of the bridge too.
A message still undelivered after `RetryPolicy.max_age` is given up and the user asked to
send it again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.telegram import texts
from bot.telegram.callbacks import CallbackMap
from bot.telegram.ordering import ChatLocks
from bot.telegram.pending import PendingQueue
from bot.telegram.rasa import RasaClient, RasaRejectedError, RasaUnavailableError
from bot.telegram.rendering import Button, erasure_confirmed, plan, row_width
from settings import RetryPolicy

logger = logging.getLogger(__name__)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # answers hold several links: keep them compact


class Relay:
    def __init__(
        self,
        bot: Bot,
        rasa: RasaClient,
        pending: PendingQueue,
        callbacks: CallbackMap,
        policy: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.bot = bot
        self.rasa = rasa
        self.pending = pending
        self.callbacks = callbacks
        self.policy = policy or RetryPolicy()
        self._clock = clock
        self._chats = ChatLocks()
        self._waiting = asyncio.Event()  # set while messages wait for Rasa
        if pending.count():
            self._waiting.set()  # left over from the previous run

    # --- towards Rasa ---------------------------------------------------------------------

    async def submit(
        self, chat_id: int, text: str, metadata: dict[str, Any], forget_first: bool = False
    ) -> None:
        """Hand a user message to Rasa (after any older waiting one) and send the answers.

        With `forget_first`, what the bridge keeps about the chat (older waiting messages,
        keyboards) is erased before.
        """
        async with self._chats.hold(chat_id):
            if forget_first:
                self.forget_chat(chat_id)
            message_id = self.pending.push(chat_id, text, metadata)
            if not await self._flush(chat_id, fresh=message_id):
                await self.say(chat_id, texts.UNAVAILABLE)

    async def _flush(self, chat_id: int, fresh: int | None = None) -> bool:
        """Deliver this chat's waiting messages in order; False if Rasa is still unreachable."""
        expired_told = back_told = False
        while (message := self.pending.first(chat_id)) is not None:
            if message.id != fresh and self._clock() - message.created > self.policy.max_age:
                self.pending.remove(message.id)
                if not expired_told:
                    await self.say(chat_id, texts.EXPIRED)
                    expired_told = True
                continue
            try:
                answers = await self.rasa.send(chat_id, message.text, message.metadata)
            except RasaUnavailableError as error:
                self.pending.failed(message.id)
                self._waiting.set()
                logger.warning(
                    "Rasa unavailable (%s); %d message(s) waiting", error, self.pending.count()
                )
                return False
            except RasaRejectedError as error:
                self.pending.remove(message.id)
                logger.warning("Rasa rejected a message (%s)", error)
                await self.say(chat_id, texts.REJECTED)
                continue
            self.pending.remove(message.id)
            if erasure_confirmed(answers):
                self.forget_chat(chat_id)  # the person's data is erased: ours too
            if message.id != fresh and not back_told:
                await self.say(chat_id, texts.BACK_ONLINE)
                back_told = True
            await self.render(chat_id, answers)
        return True

    async def retry_pending(self) -> bool:
        """One pass over every chat with waiting messages; True when all were delivered."""
        for chat_id in self.pending.chats():
            async with self._chats.hold(chat_id):
                if not await self._flush(chat_id):
                    return False  # Rasa is down for everybody: wait before the next chat
        return True

    async def run_retries(self) -> None:
        """Background task: retry waiting messages with exponential backoff, forever."""
        delay = self.policy.initial_delay
        while True:
            await self._waiting.wait()
            await asyncio.sleep(delay)
            try:
                delivered = await self.retry_pending()
            except Exception:  # never let the retry task die: log and try again later
                logger.exception("retrying waiting messages failed")
                delivered = False
            if delivered:
                delay = self.policy.initial_delay
                if not self.pending.count():
                    self._waiting.clear()
                    logger.info("every waiting message has been delivered")
            else:
                delay = min(delay * 2, self.policy.max_delay)

    def forget_chat(self, chat_id: int) -> None:
        """Erase what the bridge keeps about a chat (waiting messages, keyboards)."""
        self.pending.forget_chat(chat_id)
        self.callbacks.forget_chat(chat_id)

    # --- towards Telegram -----------------------------------------------------------------

    async def render(self, chat_id: int, answers: list[dict[str, Any]]) -> None:
        """Send Rasa's answers to the chat: texts, then the last one with its keyboard."""
        for outgoing in plan(answers):
            markup = self._keyboard(chat_id, outgoing.buttons) if outgoing.buttons else None
            text = outgoing.html_text if outgoing.text else texts.EMPTY_BUTTONS_TEXT
            await self.say(chat_id, text, markup)

    def _keyboard(self, chat_id: int, buttons: list[Button]) -> InlineKeyboardMarkup:
        choices = [b for b in buttons if not b.is_link]
        ids = iter(self.callbacks.register(chat_id, [(b.title, b.payload) for b in choices]))
        keys = [
            InlineKeyboardButton(b.title, url=b.payload)
            if b.is_link
            else InlineKeyboardButton(b.title, callback_data=next(ids))
            for b in buttons
        ]
        width = row_width(buttons)
        return InlineKeyboardMarkup([keys[i : i + width] for i in range(0, len(keys), width)])

    async def say(
        self, chat_id: int, html_text: str, markup: InlineKeyboardMarkup | None = None
    ) -> Message | None:
        """Send one message (Telegram HTML). A refusal (bot blocked…) is logged, not raised."""
        try:
            return await self.bot.send_message(
                chat_id,
                html_text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=NO_PREVIEW,
            )
        except TelegramError as error:
            logger.warning("sending a message failed: %s", type(error).__name__)
            return None
