"""Driving the web chat in Debian's Chromium with Playwright: shared by the browser tests and
scripts/screenshots.py. Playwright never downloads a browser here: it launches /usr/bin/chromium.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, Page, Playwright
from test_e2e_rest import PERSONA, QUESTIONS  # the job seeker of the REST test

from catalog.dialogue import question

CHROMIUM = os.environ.get("QP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = (
    Path(__file__).resolve().parent.parent
    / "bot"
    / "web"
    / "node_modules"
    / "axe-core"
    / "axe.min.js"
)

DESCRIPTION = "je veux ouvrir une épicerie à Roubaix, je suis au chômage"

# The visible text of a message bubble, without the screen-reader-only parts.
_BUBBLE_TEXTS = """nodes => nodes.map(node => {
    const copy = node.cloneNode(true);
    copy.querySelectorAll('.qp-sr-only').forEach(hidden => hidden.remove());
    return copy.textContent.replace(/ $/gm, '');
})"""


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@contextmanager
def chromium() -> Iterator[Browser]:
    """Headless Debian Chromium, once axe-core and the browser are known to be there."""
    import pytest
    from playwright.sync_api import sync_playwright

    if not AXE.exists():
        pytest.fail("axe-core manquant : lancez scripts/build_widget.sh (npm ci dans bot/web)")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium manquant ({CHROMIUM}) : apt-get install chromium")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()


def button_for(name: str, answer: str) -> str | None:
    """The title of the button of question `name` that gives `answer`, if there is one."""
    for button in question(name)[1]:
        if answer in (button["payload"], button["title"].lower()):
            return button["title"]
    return None


@dataclass
class Chat:
    """The widget on a page, as a visitor uses it."""

    page: Page
    clicked: list[str] = field(default_factory=list)

    @property
    def input(self):
        return self.page.get_by_role("textbox", name="Votre message")

    def open(self) -> None:
        self.page.get_by_role("button", name="Une question sur les aides ?").click()
        self.input.wait_for()

    def bot_texts(self) -> list[str]:
        return self.page.locator(".qp-message--bot .qp-bubble").evaluate_all(_BUBBLE_TEXTS)

    def user_texts(self) -> list[str]:
        return self.page.locator(".qp-message--user .qp-bubble").evaluate_all(_BUBBLE_TEXTS)

    def wait_for_answer(self, before: int, timeout: float = 60, quiet: float = 1.0) -> list[str]:
        """The bot messages after the first `before`, once no new one came for `quiet` s."""
        deadline = time.monotonic() + timeout
        count, since = before, time.monotonic()
        while time.monotonic() < deadline:
            now = self.page.locator(".qp-message--bot").count()
            if now != count:
                count, since = now, time.monotonic()
            elif count > before and time.monotonic() - since >= quiet:
                return self.bot_texts()[before:]
            self.page.wait_for_timeout(100)
        status = self.page.locator(".qp-status-text").text_content()
        raise AssertionError(
            f"pas de réponse de l'assistant en {timeout} s ; état : "
            f"« {status} » ; messages envoyés : {self.user_texts()}"
        )

    def say(self, text: str) -> list[str]:
        before = self.page.locator(".qp-message--bot").count()
        self.input.fill(text)
        self.input.press("Enter")
        return self.wait_for_answer(before)

    def click(self, title: str) -> list[str]:
        before = self.page.locator(".qp-message--bot").count()
        self.page.locator(".qp-replies").get_by_role("button", name=title, exact=True).click()
        self.clicked.append(title)
        return self.wait_for_answer(before)

    def answer_until_recommendation(self, answer: list[str], turns: int = 12) -> list[str]:
        """Answer the persona's questions (with the buttons when they fit) until the aids."""
        for _ in range(turns):
            if any("Voici les aides" in text for text in answer):
                return answer
            asked = [QUESTIONS[text] for text in answer if text in QUESTIONS]
            assert asked, f"ni question ni recommandation : {answer}"
            reply = PERSONA[asked[-1]]
            title = button_for(asked[-1], reply)
            answer = self.click(title) if title else self.say(reply)
        raise AssertionError("pas de recommandation après toutes les questions")

    def converse(self) -> list[str]:
        """The whole conversation of the persona; returns the recommendation's messages."""
        hello = self.say("Bonjour")
        assert any("assistant Quartiers productifs" in text for text in hello), hello
        return self.answer_until_recommendation(self.say(DESCRIPTION))

    def axe_violations(self, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
        """axe-core (WCAG 2.0/2.1 A and AA rules) on the whole page, shadow DOM included."""
        self.page.evaluate(AXE.read_text(encoding="utf-8"))
        result = self.page.evaluate("""() => axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
            resultTypes: ['violations']})""")
        return [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"]][:5],
            }
            for v in result["violations"]
            if v["impact"] in impacts
        ]
