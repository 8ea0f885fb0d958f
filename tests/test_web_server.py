"""The web server without a browser: demo page, security headers, widget files, settings."""

from __future__ import annotations

import filecmp
import re
from html.parser import HTMLParser

import httpx
import pytest

from bot.web.app import STATIC_DIR, create_app
from settings import WebSettings, get_settings, parse_origins

WEB_DIR = STATIC_DIR.parent
TERRITORY_SITE = "https://www.ville-exemple.fr"
SETTINGS = WebSettings(
    host="127.0.0.1",
    port=8080,
    rasa_url="https://rasa.exemple.fr",
    origins=(TERRITORY_SITE,),
    demo_territory="roubaix",
)


APP = create_app(SETTINGS)


@pytest.fixture
async def client():
    transport = httpx.ASGITransport(app=APP)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as client:
        yield client


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


async def test_the_demo_page_embeds_the_widget_with_one_script_tag_and_nothing_inline(client):
    response = await client.get("/")
    assert response.status_code == 200
    parser = Tags()
    parser.feed(response.text)
    scripts = [attrs for tag, attrs in parser.tags if tag == "script"]
    assert scripts == [
        {
            "src": "/static/widget.js",
            "defer": None,
            "data-server": "https://rasa.exemple.fr",
            "data-territory": "roubaix",
            "data-title": "Assistant des aides aux entreprises",
        }
    ]
    assert not [tag for tag, attrs in parser.tags if tag == "style" or "style" in attrs]
    assert not [attrs for _, attrs in parser.tags if any(name.startswith("on") for name in attrs)]
    assert 'lang="fr"' in response.text
    assert "Roubaix" in response.text


async def test_the_demo_page_has_a_strict_content_security_policy(client):
    csp = (await client.get("/")).headers["content-security-policy"]
    directives = dict(part.split(" ", 1) for part in csp.split("; "))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["connect-src"] == "'self' https://rasa.exemple.fr wss://rasa.exemple.fr"
    assert "unsafe" not in csp
    assert directives["require-trusted-types-for"] == "'script'"


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/static/widget.js", "text/javascript"),
        ("/static/widget/main.js", "text/javascript"),
        ("/static/widget/widget.css", "text/css"),
        ("/static/vendor/socket.io.esm.min.js", "text/javascript"),
    ],
)
async def test_widget_files_are_served_to_the_allowed_sites_only(client, path, media_type):
    allowed = await client.get(path, headers={"Origin": TERRITORY_SITE})
    assert allowed.status_code == 200
    assert allowed.headers["content-type"].startswith(media_type)
    assert allowed.headers["access-control-allow-origin"] == TERRITORY_SITE
    assert allowed.headers["x-content-type-options"] == "nosniff"
    other = await client.get(path, headers={"Origin": "https://autre-site.example"})
    assert "access-control-allow-origin" not in other.headers


async def test_health_and_unknown_paths(client):
    assert (await client.get("/health")).text == "ok"
    assert (await client.get("/static/../app.py")).status_code == 404
    assert (await client.get("/admin")).status_code == 404


def test_our_browser_code_never_turns_text_into_html_nor_loads_from_elsewhere():
    ours = [STATIC_DIR / "widget.js", *(STATIC_DIR / "widget").glob("*")]
    assert len(ours) >= 10
    for path in ours:
        code = re.sub(
            r"/\*.*?\*/|^\s*//.*$",
            "",
            path.read_text(encoding="utf-8"),
            flags=re.DOTALL | re.MULTILINE,
        )  # without the comments
        assert not re.search(
            r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(", code
        ), path
        assert not re.search(r"@import|url\(\s*['\"]?https?:", code), path


def test_the_vendored_socketio_client_is_the_locked_npm_package():
    built = WEB_DIR / "node_modules" / "socket.io-client" / "dist" / "socket.io.esm.min.js"
    if not built.exists():
        pytest.skip("bot/web/node_modules absent : lancez scripts/build_widget.sh")
    assert filecmp.cmp(built, STATIC_DIR / "vendor" / "socket.io.esm.min.js", shallow=False)


def test_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("QP_CORS_ORIGINS", "https://a.fr")
    monkeypatch.delenv("QP_WEB_ORIGINS", raising=False)
    monkeypatch.setenv("WEB_PORT", "9000")
    monkeypatch.setenv("RASA_PORT", "5999")
    settings = get_settings().web
    assert settings.origins == ("https://a.fr",)  # QP_CORS_ORIGINS when alone
    assert settings.rasa_url == "http://127.0.0.1:5999"
    assert settings.rasa_websocket_url == "ws://127.0.0.1:5999"
    assert settings.socketio_origins == (
        "https://a.fr",
        "http://127.0.0.1:9000",
        "http://localhost:9000",
    )
    monkeypatch.setenv("QP_WEB_ORIGINS", " https://b.fr/ , https://c.fr ")
    get_settings.cache_clear()  # the environment changed: read it again
    assert get_settings().web.origins == ("https://b.fr", "https://c.fr")
    assert parse_origins("") == ()
