"""The console's conversations, corrections and debug chat, without Rasa: a transcript read
through Rasa's HTTP API (a fake Rasa serving recorded trackers, tests/fake_rasa.py), the list
from the observatory's tables, and the pages over real HTTP (the web server as a child
process), with the permission and privacy rules.

The fake Rasa serves events recorded from the real assistant
(fixtures/console_tracker_events.json: four conversations, rows exactly as Rasa 3.6's
SQLTrackerStore wrote them, `data` being the event as Rasa's API gives it), re-timed and
renamed by `write_tracker`. To record them again
after the dialogue changed: `.venv/bin/python tests/test_console_conversations.py`
(starts Rasa, ≈ 2 min).
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))

from console_harness import (
    ADMIN,
    ROUBAIX,
    TOULOUSE,
    create_people,
    form_token,
    post_form,
    signed_in,
    signed_in_fixture,
)
from fake_rasa import FakeRasa

from bot import keys
from bot.console import tracker
from bot.console.db import session
from bot.keys import rest_headers
from bot.observatory.fold import Folder
from bot.observatory.links import unseal
from bot.rasa_api import RasaApi
from bot.web.process import WebServer
from catalog import audit, store
from catalog.models import Account, NluCorrection, ObservedConversation
from catalog.observatory import conversation_key
from catalog.privacy import EMAIL_MASK, PHONE_MASK
from settings import WebSettings

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "console_tracker_events.json"
PARIS = tracker.LOCAL_TIME
EMAIL, PHONE = "marie.dupont@exemple.fr", "06 12 34 56 78"
DESCRIPTION = "je veux ouvrir une épicerie à Roubaix, je suis au chômage"
UNTIL_AIDS = "<répondre aux questions jusqu'aux aides>"
# What was said to the real assistant to record the fixture (sender: metadata, messages).
SCRIPT = {
    "roubaix-widget": (
        {"territory": "roubaix"},
        [
            "Bonjour",
            DESCRIPTION,
            "😀😀",
            UNTIL_AIDS,
            "je voudrais parler à un conseiller",
            "oui",
            EMAIL,
        ],
    ),
    "toulouse-rest": (
        None,
        [
            "je veux ouvrir un snack à Toulouse, je suis au RSA",
            UNTIL_AIDS,
            "je voudrais parler à un conseiller",
            "oui",
            PHONE,
        ],
    ),
    "sans-territoire": (None, ["Bonjour", "quel temps fait-il ?"]),
    "lyon-widget": ({"territory": "toulouse"}, ["je veux créer un commerce à Lyon"]),
}


def at(day: str, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), PARIS).replace(
        hour=hour, minute=minute
    )


def recorded() -> dict[str, list[dict]]:
    events: dict[str, list[dict]] = {}
    for row in json.loads(FIXTURE.read_text(encoding="utf-8")):
        events.setdefault(row["sender_id"], []).append(row)
    return events


def retimed(
    plan: list[tuple[str, str, datetime]], events: dict[str, list[dict]] | None = None
) -> dict[str, list[dict]]:
    """Recorded conversations under new ids and times: (new sender id, recorded sender id,
    start time) — the events keep their order and spacing; each as Rasa's API gives it."""
    events = events or recorded()
    trackers: dict[str, list[dict]] = {}
    for sender, source, start in plan:
        shift = start.timestamp() - events[source][0]["timestamp"]
        for row in events[source]:
            data = json.loads(row["data"])
            data["timestamp"] = data["timestamp"] + shift
            trackers.setdefault(sender, []).append(data)
    return trackers


def write_tracker(
    rasa: FakeRasa,
    plan: list[tuple[str, str, datetime]],
    events: dict[str, list[dict]] | None = None,
) -> None:
    """Give the fake Rasa these recorded conversations, as the real one would hold them."""
    rasa.trackers.update(retimed(plan, events))


def observe(
    database_url: str,
    plan: list[tuple[str, str, datetime]],
    events: dict[str, list[dict]] | None = None,
) -> None:
    """The same conversations as the observatory holds them once Rasa published their events
    (bot/observatory/): what the console's list reads."""
    events = events or recorded()
    published = []
    for sender, source, start in plan:
        shift = start.timestamp() - events[source][0]["timestamp"]
        for row in events[source]:
            data = json.loads(row["data"])
            published.append({"sender_id": sender, **data, "timestamp": data["timestamp"] + shift})
    engine = store.make_engine(database_url)
    store.migrate(engine)
    with Session(engine) as db, db.begin():
        Folder(db).apply_all(published)
    engine.dispose()


PLAN = [
    ("roubaix-widget", "roubaix-widget", at("2026-03-02", 10)),
    ("toulouse-rest", "toulouse-rest", at("2026-03-05", 14)),
    ("sans-territoire", "sans-territoire", at("2026-03-09", 9)),
    ("lyon-widget", "lyon-widget", at("2026-03-09", 11)),
]
MANY = [(f"anonyme-{n:02d}", "sans-territoire", at("2026-02-01", 8, n)) for n in range(55)]


# --- reading a conversation through Rasa's HTTP API ---------------------------------------


@pytest.fixture(scope="module")
def api():
    """A fake Rasa holding the recorded conversations, and the console's client of its API."""
    rasa = FakeRasa().up()
    write_tracker(rasa, PLAN)
    yield RasaApi(rasa.url, keys.rasa_api_key()), rasa
    rasa.down()


def test_one_conversation_reads_as_turns_with_what_the_assistant_understood(api):
    client, _ = api
    conversation = tracker.read_conversation(client, "roubaix-widget")
    assert conversation
    assert conversation.territory == "roubaix"
    assert conversation.handoff
    assert conversation.channel == "rest"
    assert conversation.first_at == at("2026-03-02", 10)
    users = [turn.user for turn in conversation.turns if turn.user]
    assert conversation.user_messages == len(
        [row for row in recorded()["roubaix-widget"] if row["type_name"] == "user"]
    )
    assert [u.text for u in users][:3] == ["Bonjour", DESCRIPTION, "😀😀"]
    hello, description, emoji = users[:3]
    assert hello.intent == "saluer"
    assert hello.confidence > 0.5
    assert len(hello.ranking) == 2
    assert all(name != "saluer" for name, _ in hello.ranking)
    assert emoji.fallback
    assert conversation.fallback
    entities = {(e.entity, e.extractor) for e in description.entities}
    assert ("commune", "RegexEntityExtractor") in entities
    assert ("statut", "DIETClassifier") in entities
    commune = next(e for e in description.entities if e.entity == "commune")
    assert commune.text == "Roubaix"
    assert DESCRIPTION[commune.start : commune.end] == "Roubaix"
    assert description.territory == "roubaix"
    assert description.channel == "rest"
    turn = next(t for t in conversation.turns if t.user is description)
    assert ("territoire", "roubaix") in turn.slots
    assert turn.bot
    assert any(b.buttons for t in conversation.turns for b in t.bot)
    assert all(
        name not in ("requested_slot", "session_started_metadata")
        for t in conversation.turns
        for name, _ in t.slots
    )
    assert conversation.profile["stade"] == "creation"
    assert conversation.profile["secteur"] == "commerce"
    assert conversation.slots["coordonnees"] == EMAIL
    assert conversation.user_message(description.event_id) is description
    # the number of a message is its event's place in the conversation: stable, as Rasa's
    # trackers only grow
    assert (
        tracker.read_conversation(client, "roubaix-widget").user_message(description.event_id).text
        == DESCRIPTION
    )


def test_territory_flags_of_each_recorded_conversation(api):
    client, _ = api
    read = {sender: tracker.read_conversation(client, sender) for sender, _, _ in PLAN}
    assert read["toulouse-rest"].territory == "toulouse"  # the slot (no metadata)
    assert read["sans-territoire"].territory is None
    assert read["lyon-widget"].territory == "toulouse"  # hors_territoire → metadata
    assert not read["toulouse-rest"].fallback
    assert read["toulouse-rest"].handoff
    assert not read["sans-territoire"].handoff
    assert not read["lyon-widget"].handoff


def test_an_unknown_conversation_reads_as_none(api):
    """Rasa answers an empty tracker (or one with only its session start) for an id it never
    saw: nobody wrote anything there."""
    client, rasa = api
    assert tracker.read_conversation(client, "personne") is None
    rasa.trackers["session-seule"] = [
        event
        for event in retimed(PLAN)["roubaix-widget"]
        if event["event"] in ("action", "session_started")
    ][:3]
    assert tracker.read_conversation(client, "session-seule") is None


def test_a_sender_id_reaches_rasa_whole_or_is_refused_in_french(api):
    """Rasa's API matches the raw path (Sanic decodes no escape): an id travels unescaped, and
    one a URL path cannot carry is refused before asking Rasa."""
    client, rasa = api
    odd = "site/roubaix/42:a@b+c=d,e;f!(g)*h'i$j&k~l"
    write_tracker(rasa, [(odd, "sans-territoire", at("2026-03-03", 9))])
    conversation = tracker.read_conversation(client, odd)
    assert conversation is not None
    assert conversation.sender_id == odd
    assert rasa.api_calls[-1] == odd
    for unreadable in ("avec espace", "a?b", "a#b", "100%", "élodie"):
        calls = len(rasa.api_calls)
        with pytest.raises(tracker.TrackerUnavailableError, match="ne sait pas lire"):
            tracker.read_conversation(client, unreadable)
        assert len(rasa.api_calls) == calls


def test_rasa_unreachable_refusing_or_failing_raises_a_french_error(api):
    client, rasa = api
    down = RasaApi("http://127.0.0.1:1", keys.rasa_api_key())
    with pytest.raises(tracker.TrackerUnavailableError, match="injoignable"):
        tracker.read_conversation(down, "roubaix-widget")
    wrong_key = RasaApi(rasa.url, "une-autre-cle")
    with pytest.raises(tracker.TrackerUnavailableError, match="QP_RASA_API_KEY"):
        tracker.read_conversation(wrong_key, "roubaix-widget")
    rasa.api_status = 500
    try:
        with pytest.raises(tracker.TrackerUnavailableError, match="code 500"):
            tracker.read_conversation(client, "roubaix-widget")
    finally:
        rasa.api_status = 200


# --- the pages over HTTP ----------------------------------------------------------------------


@dataclass
class Console:
    url: str
    database_url: str
    rasa: FakeRasa


def fake_rasa_turn(rasa: list[FakeRasa], database_url: str):
    """A fake Rasa REST channel that keeps, for the sender, the real assistant's first turns of
    the Roubaix conversation (greeting and description) as Rasa would, and answers with them;
    the observatory gets them as its consumer would."""
    source = recorded()["roubaix-widget"]
    users = [i for i, row in enumerate(source) if row["type_name"] == "user"]
    first_turns = source[: users[2]]

    def reply(message: dict) -> list[dict]:
        if message["sender"] not in rasa[0].trackers:
            plan = [(message["sender"], "roubaix-widget", datetime.now(PARIS))]
            write_tracker(rasa[0], plan, {"roubaix-widget": first_turns})
            observe(database_url, plan, {"roubaix-widget": first_turns})
        return [{"recipient_id": message["sender"], "text": "ok"}]

    return reply


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("console")
    database_url = f"sqlite:///{tmp}/catalog.sqlite"
    observe(database_url, PLAN + MANY)
    create_people(database_url)
    itself: list[FakeRasa] = []
    rasa = FakeRasa(fake_rasa_turn(itself, database_url))
    itself.append(rasa)
    write_tracker(rasa, PLAN + MANY)
    rasa.up()
    web = WebSettings(
        host="127.0.0.1",
        port=_free_port(),
        rasa_url="http://127.0.0.1:1",
        origins=(),
        demo_territory="roubaix",
    )
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DATABASE_URL", database_url)
        env.setenv("RASA_URL", rasa.url)
        with WebServer(web, tmp / "web.log") as server:
            yield Console(server.url, database_url, rasa)
    rasa.down()


def _free_port() -> int:
    from bot.runner import free_port

    return free_port()


roubaix = signed_in_fixture("console", ROUBAIX)
toulouse = signed_in_fixture("console", TOULOUSE)
admin = signed_in_fixture("console", ADMIN)


SENDERS = {conversation_key(sender): sender for sender, _, _ in PLAN + MANY}


def listed(html: str) -> list[str]:
    """The conversations the list links to: the observatory's keys, named back here."""
    return [
        SENDERS.get(key, key)
        for key in re.findall(r'<a href="/console/conversations/([^"?#]+)">', html)
    ]


def audit_entries(console: Console, action: str) -> list:
    with session(console.database_url) as db:
        return [
            (e.account_email, e.target, e.details)
            for e in audit.recent(db, 2000)
            if e.action == action
        ]


def test_an_advisor_lists_the_conversations_of_their_territory_only(console, roubaix):
    page = roubaix.get("/console/conversations")
    assert page.status_code == 200
    assert listed(page.text) == ["roubaix-widget"]
    assert 'id="territoire"' not in page.text  # no territory choice
    assert "Roubaix" in page.text
    assert "Widget web" not in page.text
    forced = roubaix.get("/console/conversations", params={"territoire": "toulouse"})
    assert listed(forced.text) == ["roubaix-widget"]
    unplaced = roubaix.get("/console/conversations", params={"territoire": "aucun"})
    assert listed(unplaced.text) == ["roubaix-widget"]


def test_an_advisor_cannot_open_another_territory_s_conversation(console, roubaix, toulouse):
    refused = roubaix.get("/console/conversations/toulouse-rest")
    unknown = roubaix.get("/console/conversations/n-existe-pas")
    assert refused.status_code == unknown.status_code == 404
    assert "Conversation introuvable" in refused.text
    assert refused.text == unknown.text  # nothing tells them apart
    assert roubaix.get("/console/conversations/sans-territoire").status_code == 404
    assert roubaix.get("/console/conversations/lyon-widget").status_code == 404
    assert toulouse.get("/console/conversations/lyon-widget").status_code == 200
    for path in (
        "/console/conversations/toulouse-rest/corriger/1",
        "/console/conversations/sans-territoire/corriger/1",
    ):
        assert roubaix.get(path).status_code == 404
    assert ("awa.diallo@roubaix.example", "toulouse-rest", {}) in audit_entries(
        console, "conversation_refusee"
    )
    assert "Traceback" not in refused.text


def test_the_advisor_reads_the_transcript_with_contact_details_and_understanding(console, roubaix):
    page = roubaix.get("/console/conversations/roubaix-widget")
    assert page.status_code == 200
    text = page.text
    assert EMAIL in text
    assert EMAIL_MASK not in text
    assert "je veux ouvrir une épicerie à Roubaix" in text
    assert "<code>informer</code>" in text
    assert "confiance 0," in text
    assert "<code>commune</code> = « Roubaix »" in text
    assert "RegexEntityExtractor" in text
    assert "<code>nlu_fallback</code>" in text
    assert "Incompréhension" in text
    assert "Demande de contact" in text
    assert "Corriger" in text
    assert "/console/conversations/roubaix-widget/corriger/" in text
    assert "Secteur d&#39;activité" in text
    assert ("awa.diallo@roubaix.example", "roubaix-widget", {}) in audit_entries(
        console, "conversation_ouverte"
    )


def test_the_administrator_sees_every_territory_with_contact_details_masked(console, admin):
    first = admin.get("/console/conversations")
    assert "59 conversations" in first.text
    assert "page 1 sur 2" in first.text
    assert listed(first.text)[:4] == [
        "lyon-widget",
        "sans-territoire",
        "toulouse-rest",
        "roubaix-widget",
    ]
    second = admin.get("/console/conversations", params={"page": "2"})
    assert len(listed(first.text)) == 50
    assert len(listed(second.text)) == 9
    assert 'id="territoire"' in first.text
    chosen = admin.get("/console/conversations", params={"territoire": "toulouse"})
    assert set(listed(chosen.text)) == {"toulouse-rest", "lyon-widget"}
    unplaced = admin.get("/console/conversations", params={"territoire": "aucun"})
    assert "56 conversations" in unplaced.text
    for sender, personal, mask in (
        ("roubaix-widget", EMAIL, EMAIL_MASK),
        ("toulouse-rest", PHONE, PHONE_MASK),
    ):
        page = admin.get(f"/console/conversations/{sender}")
        assert page.status_code == 200
        assert personal not in page.text
        assert mask in page.text
        assert "sont masqués" in page.text
    assert admin.get("/console/conversations/sans-territoire").status_code == 200


def test_filters_over_http_and_a_french_error_for_a_bad_date(console, admin):
    def senders(**params) -> set[str]:
        return set(listed(admin.get("/console/conversations", params=params).text))

    assert senders(du="2026-03-05", au="2026-03-09") == {
        "toulouse-rest",
        "sans-territoire",
        "lyon-widget",
    }
    assert senders(incomprehension="1") == {"roubaix-widget"}
    assert senders(contact="1") == {"roubaix-widget", "toulouse-rest"}
    assert senders(contact="1", territoire="roubaix") == {"roubaix-widget"}
    bad = admin.get("/console/conversations", params={"du": "02/03/2026"})
    assert bad.status_code == 200
    assert "n&#39;est pas valide" in bad.text
    reversed_dates = admin.get(
        "/console/conversations", params={"du": "2026-03-09", "au": "2026-03-01"}
    )
    assert "après la date" in reversed_dates.text
    logged = [
        details
        for who, _, details in audit_entries(console, "liste_conversations")
        if who == ADMIN.email
    ]
    assert {
        "territoire": "roubaix",
        "du": "",
        "au": "",
        "incomprehension": False,
        "contact": True,
        "page": 1,
    } in logged
    assert {
        "territoire": "tous",
        "du": "2026-03-05",
        "au": "2026-03-09",
        "incomprehension": False,
        "contact": False,
        "page": 1,
    } in logged


def user_event_id(console: Console, sender: str, text: str) -> int:
    conversation = tracker.read_conversation(RasaApi(console.rasa.url, keys.rasa_api_key()), sender)
    return next(t.user.event_id for t in conversation.turns if t.user and t.user.text == text)


CORRECTED = (
    'je veux [ouvrir]{"entity": "stade", "value": "creation"} une '
    '[épicerie]{"entity": "secteur", "value": "commerce"} à [Roubaix](commune), je suis '
    '[au chômage]{"entity": "statut", "value": "demandeur_emploi"}'
)


def test_an_advisor_corrects_a_message_and_exports_the_training_example(console, roubaix):
    event_id = user_event_id(console, "roubaix-widget", DESCRIPTION)
    path = f"/console/conversations/roubaix-widget/corriger/{event_id}"
    form = roubaix.get(path)
    assert form.status_code == 200
    textarea = re.search(r'<textarea id="annotated"[^>]*>([^<]*)</textarea>', form.text).group(1)
    assert "[Roubaix](commune)" in textarea.replace("&#34;", '"')
    assert '<option value="informer" selected>' in form.text
    assert len(re.findall(r'<option value="[a-z_]+"', form.text)) == 15
    # the recorded prediction took « épicerie à » for the sector: the prefill is refused
    refused = post_form(
        roubaix,
        path,
        {"intent": "informer", "annotated": textarea.replace("&#34;", '"').replace("&#39;", "'")},
        page=path,
    )
    assert refused.status_code == 400
    assert "n&#39;est pas une valeur de l&#39;entité secteur" in refused.text
    wrong = post_form(roubaix, path, {"intent": "informer", "annotated": "autre chose"}, page=path)
    assert wrong.status_code == 400
    assert "exactement le message d&#39;origine" in wrong.text
    saved = post_form(roubaix, path, {"intent": "informer", "annotated": CORRECTED}, page=path)
    assert saved.status_code == 303
    back = roubaix.get(saved.headers["location"])
    assert "La correction a été enregistrée" in back.text
    assert "Corrigé : informer" in back.text
    listing = roubaix.get("/console/corrections")
    assert "je veux ouvrir une épicerie à Roubaix" in listing.text
    exported = roubaix.get("/console/corrections/export")
    assert exported.status_code == 200
    assert exported.headers["content-disposition"] == 'attachment; filename="corrections-nlu.yml"'
    data = yaml.safe_load(exported.text)
    assert data["version"] == "3.1"
    assert {"intent": "informer", "examples": f"- {CORRECTED}\n"} in data["nlu"]
    assert audit_entries(console, "correction_enregistree")[0][:2] == (
        ROUBAIX.email,
        f"roubaix-widget#{event_id}",
    )
    assert audit_entries(console, "export_corrections")


def test_a_sender_id_with_a_slash_opens_and_its_messages_can_be_corrected(console, roubaix):
    """Any REST client chooses its sender ids: « / » in one must not hide the conversation."""
    plan = [("site/roubaix/42", "roubaix-widget", at("2026-03-03", 9))]
    write_tracker(console.rasa, plan)
    observe(console.database_url, plan)
    # the list links to the observatory's key, which opens the same conversation
    listing = roubaix.get("/console/conversations")
    link = f"/console/conversations/{conversation_key('site/roubaix/42')}"
    assert link in listing.text
    assert DESCRIPTION in roubaix.get(link).text
    page = roubaix.get("/console/conversations/site%2Froubaix%2F42")
    assert page.status_code == 200
    assert DESCRIPTION in page.text
    event_id = user_event_id(console, "site/roubaix/42", DESCRIPTION)
    form = roubaix.get(f"/console/conversations/site%2Froubaix%2F42/corriger/{event_id}")
    assert form.status_code == 200
    assert "Corriger la compréhension" in form.text


def test_the_list_s_link_opens_the_transcript_through_the_sealed_id_only(console, roubaix):
    """The observatory keeps the conversation id sealed with the link key: its row's state
    holds no readable id, and the key of a conversation the observatory does not know opens
    nothing (it is then taken for a conversation id, which Rasa does not know either)."""
    key = conversation_key("roubaix-widget")
    with session(console.database_url) as db:
        state = db.scalar(select(ObservedConversation.state).where(ObservedConversation.key == key))
    assert "roubaix-widget" not in json.dumps(state)
    assert unseal(state["link"], keys.link_key()) == "roubaix-widget"
    assert unseal(state["link"], "une-autre-cle") is None
    assert DESCRIPTION in roubaix.get(f"/console/conversations/{key}").text
    unknown = roubaix.get(f"/console/conversations/{conversation_key('jamais-vue')}")
    assert unknown.status_code == 404


def test_rasa_unreachable_gives_a_french_page_for_the_transcript(console, roubaix):
    console.rasa.down()
    try:
        down = roubaix.get("/console/conversations/roubaix-widget")
        chat = roubaix.get("/console/discuter")
    finally:
        console.rasa.up()
    assert down.status_code == 503
    assert "Conversations indisponibles" in down.text
    assert "L&#39;assistant est injoignable pour le moment" in down.text
    assert "Traceback" not in down.text
    assert chat.status_code == 200  # the test page stays usable
    console.rasa.api_status = 500
    try:
        failing = roubaix.get("/console/conversations/roubaix-widget")
    finally:
        console.rasa.api_status = 200
    assert failing.status_code == 503
    assert "code 500" in failing.text
    assert roubaix.get("/console/conversations/roubaix-widget").status_code == 200


def test_a_message_with_an_email_cannot_become_a_training_example(console, roubaix):
    event_id = user_event_id(console, "roubaix-widget", EMAIL)
    path = f"/console/conversations/roubaix-widget/corriger/{event_id}"
    assert "ne peut pas\n  devenir un exemple" in roubaix.get(path).text
    before = _count_corrections(console)
    post_form(roubaix, path, {"intent": "informer", "annotated": EMAIL}, page="/console/")
    assert _count_corrections(console) == before


def _count_corrections(console: Console) -> int:
    with session(console.database_url) as db:
        return len(list(db.scalars(select(NluCorrection.id))))


def test_corrections_stay_within_the_territory(console, roubaix, toulouse, admin):
    text = "je veux ouvrir un snack à Toulouse, je suis au RSA"
    event_id = user_event_id(console, "toulouse-rest", text)
    path = f"/console/conversations/toulouse-rest/corriger/{event_id}"
    annotated = (
        'je veux [ouvrir]{"entity": "stade", "value": "creation"} un '
        '[snack]{"entity": "secteur", "value": "restauration"} à '
        '[Toulouse](commune), je suis au [RSA]{"entity": "statut", "value": "rsa"}'
    )
    assert (
        post_form(
            toulouse, path, {"intent": "informer", "annotated": annotated}, page=path
        ).status_code
        == 303
    )
    with session(console.database_url) as db:
        correction = db.scalar(
            select(NluCorrection).where(NluCorrection.sender_id == "toulouse-rest")
        )
        correction_id, territory = correction.id, correction.territory_id
    assert territory == "toulouse"
    assert "snack" not in roubaix.get("/console/corrections").text
    assert "snack" not in roubaix.get("/console/corrections/export").text
    refused = post_form(roubaix, f"/console/corrections/{correction_id}/supprimer", {})
    assert refused.status_code == 404
    assert "Correction introuvable" in refused.text
    assert "snack" in toulouse.get("/console/corrections").text
    assert "snack" in admin.get("/console/corrections").text
    assert "snack" in admin.get("/console/corrections/export").text
    deleted = post_form(toulouse, f"/console/corrections/{correction_id}/supprimer", {})
    assert deleted.status_code == 303
    assert "snack" not in toulouse.get("/console/corrections").text
    assert audit_entries(console, "correction_supprimee")[0][:2] == (
        TOULOUSE.email,
        str(correction_id),
    )


def test_no_personal_data_in_the_audit_log(console, roubaix, admin):
    with session(console.database_url) as db:
        entries = [
            json.dumps([e.target, e.details], ensure_ascii=False) for e in audit.recent(db, 5000)
        ]
    assert entries
    assert not [e for e in entries if EMAIL in e or PHONE in e or "épicerie" in e]


# --- the debug chat -------------------------------------------------------------------------


def account_id(console: Console, email: str) -> int:
    with session(console.database_url) as db:
        return db.scalar(select(Account.id).where(Account.email == email))


def test_the_debug_chat_sends_to_rasa_and_shows_what_was_understood(console, roubaix):
    console.rasa.received.clear()
    start = roubaix.get("/console/discuter")
    assert start.status_code == 200
    assert "Pas encore de message" in start.text
    sent = post_form(
        roubaix, "/console/discuter", {"message": DESCRIPTION}, page="/console/discuter"
    )
    assert sent.status_code == 303
    body = console.rasa.received[-1]
    assert body["message"] == DESCRIPTION
    assert body["metadata"] == {"territory": "roubaix"}
    assert re.fullmatch(
        rf"console-{account_id(console, ROUBAIX.email)}-[0-9a-f]{{12}}", body["sender"]
    )
    page = roubaix.get("/console/discuter").text
    assert body["sender"] in page
    assert "<code>informer</code>" in page
    assert "ensuite :" in page
    assert "<code>commune</code> = « Roubaix »" in page
    assert "RegexEntityExtractor" in page
    assert "Profil rempli" in page
    assert "demandeur d&#39;emploi" in page
    assert "Aides recommandées" in page
    assert "Raisons : " in page
    assert re.search(r"<h3>[^<]*ACRE[^<]*</h3>", page), "l'ACRE est recommandée"
    assert 'name="payload" value="/affirmer"' in page  # buttons send their payload
    clicked = post_form(
        roubaix, "/console/discuter", {"payload": "/affirmer"}, page="/console/discuter"
    )
    assert clicked.status_code == 303
    assert console.rasa.received[-1]["message"] == "/affirmer"
    assert console.rasa.received[-1]["sender"] == body["sender"]
    post_form(roubaix, "/console/discuter/nouvelle", {}, page="/console/discuter")
    post_form(roubaix, "/console/discuter", {"message": "Bonjour"}, page="/console/discuter")
    assert console.rasa.received[-1]["sender"] != body["sender"]
    logged = audit_entries(console, "message_test")
    assert (ROUBAIX.email, body["sender"], {"territoire": "roubaix", "bouton": False}) in logged
    # the test conversation is listed with its territory for the advisor
    assert conversation_key(body["sender"]) in listed(roubaix.get("/console/conversations").text)


def test_the_debug_chat_refuses_empty_and_too_long_messages_in_french(console, roubaix):
    empty = post_form(roubaix, "/console/discuter", {"message": "   "}, page="/console/discuter")
    assert empty.status_code == 400
    assert "Écrivez un message" in empty.text
    long_text = "é" * 2001
    too_long = post_form(
        roubaix, "/console/discuter", {"message": long_text}, page="/console/discuter"
    )
    assert too_long.status_code == 400
    assert "2\u202f001 caractères" in too_long.text
    assert long_text in too_long.text  # nothing lost


def test_rasa_down_or_failing_gives_a_french_message_and_keeps_the_text(console, roubaix):
    console.rasa.down()
    try:
        down = post_form(
            roubaix,
            "/console/discuter",
            {"message": "mon message important"},
            page="/console/discuter",
        )
    finally:
        console.rasa.up()
    assert down.status_code == 503
    assert "injoignable" in down.text
    assert ">mon message important</textarea>" in down.text
    console.rasa.status = 500
    try:
        failing = post_form(
            roubaix, "/console/discuter", {"message": "encore"}, page="/console/discuter"
        )
    finally:
        console.rasa.status = 200
    assert failing.status_code == 502
    assert "code 500" in failing.text
    assert ">encore</textarea>" in failing.text
    assert "Traceback" not in failing.text


def test_an_administrator_picks_the_territory_sent_with_the_messages(console, admin):
    chosen = post_form(
        admin,
        "/console/discuter",
        {"territoire": "toulouse", "changer_territoire": "1"},
        page="/console/discuter",
    )
    assert chosen.status_code == 303
    post_form(admin, "/console/discuter", {"message": "Bonjour"}, page="/console/discuter")
    assert console.rasa.received[-1]["metadata"] == {"territory": "toulouse"}
    page = admin.get("/console/discuter").text
    assert '<option value="toulouse" selected>' in page
    post_form(
        admin,
        "/console/discuter",
        {"territoire": "", "changer_territoire": "1"},
        page="/console/discuter",
    )
    post_form(admin, "/console/discuter", {"message": "Bonjour"}, page="/console/discuter")
    assert console.rasa.received[-1]["metadata"] == {}


def test_console_pages_need_a_session_and_a_form_token(console):
    with httpx.Client(base_url=console.url) as anonymous:
        for path in (
            "/console/conversations",
            "/console/conversations/roubaix-widget",
            "/console/discuter",
            "/console/corrections",
            "/console/corrections/export",
        ):
            response = anonymous.get(path)
            assert response.status_code == 303
            assert response.headers["location"].startswith("/console/connexion")
    client = signed_in(console.url, ROUBAIX)
    try:
        forged = client.post("/console/discuter", data={"message": "Bonjour", "csrf": "faux"})
        assert forged.status_code == 400
        assert "expiré" in forged.text
        assert form_token(client.get("/console/discuter").text)
    finally:
        client.close()


# --- recording the fixture from the real assistant ------------------------------------------


def record(path: Path = FIXTURE) -> None:
    """Play SCRIPT against the real assistant (own Rasa on free ports) and keep the events."""
    import sqlite3

    from test_e2e_rest import PERSONA, QUESTIONS

    from bot.runner import Stack, free_port
    from settings import settings_with

    tmp = Path(tempfile.mkdtemp(prefix="qp-record-"))
    settings = settings_with(
        RASA_PORT=str(free_port()),
        ACTION_PORT=str(free_port()),
        TRACKER_DB=str(tmp / "tracker.sqlite"),
        QP_TRACKER_URL="",
        QP_LOG_DIR=str(tmp / "log"),
    )

    def say(sender: str, metadata: dict | None, text: str) -> list[dict]:
        body = {"sender": sender, "message": text, **({"metadata": metadata} if metadata else {})}
        response = httpx.post(
            f"{settings.servers.rasa_url}/webhooks/rest/webhook",
            json=body,
            headers=rest_headers(),
            timeout=120,
        )
        response.raise_for_status()
        return response.json()

    with Stack(settings):
        for sender, (metadata, messages) in SCRIPT.items():
            answer: list[dict] = []
            for text in messages:
                if text != UNTIL_AIDS:
                    answer = say(sender, metadata, text)
                    continue
                for _ in range(12):
                    if any("Voici les aides" in m.get("text", "") for m in answer):
                        break
                    asked = [QUESTIONS[m["text"]] for m in answer if m.get("text") in QUESTIONS]
                    answer = say(sender, metadata, PERSONA[asked[0]])
    with sqlite3.connect(settings.tracker.db) as db:
        rows = db.execute(
            "select sender_id, type_name, timestamp, intent_name, action_name, "
            "data from events order by id"
        ).fetchall()
    keys = ("sender_id", "type_name", "timestamp", "intent_name", "action_name", "data")
    path.write_text(
        json.dumps(
            [dict(zip(keys, row, strict=True)) for row in rows], ensure_ascii=False, indent=0
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"{len(rows)} événements enregistrés dans {path}")


if __name__ == "__main__":
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    record()
