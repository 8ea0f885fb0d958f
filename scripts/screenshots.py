"""Screenshots of the demo page with a whole conversation, on a desktop and on a 360-px phone,
and of the advisors' console.

    .venv/bin/python scripts/screenshots.py [--out docs]

Starts the real action server, Rasa server and web server on free ports (like the browser
tests) with a catalogue database of its own, holds the conversation of tests/widget_browser.py
in Debian's Chromium and writes docs/widget-desktop.png and docs/widget-mobile.png (the aids as
cards) and docs/ma-fiche.png (the « Ma fiche » page of that conversation); then signs
in to the console as an advisor of Roubaix and writes docs/console-debug.png (the debug chat)
and docs/console-conversation.png (that conversation as reviewed).

docs/console-observatoire.png comes from the observatory's browser test, which has figures to
show: `QP_UPDATE_SCREENSHOTS=1 .venv/bin/pytest tests/test_console_observatory.py -k chromium`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(PROJECT_DIR), str(PROJECT_DIR / "tests")]

from console_harness import ROUBAIX, create_people  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from widget_browser import DESCRIPTION, Chat, launch  # noqa: E402

from bot.runner import Stack, free_port  # noqa: E402
from settings import settings_with  # noqa: E402

VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 860}},
    "mobile": {
        "viewport": {"width": 360, "height": 740},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT_DIR / "docs")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="qp-screenshots-"))
    database_url = f"sqlite:///{tmp}/catalog.sqlite"  # accounts and leads
    settings = settings_with(
        RASA_PORT=str(free_port()),
        ACTION_PORT=str(free_port()),
        WEB_PORT=str(free_port()),
        TRACKER_DB=str(tmp / "tracker.sqlite"),
        QP_TRACKER_URL="",
        QP_LOG_DIR=str(tmp / "log"),
        DATABASE_URL=database_url,
    )
    create_people(database_url, (ROUBAIX,))
    with Stack(settings, with_web=True) as stack, sync_playwright() as playwright:
        web_url = f"http://{stack.web_settings.host}:{stack.web_settings.port}"
        browser = launch(playwright)
        for name, options in VIEWPORTS.items():
            context = browser.new_context(locale="fr-FR", **options)
            page = context.new_page()
            page.goto(web_url + "/")
            chat = Chat(page)
            chat.open()
            chat.converse()
            # show the first aid's card from its heading
            page.locator(".qp-message--bot", has=page.locator(".qp-card")).first.evaluate(
                """item => { const log = item.closest('.qp-log');
                            log.scrollTop = item.offsetTop - 8; }"""
            )
            page.wait_for_timeout(300)
            path = args.out / f"widget-{name}.png"
            page.screenshot(path=str(path))
            print(f"{path}")
            if name == "desktop":
                fiche_screenshot(context, page, args.out)
            context.close()
        console_screenshots(browser, web_url, args.out)
        browser.close()
    return 0


def fiche_screenshot(context, chat_page, out: Path) -> None:
    """« Ma fiche », opened from the link the assistant gave: on screen, and as printed."""
    link = chat_page.locator(".qp-message--bot a[href*='/fiche/']").last.get_attribute("href")
    page = context.new_page()
    page.goto(link)
    page.screenshot(path=str(out / "ma-fiche.png"), full_page=True)
    print(out / "ma-fiche.png")
    page.close()


def console_screenshots(browser, web_url: str, out: Path) -> None:
    context = browser.new_context(
        locale="fr-FR", viewport={"width": 1280, "height": 1000}, base_url=web_url
    )
    context.set_default_timeout(180_000)
    page = context.new_page()
    page.goto("/console/discuter")
    page.get_by_label("Adresse e-mail").fill(ROUBAIX.email)
    page.get_by_label("Mot de passe").fill(ROUBAIX.password)
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()
    page.get_by_label("Votre message").fill(DESCRIPTION)
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer").click()
    page.screenshot(path=str(out / "console-debug.png"), full_page=True)
    print(out / "console-debug.png")
    sender = page.locator("h2 code").first.inner_text()
    page.goto(f"/console/conversations/{sender}")
    page.screenshot(path=str(out / "console-conversation.png"), full_page=True)
    print(out / "console-conversation.png")
    context.close()


if __name__ == "__main__":
    sys.exit(main())
