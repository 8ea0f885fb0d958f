"""The web chat in a real browser (Debian's Chromium, driven by Playwright): the real action
server, Rasa server and web server on free ports (the session's `assistant`); the demo page;
a conversation that ends in aids with working links; a reload that keeps it; HTML shown as
text; keyboard only on a phone; 200 % zoom; an unreachable server; axe-core; the Origin check.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as websocket_connect
from widget_browser import DESCRIPTION, Chat, chromium

from bot.keys import rest_headers
from catalog.files import read_files
from settings import Settings, WebSettings

pytestmark = pytest.mark.rasa

XSS = "<img src=x onerror=alert(1)>"
# Collects Content-Security-Policy violations from the first script on (outside the CSP).
CSP_WATCH = """window.__cspViolations = [];
document.addEventListener('securitypolicyviolation',
    e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"""


@dataclass
class Servers:
    rasa: Settings
    web: WebSettings
    url: str


@pytest.fixture(scope="module")
def servers(assistant):
    """The project's own runner, as `make run` uses it: Rasa, actions and the web server."""
    web = assistant.web_settings
    return Servers(assistant.settings, web, f"http://{web.host}:{web.port}")


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def new_context(browser: Browser, **options) -> BrowserContext:
    context = browser.new_context(locale="fr-FR", **options)
    context.add_init_script(CSP_WATCH)
    return context


@pytest.fixture
def desktop(browser):
    context = new_context(browser, viewport={"width": 1280, "height": 900})
    yield context
    context.close()


@pytest.fixture
def phone(browser):
    context = new_context(
        browser,
        viewport={"width": 360, "height": 640},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    yield context
    context.close()


SESSION_OF = """() => Object.keys(localStorage).filter((k) => k.startsWith("qp-assistant:"))
    .map((k) => JSON.parse(localStorage.getItem(k)).sessionId)[0]"""


def session_of(page) -> str:
    """The widget's conversation id, as it keeps it in localStorage."""
    return page.evaluate(SESSION_OF)


def opened_aids(servers: Servers, session_id: str, wait: float = 300) -> set[str]:
    """The aids the observatory counts as opened in this conversation, once there is one."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from catalog import store
    from catalog.models import ObservedConversation, ObservedRecommendation
    from catalog.observatory import conversation_key

    engine = store.make_engine(servers.rasa.catalog.database_url)
    deadline = time.monotonic() + wait
    try:
        while True:
            with Session(engine) as session:
                opened = set(
                    session.scalars(
                        select(ObservedRecommendation.aid_id)
                        .join(ObservedConversation)
                        .where(ObservedConversation.key == conversation_key(session_id))
                        .where(ObservedRecommendation.opened.is_(True))
                    )
                )
            if opened or time.monotonic() > deadline:
                return opened
            time.sleep(1)
    finally:
        engine.dispose()


def aid(aid_id: str) -> dict:
    return next(record for record in read_files().aids if record["id"] == aid_id)


def assert_accessible(chat: Chat) -> None:
    violations = chat.axe_violations()
    assert not violations, json.dumps(violations, ensure_ascii=False, indent=1)


def assert_no_csp_violation(chat: Chat) -> None:
    assert chat.page.evaluate("window.__cspViolations") == []


def test_a_visitor_gets_aids_with_working_links_and_finds_them_after_a_reload(servers, desktop):
    page = desktop.new_page()
    sent_frames: list[str] = []
    page.on(
        "websocket",
        lambda ws: ws.on(
            "framesent",
            lambda frame: sent_frames.append(frame if isinstance(frame, str) else frame.decode()),
        ),
    )
    page.goto(servers.url + "/")
    chat = Chat(page)
    chat.open()
    recommendation = "\n".join(chat.converse())
    assert chat.clicked, "au moins une réponse proposée a été cliquée"
    assert "organismes à contacter" in recommendation
    for aid_id in ("acre", "pret-honneur-quartier"):
        record = aid(aid_id)
        assert record["name"] in recommendation
        link = page.locator(f'.qp-message--bot a[href="{record["url"]}"]').first
        assert link.get_attribute("target") == "_blank"
        assert "noopener" in link.get_attribute("rel")
        # a card's link says which aid's official page it opens (test_the_aids_are_cards…)
        assert record["name"] in link.inner_text()
    # the clicked button's title is shown as the visitor's message, its payload was sent
    assert chat.clicked[0] in chat.user_texts()
    messages = [
        json.loads(frame[2:])[1] for frame in sent_frames if frame.startswith('42["user_uttered"')
    ]
    assert messages
    assert all(m["metadata"] == {"territory": "roubaix"} for m in messages)
    assert any(m["message"].startswith("/informer") for m in messages)
    assert_no_csp_violation(chat)

    # Opening an aid's official link tells our web server (bot/web/opened.py), and the
    # observatory counts that aid as opened in this conversation.
    acre = aid("acre")
    desktop.route(lambda url: url == acre["url"], lambda route: route.fulfill(body="officiel"))
    link = page.locator(f'.qp-message--bot a[href="{acre["url"]}"]').first
    assert link.get_attribute("data-aid") == "acre"
    with (
        page.expect_response(lambda r: r.url.endswith("/widget/ouverture")) as told,
        desktop.expect_page() as official,
    ):
        link.click()
    assert told.value.status == 204
    official.value.close()
    assert_no_csp_violation(chat)
    assert "acre" in opened_aids(servers, session_of(page))
    assert_accessible(chat)  # (axe-core adds a <style>: the CSP check comes before)

    bot_before, user_before = chat.bot_texts(), chat.user_texts()
    page.reload()
    chat.input.wait_for()  # the panel was open: it reopens
    assert chat.bot_texts() == bot_before
    assert chat.user_texts() == user_before
    assert page.locator(f'.qp-message--bot a[href="{aid("acre")["url"]}"]').count() >= 1
    # the last answer's buttons still work, in the same Rasa conversation (same session id)
    contacts = "\n".join(chat.click("Être mis en relation"))
    assert "dites-moi votre commune" not in contacts
    assert any(
        c["name"] in contacts for c in read_files().contacts if c.get("territory") == "roubaix"
    )
    assert_no_csp_violation(chat)


ACTIVE_IN_WIDGET = """() => { const host = document.activeElement;
    const inner = host && host.shadowRoot && host.shadowRoot.activeElement;
    return inner ? {cls: inner.className, text: inner.textContent} : null; }"""


def test_the_aids_are_cards_that_a_keyboard_and_a_screen_reader_can_use(servers, desktop):
    page = desktop.new_page()
    page.goto(servers.url + "/")
    chat = Chat(page)
    chat.open()
    chat.converse()
    cards = page.locator(".qp-messages > li.qp-message--bot > article.qp-card")
    count = cards.count()
    assert count >= 2, "les aides sont des cartes, chacune un élément de la liste des messages"
    names = []
    for index in range(count):
        card = cards.nth(index)
        heading = card.get_by_role("heading", level=3)
        title = heading.inner_text()
        assert re.match(rf"^{index + 1}\. ", title), title  # in the order of the ranking
        name = title.split(". ", 1)[1]
        names.append(name)
        facts = card.locator("dt").all_inner_texts()
        assert facts == ["Montant", "Pourquoi", "À vérifier"]
        link = card.get_by_role(
            "link", name=f"Page officielle de l'aide « {name} » (nouvelle fenêtre)"
        )
        assert link.count() == 1, "le lien dit quelle aide il ouvre"
        assert link.get_attribute("target") == "_blank"
        assert link.get_attribute("rel") == "noopener noreferrer"
        assert link.get_attribute("href").startswith("https://")
    for aid_id in ("acre", "pret-honneur-quartier"):
        record = aid(aid_id)
        assert record["name"] in names
        card = cards.nth(names.index(record["name"]))
        assert card.locator(f'a[href="{record["url"]}"]').count() == 1
    assert_no_csp_violation(chat)
    assert_accessible(chat)

    # Keyboard: from the message log, Tab reaches each card's link, in the order of the cards.
    page.locator(".qp-log").focus()
    reached = []
    for _ in range(80):
        page.keyboard.press("Tab")
        active = page.evaluate(ACTIVE_IN_WIDGET)
        if not active or active["cls"] == "qp-input":
            break
        if active["cls"] == "qp-card-link":
            reached.append(active["text"])
    assert [text.split("« ", 1)[1].split(" »", 1)[0] for text in reached] == names

    # A reload draws the same cards from the browser's history.
    page.reload()
    chat.input.wait_for()
    assert cards.count() == count
    assert page.locator(".qp-card h3").all_inner_texts() == [
        f"{rank}. {name}" for rank, name in enumerate(names, start=1)
    ]


def test_html_typed_by_the_visitor_is_shown_as_text_and_the_length_is_capped(servers, desktop):
    page = desktop.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(servers.url + "/")
    chat = Chat(page)
    chat.open()
    chat.say(XSS)
    assert chat.user_texts() == [XSS]
    assert page.locator("img").count() == 0  # pierces the widget's shadow root
    assert dialogs == []

    chat.input.fill("é" * 1200)
    assert len(chat.input.input_value()) == 1000
    counter = page.locator(".qp-counter")
    assert "limite de 1 000 caractères" in counter.inner_text().replace("\u202f", " ")
    chat.input.fill("Bonjour")
    assert counter.inner_text().replace("\u202f", " ") == "7 / 1 000 caractères"
    assert_no_csp_violation(chat)


def test_keyboard_only_on_a_360_pixel_phone(servers, phone):
    page = phone.new_page()
    page.goto(servers.url + "/")
    active = (
        "() => { const host = document.activeElement;"
        " const inner = host && host.shadowRoot && host.shadowRoot.activeElement;"
        " return inner ? inner.className : (host ? host.tagName : ''); }"
    )
    page.get_by_role("button", name="Une question sur les aides ?").wait_for()
    for _ in range(15):  # Tab through the page to the launcher
        page.keyboard.press("Tab")
        if page.evaluate(active) == "qp-launcher":
            break
    else:
        pytest.fail("le bouton de l'assistant n'est pas atteignable au clavier")
    outline = "() => getComputedStyle(document.activeElement.shadowRoot.activeElement).outlineStyle"
    assert page.evaluate(outline) != "none", "le focus est visible"
    page.keyboard.press("Enter")
    assert page.evaluate(active) == "qp-input", "le focus va dans la zone de saisie"

    chat = Chat(page)
    before = page.locator(".qp-message--bot").count()
    page.keyboard.type("Bonjour")
    page.keyboard.press("Enter")
    chat.wait_for_answer(before)
    before = page.locator(".qp-message--bot").count()
    page.keyboard.type(DESCRIPTION)
    page.keyboard.press("Enter")
    chat.wait_for_answer(before)
    page.keyboard.press("Shift+Tab")  # from the input back to the proposed answers
    assert page.evaluate(active) == "qp-reply"
    title = page.evaluate("() => document.activeElement.shadowRoot.activeElement.textContent")
    before = page.locator(".qp-message--bot").count()
    page.keyboard.press("Enter")
    chat.wait_for_answer(before)
    assert chat.user_texts()[-1] == title

    panel = page.locator(".qp-panel").bounding_box()
    assert panel["x"] >= 0
    assert panel["x"] + panel["width"] <= 360
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_no_csp_violation(chat)  # before axe, which tries an inline style
    assert_accessible(chat)
    page.keyboard.press("Escape")
    assert page.evaluate(active) == "qp-launcher", "Échap ferme et rend le focus au bouton"


def test_usable_at_200_percent_zoom(servers, browser):
    # A 1280 × 800 window at 200 % zoom lays out like a 640 × 400 viewport.
    context = new_context(browser, viewport={"width": 640, "height": 400}, device_scale_factor=2)
    try:
        page = context.new_page()
        page.goto(servers.url + "/")
        chat = Chat(page)
        chat.open()
        for selector in (".qp-panel", ".qp-input", ".qp-send", ".qp-close"):
            box = page.locator(selector).bounding_box()
            assert 0 <= box["x"] <= box["x"] + box["width"] <= 640, selector
            assert 0 <= box["y"] <= box["y"] + box["height"] <= 400, selector
        assert any("Bonjour" in text or "assistant" in text for text in chat.say("Bonjour"))
        assert_accessible(chat)
    finally:
        context.close()


def test_an_unreachable_server_is_shown_and_retried_automatically(servers, desktop):
    reachable = {"now": False}

    def route(ws):  # the Rasa server "down" until told otherwise
        if reachable["now"]:
            ws.connect_to_server()
        else:
            ws.close()

    page = desktop.new_page()
    page.route_web_socket(re.compile(r".*/socket\.io/.*"), route)
    page.goto(servers.url + "/")
    chat = Chat(page)
    chat.open()
    status = page.locator(".qp-status:not(.qp-question)")  # not the erase confirmation
    status.get_by_text("momentanément injoignable").wait_for()
    assert page.get_by_role("button", name="Réessayer maintenant").is_visible()
    chat.input.fill("Bonjour")
    chat.input.press("Enter")
    assert chat.input.input_value() == "Bonjour", "le message non parti reste dans la saisie"
    status.get_by_text("pas encore parti").wait_for()

    reachable["now"] = True  # back: the next automatic attempt connects
    status.wait_for(state="hidden", timeout=30000)
    assert any("assistant" in text for text in chat.say("Bonjour"))


def test_the_channels_of_the_proposed_credentials_work(servers):
    reply = httpx.post(
        f"{servers.rasa.servers.rasa_url}/webhooks/rest/webhook",
        timeout=60,
        headers=rest_headers(),
        json={"sender": "widget-rest", "message": "Bonjour"},
    ).json()
    assert any("assistant Quartiers productifs" in m.get("text", "") for m in reply)
    # socket.io: only the allowed origins (here the demo page's own)
    url = f"ws://127.0.0.1:{servers.rasa.servers.rasa_port}/socket.io/?EIO=4&transport=websocket"
    with websocket_connect(url, origin=servers.url, open_timeout=10) as socket:
        assert socket.recv(timeout=10).startswith("0{")  # engine.io "open" packet
    with pytest.raises(InvalidStatus) as refused:
        websocket_connect(url, origin="https://site-malveillant.example", open_timeout=10)
    assert refused.value.response.status_code == 400


def stored_widget_state(page) -> dict:
    """What the widget keeps in this browser (localStorage), parsed."""
    raw = page.evaluate(
        "() => Object.keys(localStorage).filter(k => k.startsWith('qp-assistant:'))"
        ".map(k => localStorage.getItem(k))"
    )
    return json.loads(raw[0]) if raw else {}


def events_of(servers: Servers, sender: str) -> int:
    """The events Rasa's tracker store (the assistant's SQLite) holds for `sender`."""
    import sqlite3

    with sqlite3.connect(servers.rasa.tracker.db) as db:
        return db.execute("select count(*) from events where sender_id = ?", (sender,)).fetchone()[
            0
        ]


def described_project(servers, desktop):
    """A visitor who opened the widget and described their project: the page, the chat and
    the session id, with the description stored in the browser and on the server."""
    page = desktop.new_page()
    page.goto(servers.url + "/")
    chat = Chat(page)
    chat.open()
    chat.say(DESCRIPTION)
    state = stored_widget_state(page)
    session = state["sessionId"]
    assert session
    assert any(e["text"] == DESCRIPTION for e in state["history"])
    assert events_of(servers, session) > 0
    return page, chat, session


def assert_erased_on_the_server(servers, page, session: str) -> None:
    # socket.io delivers the confirmation during the turn, Rasa saves (and erases) just after
    deadline = time.monotonic() + 30
    while events_of(servers, session) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert events_of(servers, session) == 0, "la conversation est effacée sur le serveur"


def test_finding_3_the_bin_button_erases_on_the_server_and_in_the_browser(servers, desktop):
    page, chat, session = described_project(servers, desktop)
    bin_button = page.get_by_role("button", name="Effacer la conversation et vos données")
    bin_button.click()  # a confirmation first; « Annuler » keeps everything
    question = page.locator(".qp-question")
    question.get_by_text("C'est définitif").wait_for()
    question.get_by_role("button", name="Annuler").click()
    assert question.is_hidden()
    assert chat.user_texts() == [DESCRIPTION]
    assert events_of(servers, session) > 0

    bin_button.click()
    page.get_by_role("button", name="Effacer", exact=True).click()
    page.get_by_role("status").get_by_text(
        "La conversation et vos données ont été effacées"
    ).wait_for()
    assert chat.user_texts() == []
    assert chat.bot_texts() == []
    assert_erased_on_the_server(servers, page, session)
    kept = stored_widget_state(page)
    assert kept.get("history") == []
    assert kept.get("sessionId") != session
    page.reload()
    chat.input.wait_for()
    assert chat.user_texts() == []
    assert chat.bot_texts() == []
    assert_no_csp_violation(chat)


def test_finding_2_an_erasure_typed_in_words_empties_the_browser_and_starts_a_new_session(
    servers, desktop
):
    """Issue 18, finding 2: the widget's stored history (which may hold contact details)
    stayed after an erasure. Typed in words, « supprimer mes données » erases on the server,
    and the erase marker of the answer empties this browser's copy: no history, a new session
    id, which the next message uses."""
    page, chat, session = described_project(servers, desktop)

    chat.input.fill("supprimer mes données")
    chat.input.press("Enter")
    page.get_by_role("status").get_by_text(
        "La conversation et vos données ont été effacées"
    ).wait_for(timeout=60_000)
    assert chat.user_texts() == []
    assert chat.bot_texts() == []
    kept = stored_widget_state(page)
    assert kept.get("history") == []
    assert kept.get("sessionId") != session
    assert_erased_on_the_server(servers, page, session)

    # the next message starts a new conversation, under the new session id
    assert chat.say("Bonjour")
    renewed = stored_widget_state(page)
    assert renewed["sessionId"] not in (None, session)
    assert [e["text"] for e in renewed["history"] if e["from"] == "user"] == ["Bonjour"]
    assert events_of(servers, renewed["sessionId"]) > 0
    page.reload()
    chat.input.wait_for()
    assert chat.user_texts() == ["Bonjour"]
    assert_no_csp_violation(chat)
