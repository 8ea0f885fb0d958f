"""The advisors' console end to end, in a real browser (Debian's Chromium driven by Playwright):
the real action server, Rasa server and web server (the session's `assistant`), an advisor of
Roubaix who tests the assistant in the debug chat, finds that conversation in the list with its
territory, corrects a message and exports the training example; axe-core on every page."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass

import pytest
import yaml
from console_harness import ROUBAIX, create_people
from playwright.sync_api import Page, expect
from widget_browser import Chat, chromium

from catalog.files import read_files
from catalog.observatory import conversation_key

pytestmark = pytest.mark.rasa

DESCRIPTION = "je veux ouvrir une boulangerie à Roubaix, je suis demandeur d'emploi"
CORRECTED = (
    'je veux [ouvrir]{"entity": "stade", "value": "creation"} une '
    '[boulangerie]{"entity": "secteur", "value": "artisanat"} à [Roubaix](commune), '
    'je suis [demandeur d\'emploi]{"entity": "statut", "value": "demandeur_emploi"}'
)
SLOW = 180_000  # ms: a Rasa turn on two busy cores


@dataclass(frozen=True)
class Servers:
    rasa_url: str
    console_url: str


@pytest.fixture(scope="module")
def servers(assistant):
    create_people(os.environ["DATABASE_URL"])  # the assistant's catalogue, leads and accounts
    web = assistant.web_settings
    return Servers(assistant.settings.servers.rasa_url, f"http://{web.host}:{web.port}")


@pytest.fixture(scope="module")
def console_url(servers):
    return servers.console_url


@pytest.fixture(scope="module")
def page(console_url):
    with chromium() as browser:
        context = browser.new_context(
            locale="fr-FR",
            viewport={"width": 1280, "height": 900},
            base_url=console_url,
            accept_downloads=True,
        )
        context.set_default_timeout(SLOW)
        yield context.new_page()
        context.close()


def assert_accessible(page: Page, audited: list[str]) -> None:
    violations = Chat(page).axe_violations()
    assert not violations, json.dumps(violations, ensure_ascii=False, indent=1)
    audited.append(page.url)


def submit(page: Page, locator) -> None:
    """Click a submit button or a link and wait for the page it leads to (post-redirect-get)."""
    with page.expect_navigation(timeout=SLOW):
        locator.click()


def test_an_advisor_tests_the_assistant_then_corrects_and_exports_a_message(page, tmp_path):
    audited: list[str] = []
    page.goto("/console/conversations")  # not signed in: the sign-in page
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    assert_accessible(page, audited)
    page.get_by_label("Adresse e-mail").fill(ROUBAIX.email)
    page.get_by_label("Mot de passe").fill(ROUBAIX.password)
    submit(page, page.get_by_role("button", name="Se connecter"))
    assert page.url.endswith("/console/conversations")  # back where they were going
    submit(page, page.get_by_role("link", name="Tester l'assistant"))
    assert_accessible(page, audited)

    # --- the debug chat: what the assistant understood, the profile, the aids and reasons
    page.get_by_label("Votre message").fill(DESCRIPTION)
    submit(page, page.get_by_role("button", name="Envoyer"))
    turn = page.locator("section.turn.user").filter(has_text=DESCRIPTION)
    expect(turn).to_have_count(1)
    understood = turn.locator("dl.debug").inner_text()
    assert re.search(r"informer .*confiance \d,\d\d", understood), understood
    assert "ensuite :" in understood
    assert re.search(r"commune = « Roubaix ».*extracteur \w+", understood), understood
    assert "extracteur DIETClassifier" in understood  # the model's own entities too
    profile = page.get_by_role("table", name="Informations du profil retenues jusqu'ici")
    assert "Roubaix" in profile.inner_text()
    assert "demandeur d'emploi" in profile.inner_text()
    aids = page.locator("ol.aids > li")
    assert aids.count() >= 1
    acre = next(a for a in read_files().aids if a["id"] == "acre")
    assert acre["name"] in page.locator("ol.aids").inner_text()
    assert "Raisons : Vous" in aids.first.inner_text()
    assert_accessible(page, audited)

    # a button of the last answer sends its payload to the same conversation
    sender = page.locator("h2 code").first.inner_text()
    assert re.fullmatch(r"console-\d+-[0-9a-f]{12}", sender)
    replies = page.locator("form.replies").last.get_by_role("button")
    title = replies.first.inner_text()
    payload = replies.first.get_attribute("value")
    submit(page, replies.first)
    expect(page.locator("section.turn.user").last).to_contain_text(payload)
    assert page.locator("h2 code").first.inner_text() == sender
    assert title

    # --- the conversations list shows it with its territory (under its observatory key: the
    # list reads the observatory, which folds Rasa's published events a moment after the turn)
    submit(page, page.get_by_role("link", name="Conversations", exact=True))
    listed_as = f"n° {conversation_key(sender)[:10]}"
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=listed_as))
    for _ in range(120):
        if row.count():
            break
        page.wait_for_timeout(1000)
        page.reload()
    expect(row).to_have_count(1)
    assert "Roubaix" in row.inner_text()
    assert "Console (test)" in row.inner_text()
    assert_accessible(page, audited)
    submit(page, row.get_by_role("link", name=listed_as))
    expect(page.get_by_role("heading", name=f"Conversation {sender}")).to_be_visible()
    assert_accessible(page, audited)

    # --- mark the description with the right intent and entities
    message = page.locator("section.turn.user").filter(has_text=DESCRIPTION)
    submit(page, message.get_by_role("link", name=re.compile("^Corriger")))
    expect(
        page.get_by_role("heading", name="Corriger la compréhension d'un message")
    ).to_be_visible()
    assert_accessible(page, audited)
    page.get_by_label("Intention correcte").select_option("informer")
    page.get_by_label("Message annoté (entités)").fill(CORRECTED.replace("[Roubaix]", "[Roubaix"))
    submit(page, page.get_by_role("button", name="Enregistrer la correction"))
    expect(page.get_by_role("alert")).to_contain_text("exactement le message d'origine")
    assert_accessible(page, audited)  # the error state too
    page.get_by_label("Message annoté (entités)").fill(CORRECTED)
    submit(page, page.get_by_role("button", name="Enregistrer la correction"))
    expect(page.get_by_role("status")).to_contain_text("La correction a été enregistrée")
    expect(page.locator("section.turn.user").filter(has_text=DESCRIPTION)).to_contain_text(
        "Corrigé : informer"
    )

    # --- the corrections and their export
    submit(page, page.get_by_role("link", name="Corrections", exact=True))
    table = page.get_by_role("table")
    expect(table).to_contain_text(DESCRIPTION)
    assert_accessible(page, audited)
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("Télécharger l'export")).click()
    download = download_info.value
    assert download.suggested_filename == "corrections-nlu.yml"
    saved = tmp_path / "corrections-nlu.yml"
    download.save_as(saved)
    data = yaml.safe_load(saved.read_text(encoding="utf-8"))
    assert data == {
        "version": "3.1",
        "nlu": [{"intent": "informer", "examples": f"- {CORRECTED}\n"}],
    }
    assert len(audited) == 8


def test_keyboard_focus_is_visible_and_reaches_the_debug_chat_form(page):
    page.goto("/console/discuter")
    for _ in range(400):  # past every answer's buttons
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == "message":
            break
    else:
        pytest.fail("la zone de message n'est pas atteignable au clavier")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "le focus est visible"


SCENARIO = """\
nom: "Un snack à Roubaix, écrit en style SMS"
territoire: roubaix
etapes:
  - dit: "slt g 1 projet de snack a roubaix"
    attend:
      dit_contient: "sandwicherie"
"""
SNACK = (
    'slt g 1 projet de [snack]{"entity": "secteur", "value": "restauration"} a [roubaix](commune)'
)


def test_an_advisor_writes_a_scenario_sees_it_fail_and_turns_the_message_into_training_data(
    servers, page, tmp_path
):
    """The issue's whole path: a new scenario file, run against the running assistant, the
    report says why it fails and where to reread it, the advisor opens that conversation in
    the console, marks the message and gets the NLU YAML."""
    scenario = tmp_path / "roubaix-snack-sms.yml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "flows",
            "test",
            str(scenario),
            "--url",
            servers.rasa_url,
            "--html",
            str(tmp_path / "rapport.html"),
        ],
        capture_output=True,
        check=False,
        text=True,
        timeout=300,
        env={**os.environ, "QP_CONSOLE_URL": servers.console_url},
    )
    report = run.stdout
    assert run.returncode == 1, report + run.stderr
    assert "❌ ÉCHEC à l'étape 1 (ligne 4)" in report
    assert "✗ dit « sandwicherie » — ce texte n'apparaît pas dans la réponse" in report
    link = re.search(r"à relire dans la console des conseillers : (\S+)", report)
    assert link, report
    assert link.group(1).startswith(f"{servers.console_url}/console/conversations/flow-")

    page.goto(link.group(1))
    if page.get_by_role("heading", name="Connexion").count():
        page.get_by_label("Adresse e-mail").fill(ROUBAIX.email)
        page.get_by_label("Mot de passe").fill(ROUBAIX.password)
        submit(page, page.get_by_role("button", name="Se connecter"))
    assert page.url == link.group(1)  # back on the conversation
    message = page.locator("section.turn.user").filter(has_text="slt g 1 projet de snack")
    expect(message).to_have_count(1)
    submit(page, message.get_by_role("link", name=re.compile("^Corriger")))
    page.get_by_label("Intention correcte").select_option("informer")
    page.get_by_label("Message annoté (entités)").fill(SNACK)
    submit(page, page.get_by_role("button", name="Enregistrer la correction"))
    expect(page.get_by_role("status")).to_contain_text("La correction a été enregistrée")

    submit(page, page.get_by_role("link", name="Corrections", exact=True))
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("Télécharger l'export")).click()
    saved = tmp_path / "corrections-nlu.yml"
    download_info.value.save_as(saved)
    data = yaml.safe_load(saved.read_text(encoding="utf-8"))
    informer = next(block for block in data["nlu"] if block["intent"] == "informer")
    assert f"- {SNACK}" in informer["examples"].splitlines()
