"""« Ma fiche » end to end: the real action server, Rasa server and web server (the session's
`assistant`). Over the REST channel a job seeker in Roubaix gets the aids, each message of an
aid keeping its plain text beside its card; the assistant then gives the link to the fiche, which
the web server opens; the person asks for a callback (an e-mail and a phone number given), the
fiche still holds neither; « supprimer mes données » deletes it: the link answers 404 and the
catalogue database holds no fiche of the conversation."""

from __future__ import annotations

import re

import httpx
import pytest
from test_e2e_rest import answer_until_recommendation, say, texts
from widget_browser import chromium

from catalog.cards import read_card
from catalog.dialogue import message
from catalog.fiches import fiches_of
from catalog.leads import database, leads_of

pytestmark = pytest.mark.rasa

SENDER = "e2e-fiche-roubaix"
LINK = re.compile(r"(https?://\S+/fiche/[A-Za-z0-9_-]{43,})")


def test_the_fiche_link_opens_the_aids_and_supprimer_mes_donnees_deletes_it(assistant, app_catalog):
    settings = assistant.settings
    say(settings, "Bonjour", SENDER)
    answer = say(settings, "je veux ouvrir une épicerie à Roubaix, je suis au chômage", SENDER)
    answer = answer_until_recommendation(settings, answer, SENDER)

    # Each aid: one REST message, its text as before (readable) and its card beside it.
    carded = [(m, read_card(m)) for m in answer if read_card(m)]
    assert len(carded) >= 2
    for rank, (bot_message, card) in enumerate(carded, start=1):
        assert card.rank == rank
        assert bot_message["text"].startswith(f"{rank}. {card.name}\nMontant : ")
        assert f"En savoir plus : {card.url}" in bot_message["text"]
        assert bot_message["buttons"][0]["title"] == message("details")
    assert {card.id for _, card in carded} >= {"acre", "pret-honneur-quartier"}

    # The link to the fiche comes after the contacts, on the web server's public address.
    recommendation = texts(answer)
    [link] = LINK.findall(recommendation)
    web = assistant.web_settings
    assert link.startswith(f"http://{web.host}:{web.port}/fiche/")
    assert "supprimer mes données" in recommendation
    page = httpx.get(link, timeout=30)
    assert page.status_code == 200
    for _, card in carded:
        assert f'href="{card.url}"' in page.text
    assert "Les organismes à contacter" in page.text
    assert fiches_of(database(), SENDER) == 1
    printed_in_chromium(link, [card.url for _, card in carded])

    # A callback request with an e-mail: the lead holds it, the fiche does not.
    say(settings, "je voudrais parler à un conseiller", SENDER)
    say(settings, "oui", SENDER)
    say(settings, "marie.fiche@exemple.fr", SENDER)
    assert leads_of(SENDER)[0].email == "marie.fiche@exemple.fr"
    again = httpx.get(link, timeout=30)
    assert again.status_code == 200
    assert "marie.fiche" not in again.text
    assert "@" not in re.sub(r"<[^>]+>", " ", again.text)

    erased = texts(say(settings, "supprimer mes données", SENDER))
    assert "effacés" in erased
    gone = httpx.get(link, timeout=30)
    assert gone.status_code == 404
    assert "Cette fiche n'est plus disponible" in gone.text
    assert fiches_of(database(), SENDER) == 0


def printed_in_chromium(link: str, urls: list[str]) -> None:
    """The fiche in Debian's Chromium: on screen with its print button; printed (print media,
    then a real PDF) without the button and with the links' addresses written out."""
    with chromium() as browser:
        page = browser.new_page(locale="fr-FR")
        page.goto(link)
        button = page.get_by_role("button", name="Imprimer ou enregistrer en PDF")
        assert button.is_visible()  # print.js shows it (same-origin script, CSP kept)
        assert not page.locator(".fiche-url").first.is_visible()
        page.emulate_media(media="print")
        assert not button.is_visible()
        shown = page.locator(".fiche-aid .fiche-url").all_inner_texts()
        assert shown == urls
        pdf = page.pdf(format="A4")
        assert pdf.startswith(b"%PDF")
        assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") >= 2  # several pages
        page.close()
