"""« Ma fiche » without Rasa: the real web server (Starlette app) over a real catalogue database
(SQLite and PostgreSQL): the page opens by its link with the profile, the aids with what to
bring and the contacts, and no e-mail or phone number; it has a print layout; only the token's
hash is stored; it expires on a controlled clock and `qp purge` deletes it; the person's erasure
deletes it. And the cards: one schema, the same text as before for REST."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from conftest import _postgresql, _sqlite
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.web.app import STATIC_DIR, create_app
from catalog import store
from catalog.cards import AidCard, card_of, card_payload, card_text, read_card
from catalog.engine import recommend
from catalog.erasure import request_erasure
from catalog.fiche_content import fiche_content
from catalog.fiches import fiches_of, open_fiche, save_fiche
from catalog.leads import EMAIL
from catalog.models import Fiche
from catalog.phones import find_phones
from catalog.retention import Periods, purge_catalog
from settings import WebSettings

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
SENDER = "fiche-roubaix"
SETTINGS = WebSettings(host="127.0.0.1", port=8080, rasa_url="http://127.0.0.1:5005")


@pytest.fixture(scope="module", params=[_sqlite, _postgresql], ids=["sqlite", "postgresql"])
def engine(request, tmp_path_factory):
    engine = store.make_engine(request.param(tmp_path_factory))
    store.migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def job_seeker(catalog, profile):
    values = {
        "stade": "creation",
        "secteur": "commerce",
        "statut": "demandeur_emploi",
        "commune": "Roubaix",
        "habite_qpv": True,
    }
    result = recommend(catalog, profile(**values), NOW.date())
    return result, result.profile.values


def fiche_of(result, profile_values) -> dict:
    return fiche_content(result.aids[:5], result.contacts[:4], profile_values)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def get(engine, clock: Clock, path: str) -> httpx.Response:
    app = create_app(
        SETTINGS, session_key="tests-only", catalog_database=lambda: engine, clock=clock
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as http:
        return await http.get(path)


def visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_the_fiche_opens_by_its_link_with_the_profile_the_aids_and_the_contacts(
    engine, job_seeker
):
    result, values = job_seeker
    content = fiche_of(result, values)
    token = save_fiche(engine, SENDER, content, NOW, days=30)
    response = await get(engine, Clock(NOW + timedelta(days=1)), f"/fiche/{token}")
    assert response.status_code == 200
    page = response.text
    text = visible_text(page)
    assert "Ma fiche" in text
    assert "Votre projet" in text
    assert "Étape du projet" in text
    assert "création" in text
    assert "Roubaix" in text
    for match in result.aids[:5]:
        assert match.aid["name"].replace("'", "&#x27;") in page
        assert f'href="{match.aid["url"]}"' in page
    assert "une pièce d'identité".replace("'", "&#x27;") in page  # what to bring
    assert "attestation d&#x27;inscription à France Travail" in page  # the job seeker's proof
    assert result.contacts, "Roubaix a des organismes locaux"
    for contact in result.contacts[:4]:
        assert contact["name"].replace("'", "&#x27;") in page
    assert "1er janvier 2027" in text  # the expiry, 30 days after
    # nothing inline, our own files only, never cached or indexed, no Referer sent
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self'" in csp
    assert "<script>" not in page
    assert "style=" not in page
    assert response.headers["cache-control"] == "no-store"
    assert "noindex" in response.headers["x-robots-tag"]
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_the_fiche_holds_no_email_and_no_phone_number(engine, job_seeker):
    result, values = job_seeker
    token = save_fiche(engine, SENDER, fiche_of(result, values), NOW, days=30)
    page = (await get(engine, Clock(NOW), f"/fiche/{token}")).text
    text = visible_text(page)
    assert not find_phones(text), [p.shown for p in find_phones(text)]
    assert not [w for w in re.split(r"[\s<>\"'()]+", page) if EMAIL.match(w)]


async def test_the_fiche_has_a_print_layout_and_a_print_button_without_inline_script(
    engine, job_seeker
):
    result, values = job_seeker
    token = save_fiche(engine, SENDER, fiche_of(result, values), NOW, days=30)
    page = (await get(engine, Clock(NOW), f"/fiche/{token}")).text
    assert '<link rel="stylesheet" href="/static/fiche/fiche.css">' in page
    assert '<script src="/static/fiche/print.js" defer></script>' in page
    css = (STATIC_DIR / "fiche" / "fiche.css").read_text(encoding="utf-8")
    assert "@media print" in css
    print_rules = css.split("@media print", 1)[1]
    assert ".fiche-print" in print_rules
    assert "display: none" in print_rules
    assert "break-inside: avoid" in print_rules
    assert "window.print()" in (STATIC_DIR / "fiche" / "print.js").read_text(encoding="utf-8")
    served = await get(engine, Clock(NOW), "/static/fiche/fiche.css")
    assert served.status_code == 200
    assert "@media print" in served.text


def test_the_link_is_unguessable_and_only_its_hash_is_stored(engine, job_seeker):
    result, values = job_seeker
    tokens = {save_fiche(engine, f"{SENDER}-{n}", fiche_of(result, values), NOW, 30) for n in "ab"}
    assert len(tokens) == 2
    for token in tokens:
        assert len(token) >= 43  # 32 random bytes, URL-safe base64
        with Session(engine) as session:
            stored = session.scalars(select(Fiche.token_hash)).all()
        assert hashlib.sha256(token.encode()).hexdigest() in stored
        assert token not in stored
    assert open_fiche(engine, "not-a-token", NOW) is None


async def test_a_wrong_link_gets_a_french_404_page(engine):
    response = await get(engine, Clock(NOW), "/fiche/" + "A" * 43)
    assert response.status_code == 404
    assert "Cette fiche n'est plus disponible" in response.text


async def test_the_fiche_expires_then_qp_purge_deletes_it(engine, job_seeker):
    result, values = job_seeker
    sender = f"{SENDER}-expiring"
    token = save_fiche(engine, sender, fiche_of(result, values), NOW, days=30)
    clock = Clock(NOW + timedelta(days=30) - timedelta(minutes=1))
    assert (await get(engine, clock, f"/fiche/{token}")).status_code == 200
    clock.now = NOW + timedelta(days=30)
    assert (await get(engine, clock, f"/fiche/{token}")).status_code == 404
    assert fiches_of(engine, sender) == 1  # expired, still stored until the purge
    purged = purge_catalog(engine, Periods(), clock.now)
    assert purged.fiches >= 1
    assert fiches_of(engine, sender) == 0


def test_a_new_fiche_replaces_the_conversation_s_previous_one(engine, job_seeker):
    result, values = job_seeker
    sender = f"{SENDER}-twice"
    first = save_fiche(engine, sender, fiche_of(result, values), NOW, days=30)
    second = save_fiche(engine, sender, fiche_of(result, values), NOW, days=30)
    assert open_fiche(engine, first, NOW) is None
    assert open_fiche(engine, second, NOW) is not None
    assert fiches_of(engine, sender) == 1


def test_erasing_the_person_s_data_deletes_the_fiche(engine, job_seeker):
    result, values = job_seeker
    sender = f"{SENDER}-erased"
    token = save_fiche(engine, sender, fiche_of(result, values), NOW, days=30)
    other = save_fiche(engine, f"{sender}-other", fiche_of(result, values), NOW, days=30)
    outcome = request_erasure(engine, sender, (NOW + timedelta(minutes=5)).timestamp())
    assert outcome.complete
    assert open_fiche(engine, token, NOW) is None
    assert fiches_of(engine, sender) == 0
    assert open_fiche(engine, other, NOW) is not None  # nobody else's


# --- the cards --------------------------------------------------------------------------------


def test_a_card_keeps_the_aid_s_plain_text_and_survives_its_json_round_trip(job_seeker):
    result, _ = job_seeker
    match = result.aids[0]
    card = card_of(match, 1)
    text = card_text(card)
    assert text.startswith(f"1. {match.aid['name']}\nMontant : ")
    assert f"En savoir plus : {match.aid['url']}" in text
    answer = {"text": text, "custom": card_payload(card)}
    assert read_card(answer) == card
    assert read_card({"text": text}) is None
    assert read_card({"custom": {"data": {"aid_card": {"name": "x"}}}}) is None  # invalid


def test_the_card_schema_refuses_what_no_channel_can_draw():
    good = {
        "id": "acre",
        "rank": 1,
        "name": "ACRE",
        "why": "Vous créez",
        "url": "https://www.urssaf.fr/acre",
    }
    AidCard.model_validate(good)
    for bad in (
        {**good, "url": "javascript:alert(1)"},
        {**good, "why": "deux\nlignes"},
        {**good, "rank": 0},
        {**good, "checks": ["a", "b", "c", "d"]},
        {**good, "extra": 1},
    ):
        with pytest.raises(ValidationError):
            AidCard.model_validate(bad)
