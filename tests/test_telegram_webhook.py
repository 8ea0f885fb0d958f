"""The bridge in webhook mode: setWebhook with a secret token, and a request without the right
X-Telegram-Bot-Api-Secret-Token header is refused with 403 and reaches nothing."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from bridge_harness import (  # noqa: F401 (fixtures, requested by name)
    rasa_fixture,
    running_bridge,
    settings_for,
    telegram_fixture,
)

from bot.runner import free_port
from bot.telegram.webhook import SECRET_HEADER

SECRET = "s3cret_Token-for-tests"
PATH = "/telegram/7f3a"


@pytest.fixture
def settings(telegram, rasa, tmp_path):
    return settings_for(
        telegram,
        rasa.url,
        tmp_path / "telegram.sqlite",
        webhook_url=f"https://qp.example.org{PATH}",
        webhook_secret=SECRET,
        webhook_port=free_port(),
    )


async def post(settings, body: bytes, headers: dict[str, str], path: str = PATH) -> int:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"http://127.0.0.1:{settings.webhook_port}{path}", content=body, headers=headers
        )
    return response.status_code


async def test_the_webhook_is_registered_with_its_secret_and_polling_is_off(telegram, settings):
    async with running_bridge(settings) as bridge:
        assert telegram.webhook["url"] == f"https://qp.example.org{PATH}"
        assert telegram.webhook["secret_token"] == SECRET
        assert telegram.webhook["allowed_updates"] == ["message", "callback_query"]
        assert bridge.application.updater is None
    assert not [c for c in telegram.calls if c.method == "getUpdates"]


async def test_only_requests_with_the_secret_reach_the_bot_and_rasa(telegram, rasa, settings):
    update = json.dumps(
        telegram.text_update(31, "je veux créer un salon de coiffure") | {"update_id": 1}
    ).encode()
    async with running_bridge(settings):
        assert await post(settings, update, {}) == 403
        assert await post(settings, update, {SECRET_HEADER: "wrong"}) == 403
        assert await post(settings, update, {SECRET_HEADER: SECRET.upper()}) == 403
        await asyncio.sleep(0.5)
        assert rasa.received == [], "a refused request reaches nothing"
        assert telegram.sent() == []

        assert await post(settings, b"not json", {SECRET_HEADER: SECRET}) == 400
        assert await post(settings, update, {SECRET_HEADER: SECRET}, path="/autre") == 404
        assert await post(settings, update, {SECRET_HEADER: SECRET}) == 200
        await telegram.until(lambda: telegram.sent(31))
    assert rasa.texts() == ["je veux créer un salon de coiffure"]
    assert telegram.sent(31)[0]["text"] == "Reçu : je veux créer un salon de coiffure"
