"""Issue 19, item 1, end to end: conversations with the real Rasa and action server publish
their events through Rasa's SQL event broker (the shared `assistant`, as `make run` starts it)
and through Rasa's Pika event broker to RabbitMQ (127.0.0.1:5672, a queue of this test's own,
deleted after); the consumer the runner starts turns them into the observatory's rows, an
aid's link opened (as the widget reports it to the web server, which appends the event through
Rasa's HTTP API) marks its recommendation, the territory's report counts the conversation
driven (stage, needs, aids shown and opened, where it stopped) and
the console's CSV, fetched from the stack's web server by a signed-in advisor, says the same;
a replay of the SQL broker rebuilds identical tables."""

from __future__ import annotations

import csv
import io
import time
import uuid

import httpx
import pytest
from conftest import own_catalogue
from console_harness import ROUBAIX, create_people, signed_in
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_e2e_rest import PERSONA as E2E_PERSONA
from test_e2e_rest import QUESTIONS
from test_observatory import table

from bot.keys import rest_headers
from bot.observatory.consumer import rebuild
from bot.runner import Stack, free_port
from catalog import observatory_report, store
from catalog.files import read_files
from catalog.models import ObservedConversation, ObservedRecommendation
from catalog.observatory import conversation_key
from settings import Settings, settings_with

pytestmark = pytest.mark.rasa

RABBITMQ = "amqp://guest:guest@127.0.0.1:5672/"
# The job seeker of tests/test_e2e_rest.py, who does not live in a QPV (« oui, mon
# entreprise » also answers the question asking the business and the home at once).
PERSONA = {**E2E_PERSONA, "implante_qpv": "oui, mon entreprise", "habite_qpv": "non"}


def say(settings: Settings, text: str, sender: str, territory: str) -> list[dict]:
    response = httpx.post(
        f"{settings.servers.rasa_url}/webhooks/rest/webhook",
        json={"sender": sender, "message": text, "metadata": {"territory": territory}},
        headers=rest_headers(),
        timeout=120,
    )
    response.raise_for_status()
    return response.json()


def until_recommendation(settings: Settings, sender: str) -> None:
    answer = say(
        settings, "je veux ouvrir une épicerie à Roubaix, je suis au chômage", sender, "roubaix"
    )
    for _ in range(12):
        if any("Voici les aides" in (m.get("text") or "") for m in answer):
            return
        asked = [QUESTIONS[m["text"]] for m in answer if m.get("text") in QUESTIONS]
        assert asked, [m.get("text") for m in answer]
        answer = say(settings, PERSONA[asked[0]], sender, "roubaix")
    raise AssertionError("pas de recommandation")


def observed(
    catalogue: str, sender: str, turns: int, wait: float = 300, outcome: str | None = None
) -> dict:
    """The conversation's row once the consumer has folded its `turns` messages — and, when
    `outcome` is given, the turn that ends with it: the consumer polls the broker every second
    and may have folded only part of a conversation when we first look."""
    engine = store.make_engine(catalogue)
    deadline = time.monotonic() + wait
    try:
        while True:
            row = table(engine).get(conversation_key(sender))
            folded = row is not None and row["turns"] >= turns and row["outcome"]
            if folded and (outcome is None or row["outcome"] == outcome):
                return row
            assert time.monotonic() < deadline, f"rien dans l'observatoire : {row}"
            time.sleep(1)
    finally:
        engine.dispose()


def shown_in_order(catalogue: str, sender: str) -> list[str]:
    engine = store.make_engine(catalogue)
    try:
        with Session(engine) as session:
            recs = session.execute(
                select(ObservedRecommendation.aid_id, ObservedRecommendation.rank)
                .join(ObservedConversation)
                .where(ObservedConversation.key == conversation_key(sender))
                .order_by(ObservedRecommendation.rank)
            ).all()
        return [aid for aid, _ in recs]
    finally:
        engine.dispose()


def web_url(settings: Settings) -> str:
    return f"http://{settings.web.host}:{settings.web.port}"


def drive(settings: Settings, tag: str) -> tuple[dict[str, str], str]:
    """Two conversations: a recommendation in Roubaix, under a conversation id the web server
    issued as it does for the widget (so the person can say an aid's link was opened), and one
    left at its first question."""
    session = httpx.post(f"{web_url(settings)}/widget/session", timeout=60).json()
    full, left = session["session_id"], f"obs-{tag}-left-{uuid.uuid4().hex[:8]}"
    until_recommendation(settings, full)
    answer = say(settings, "je veux créer une entreprise à Laval", left, "laval")
    assert [m for m in answer if m.get("text") in QUESTIONS]
    return session, left


def check(settings: Settings, full: str, left: str, channel: str = "rest") -> None:
    catalogue = settings.catalog.database_url
    row = observed(catalogue, full, 2, outcome="aides_presentees")
    assert row["territory_id"] == "roubaix"
    assert row["channel"] == channel
    assert (row["stade"], row["secteur"]) == ("creation", "commerce")
    assert row["statut"] == "demandeur_emploi"
    assert row["outcome"] == "aides_presentees"
    assert row["aids_shown"] == len(shown_in_order(catalogue, full)) >= 1
    assert row["lead"] is False
    first = observed(catalogue, left, 1)
    assert first["territory_id"] == "laval"
    assert first["turns"] == 1
    assert first["outcome"] in PERSONA  # the code of the question left unanswered


def open_link(stack: Stack, session: dict[str, str], aid: str) -> None:
    """What the widget does when the person opens an aid's official link (bot/web/opened.py),
    then wait for the consumer to fold the event Rasa published."""
    response = httpx.post(
        f"{web_url(stack.settings)}/widget/ouverture",
        data={"session_id": session["session_id"], "token": session["token"], "aide": aid},
        timeout=60,
    )
    assert response.status_code == 204, response.text
    engine = store.make_engine(stack.settings.catalog.database_url)
    deadline = time.monotonic() + 300
    try:
        while True:
            row = table(engine)[conversation_key(session["session_id"])]
            if any(r[0] == aid and r[4] for r in row["recommendations"]):
                return
            assert time.monotonic() < deadline, row["recommendations"]
            time.sleep(1)
    finally:
        engine.dispose()


def figures(stack: Stack, full: str, started: float) -> None:
    """The territory's report counts the conversation driven (its first aid's link opened),
    and the console's CSV (through the stack's web server, a Roubaix advisor signed in) is the
    report's masked cells."""
    catalogue = stack.settings.catalog.database_url
    aids = shown_in_order(catalogue, full)
    names = {aid["id"]: aid["name"] for aid in read_files().aids}
    engine = store.make_engine(catalogue)
    try:
        with Session(engine) as session:
            # the conversations started since this test began: the one driven in Roubaix
            ours = observatory_report.build(
                session, observatory_report.Filters(("roubaix",), since=started), names
            )
            whole = observatory_report.build(
                session, observatory_report.Filters(("roubaix",)), names
            )
    finally:
        engine.dispose()
    assert ours.conversations == 1
    assert dict(ours.table("stade").rows)["création"] == 1
    assert dict(ours.table("secteur").rows)["commerce"] == 1
    assert dict(ours.table("statut").rows)["demandeur d'emploi"] == 1
    assert [row[1:] for row in ours.table("qpv").rows] == [(0, 1), (1, 0), (0, 0)]
    needs = {need: n for need, n in ours.table("besoins").rows if n}
    assert needs == {"financement": 1}
    assert sorted(ours.table("aides").rows) == sorted(
        (names[a], 1, 0, 1 if a == aids[0] else 0) for a in aids
    )
    assert ours.table("arret").rows == [("aides présentées", 1)]
    [(week, conversations)] = ours.table("conversations").rows
    assert week.startswith("semaine du ")
    assert conversations == 1
    # the CSV of the territory, as an advisor downloads it: the report's cells, masked
    create_people(catalogue, (ROUBAIX,))
    web = stack.web_settings
    downloaded = {}
    advisor = signed_in(f"http://{web.host}:{web.port}", ROUBAIX)
    try:
        for name in ("arret", "stade", "aides"):
            response = advisor.get(f"/console/observatoire/{name}.csv")
            assert response.status_code == 200, response.text
            assert response.headers["content-type"].startswith("text/csv")
            text = response.text.lstrip("\ufeff")
            downloaded[name] = list(csv.reader(io.StringIO(text), delimiter=";"))
    finally:
        advisor.close()
    for name, rows in downloaded.items():
        expected = whole.table(name)
        assert rows == [list(expected.columns), *map(list, expected.cells())], name
    assert downloaded["arret"][0] == ["Dernière étape", "Conversations"]
    stopped = dict(downloaded["arret"][1:])
    # the driven conversation is in the line, masked while fewer than 5 are behind it
    assert stopped["aides présentées"] == observatory_report.MASK or (
        int(stopped["aides présentées"]) >= observatory_report.SMALL
    )
    shown_names = {row[0] for row in downloaded["aides"][1:]}
    assert {names[a] for a in aids} <= shown_names


def test_the_sql_broker_feeds_the_observatory_and_a_replay_rebuilds_it(assistant):
    settings = assistant.settings
    assert settings.event_broker.mode == "sql"
    started = time.time()
    session, left = drive(settings, "sql")
    full = session["session_id"]
    check(settings, full, left)
    open_link(assistant, session, shown_in_order(settings.catalog.database_url, full)[0])
    figures(assistant, full, started)
    engine = store.make_engine(settings.catalog.database_url)
    try:
        before = table(engine)
        assert rebuild(engine, settings.event_broker) > 0
        assert table(engine) == before
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def pika_stack(tmp_path_factory):
    pika = pytest.importorskip("pika")
    queue = f"qp_test_observatoire_{uuid.uuid4().hex[:8]}"
    tmp = tmp_path_factory.mktemp("assistant-pika")
    settings = settings_with(
        DATABASE_URL=own_catalogue(tmp),  # its own observatory (see own_catalogue)
        RASA_PORT=str(free_port()),
        ACTION_PORT=str(free_port()),
        WEB_PORT=str(free_port()),
        TRACKER_DB=str(tmp / "tracker.sqlite"),
        QP_TRACKER_URL="",
        QP_LOG_DIR=str(tmp / "log"),
        QP_EVENT_BROKER="pika",
        QP_EVENT_BROKER_URL=RABBITMQ,
        QP_EVENT_BROKER_QUEUE=queue,
    )
    try:
        with Stack(settings, with_web=True) as running:  # the console's CSV too
            yield running
    finally:
        connection = pika.BlockingConnection(pika.URLParameters(RABBITMQ))
        connection.channel().queue_delete(queue)
        connection.close()


def test_the_pika_broker_feeds_the_observatory_through_rabbitmq(pika_stack):
    settings = pika_stack.settings
    assert settings.event_broker.mode == "pika"
    started = time.time()
    session, left = drive(settings, "pika")
    full = session["session_id"]
    check(settings, full, left)
    open_link(pika_stack, session, shown_in_order(settings.catalog.database_url, full)[0])
    figures(pika_stack, full, started)
