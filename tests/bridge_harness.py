"""Running the Telegram bridge inside a test, against the fake Telegram and a fake Rasa."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fake_rasa import FakeRasa
from fake_telegram import FakeTelegram

from bot.telegram.app import Bridge
from settings import RetryPolicy, TelegramSettings

FAST_RETRY = RetryPolicy(initial_delay=0.05, max_delay=0.2, max_age=3600)


# The fixtures are named apart from their functions so that a test module can import them
# and still take `telegram` and `rasa` as parameters without shadowing the imported names.
@pytest.fixture(name="telegram")
def telegram_fixture():
    """A fresh fake Telegram Bot API (import this fixture into a test module)."""
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture(name="rasa")
def rasa_fixture():
    """A fake Rasa REST channel, up (import this fixture into a test module)."""
    fake = FakeRasa().up()
    yield fake
    fake.down()


def settings_for(
    telegram: FakeTelegram, rasa_url: str, state_db: Path, **overrides: Any
) -> TelegramSettings:
    return TelegramSettings(
        token=telegram.token,
        rasa_url=rasa_url,
        state_db=state_db,
        api_base_url=telegram.base_url,
        poll_timeout=1,
        retry=FAST_RETRY,
    ).model_copy(update=overrides)


@contextlib.asynccontextmanager
async def running_bridge(settings: TelegramSettings) -> AsyncIterator[Bridge]:
    """Start the bridge on the current event loop; stop it (cleanly) on exit."""
    bridge = Bridge(settings)
    stop = asyncio.Event()
    task = asyncio.create_task(bridge.run(stop))
    ready = asyncio.create_task(bridge.ready.wait())
    done, _ = await asyncio.wait({task, ready}, timeout=20, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        task.result()  # raises what made the start fail
    if not done:
        raise TimeoutError("the bridge did not start")
    try:
        yield bridge
    finally:
        stop.set()
        ready.cancel()
        await asyncio.wait_for(task, 20)
