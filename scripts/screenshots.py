"""Screenshots of the demo page with a whole conversation, on a desktop and on a 360-px phone.

    .venv/bin/python scripts/screenshots.py [--out docs]

Starts the real action server, Rasa server and web server on free ports (like the browser
tests), holds the conversation of tests/widget_browser.py in Debian's Chromium and writes
docs/widget-desktop.png and docs/widget-mobile.png.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(PROJECT_DIR), str(PROJECT_DIR / "tests")]

from playwright.sync_api import sync_playwright  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.runner import Stack, free_port  # noqa: E402
from bot.web.process import WebServer  # noqa: E402
from bot.web.settings import WebSettings  # noqa: E402
from widget_browser import Chat, launch  # noqa: E402

VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 860}},
    "mobile": {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
               "is_mobile": True, "has_touch": True},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT_DIR / "docs")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="qp-screenshots-"))
    settings = Settings(rasa_port=free_port(), action_port=free_port(),
                        tracker_db=tmp / "tracker.sqlite", log_dir=tmp / "log")
    web_settings = WebSettings(host="127.0.0.1", port=free_port(), rasa_url=settings.rasa_url)
    with Stack(settings), WebServer(web_settings, tmp / "log" / "web.log") as web, \
            sync_playwright() as playwright:
        browser = launch(playwright)
        for name, options in VIEWPORTS.items():
            context = browser.new_context(locale="fr-FR", **options)
            page = context.new_page()
            page.goto(web.url + "/")
            chat = Chat(page)
            chat.open()
            chat.converse()
            # show the first aid down to its official link and its buttons
            page.locator(".qp-message--bot", has_text="En savoir plus").first.evaluate(
                """item => { const log = item.closest('.qp-log');
                            log.scrollTop = item.offsetTop + item.offsetHeight
                                            - log.clientHeight + 8; }""")
            page.wait_for_timeout(300)
            path = args.out / f"widget-{name}.png"
            page.screenshot(path=str(path))
            print(f"{path}")
            context.close()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
