"""Telegram HTTP requests that honour flood control (HTTP 429, `RetryAfter`).

Every Bot API call of the bridge (sendMessage, answerCallbackQuery, editMessageReplyMarkup,
setMyCommands, setWebhook…) goes through `post`: when Telegram answers "retry after N
seconds", the call waits N seconds and is sent again, a few times at most.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import warnings
from typing import Any

from telegram.error import RetryAfter
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

logger = logging.getLogger(__name__)

MAX_RETRIES = 3


def retry_after_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # the attribute's type changes in a future PTB version
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class FloodAwareRequest(HTTPXRequest):
    def __init__(self, *args: Any, max_retries: int = MAX_RETRIES, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._max_retries = max_retries

    async def post(self, *args: Any, **kwargs: Any) -> Any:
        for attempt in range(self._max_retries + 1):
            try:
                return await super().post(*args, **kwargs)
            except RetryAfter as error:
                if attempt == self._max_retries:
                    raise
                delay = retry_after_seconds(error)
                logger.warning("Telegram flood control: retrying in %.0f s", delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")
