"""« Which aids were opened » (issue 19): the widget tells our web server that the person opened
an aid's official link (POST /widget/ouverture, bot/web/opened.py), and the web server appends
the event to the conversation through Rasa's HTTP API (here tests/fake_rasa.py, which checks
the API's token as Rasa does). Only a conversation the web server issued may say so, only of
an aid of the catalogue. The consumer's side is in tests/test_observatory.py, the whole path
with the real Rasa in tests/test_observatory_e2e.py and, from a click in Chromium, in
tests/test_widget_browser.py."""

from __future__ import annotations

import httpx
import pytest
from fake_rasa import FakeRasa

from bot.web import sessions
from bot.web.app import create_app
from bot.web.opened import OPENED_PER_MINUTE
from catalog.observatory import OPENED_KEY
from settings import WebSettings, get_settings

SITE = "https://www.ville-exemple.fr"
KEY = "clé-des-sessions"


@pytest.fixture
def rasa():
    fake = FakeRasa().up()
    yield fake
    fake.down()


@pytest.fixture
async def client(rasa):
    settings = WebSettings(host="127.0.0.1", port=8080, rasa_url=rasa.url, origins=(SITE,))
    console = get_settings().console.model_copy(update={"rasa_url": rasa.url})
    app = create_app(settings, console, session_key=KEY)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as http:
        yield http


async def opened(client, session: dict[str, str], aid: str, **changes: str) -> httpx.Response:
    form = {"session_id": session["session_id"], "token": session["token"], "aide": aid}
    return await client.post(
        "/widget/ouverture", data={**form, **changes}, headers={"Origin": SITE}
    )


async def test_an_issued_conversation_records_the_aid_opened_in_rasa(client, rasa):
    session = sessions.issue(KEY)
    response = await opened(client, session, "acre")
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == SITE  # the embedding site reads it
    assert response.headers["cache-control"] == "no-store"
    [(conversation, event)] = rasa.appended
    assert conversation == session["session_id"]
    assert event["event"] == "agent"  # changes nothing in the dialogue
    assert event["data"] == {OPENED_KEY: "acre"}
    assert event["text"] is None
    assert isinstance(event["timestamp"], float)


async def test_a_forged_conversation_or_an_unknown_aid_records_nothing(client, rasa):
    session = sessions.issue(KEY)
    other = sessions.issue("une autre clé")
    assert (await opened(client, other, "acre")).status_code == 403
    assert (await opened(client, session, "acre", token="")).status_code == 403
    unknown = await opened(client, session, "une-aide-inventee")
    assert unknown.status_code == 400
    assert unknown.json() == {"erreur": "Aide inconnue."}
    assert (await client.get("/widget/ouverture")).status_code == 405
    assert rasa.appended == []


async def test_rasa_away_or_too_many_clicks_are_refused_without_harm(client, rasa):
    session = sessions.issue(KEY)
    rasa.api_status = 500
    assert (await opened(client, session, "acre")).status_code == 503
    rasa.api_status = 200
    for _ in range(OPENED_PER_MINUTE - 1):
        assert (await opened(client, session, "acre")).status_code == 204
    assert (await opened(client, session, "arce")).status_code == 429
    assert len(rasa.appended) == OPENED_PER_MINUTE - 1
